"""A training run: its options, the loop every learner shares, hooks, the run folder and its
resumption, the live training window, and `walker train`/`walker demo` as functions."""
