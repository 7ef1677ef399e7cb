"""What several features share: input checks, loading policies and making envs, greedy
evaluation and gait measures, comparisons, tables, plots, config options, signals, seed
statistics and the process-pool/Ray sweep runner."""
