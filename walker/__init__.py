"""Henry, a simulated two-legged robot that learns to walk.

`walker.sim` is Henry's body (pymunk), `walker.draw` draws him (pygame), and `walker.app`
is the `walker` command. The Gymnasium environments live in `envs`, the agents in `agents`.
"""

__version__ = "0.1.0"
