"""`walker bench`: agents under perturbation conditions over seeds, its report and plots."""
