"""`walker speed`: speed measured side by side with a peer and quoted as ratios."""

BENCHMARK_NAMES = ("physics", "train", "render", "agents", "curves")
"""The benchmarks `walker speed` runs, in order (`benchmarks.BENCHMARKS` maps them to code);
here so the command line can name them without loading gymnasium and the envs."""
