"""The rate the views step Henry at, apart from the scenes so that the command line's help
(which names the window's keys, `controls.LEGEND`) loads neither gymnasium nor the drawing."""

CONTROL_HZ = 60
"""Control steps per simulated second: `HenrySpec.control_dt_s` is 1/60 s."""
