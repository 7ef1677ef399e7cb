"""Windows and videos of running policies: sampled frames and HUD, key controls, mouse
pushes and panels, lanes side by side, and `walker watch`/`race`/`record`."""
