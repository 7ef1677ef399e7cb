"""The rate the views step Henry at, apart from the scenes so that the command line's help
(which names the window's keys, `controls.LEGEND`) loads neither gymnasium nor the drawing."""

from walker.sim.spec import HenrySpec

CONTROL_HZ = round(1.0 / HenrySpec.control_dt_s)
"""Control steps per simulated second, from `HenrySpec.control_dt_s` (60)."""
