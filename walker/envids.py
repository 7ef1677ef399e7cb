"""The Gymnasium ids of Henry's envs, which `envs` registers on import.

They live here, in the bottom layer, so that naming an env (the command line's help, a
learner's default env) loads neither gymnasium nor the physics.
"""

DISCRETE_ID = "Henry-v0"
CONTINUOUS_ID = "HenryContinuous-v0"
DUNGEON_ID = "Dungeon-v0"
