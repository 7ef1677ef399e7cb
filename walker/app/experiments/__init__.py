"""`walker experiment`: the article's findings (with the planner that finds the best gait)
and the deep agents' experiment, each as a report of tables and figures."""
