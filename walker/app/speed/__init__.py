"""`walker speed`: speed measured side by side with a peer and quoted as ratios."""
