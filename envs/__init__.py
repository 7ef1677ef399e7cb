"""Henry's Gymnasium environments, registered on import.

* `Henry-v0`: the article's discrete Henry (`HenryDiscreteEnv`).
* `HenryContinuous-v0`: direct control of the four servos (`HenryContinuousEnv`).
* `Dungeon-v0`: the accountant's and the gambler's five-tile dungeon (`DungeonEnv`).
"""

from gymnasium.envs.registration import register, registry

from envs.base import HenryEnv, HenryEnvError
from envs.continuous import (
    ACTION_FIELDS,
    OBSERVATION_FIELDS,
    REWARD_ARGUMENTS,
    HenryContinuousEnv,
)
from envs.discrete import HenryDiscreteEnv, discrete_action_mask, legal_start_states
from envs.motions import Action
from walker.envids import CONTINUOUS_ID, DISCRETE_ID, DUNGEON_ID

if DISCRETE_ID not in registry:
    register(id=DISCRETE_ID, entry_point="envs.discrete:HenryDiscreteEnv", max_episode_steps=200)
if CONTINUOUS_ID not in registry:
    register(
        id=CONTINUOUS_ID, entry_point="envs.continuous:HenryContinuousEnv", max_episode_steps=1000
    )
if DUNGEON_ID not in registry:
    register(id=DUNGEON_ID, entry_point="envs.dungeon:DungeonEnv", max_episode_steps=100)

__all__ = [
    "ACTION_FIELDS",
    "CONTINUOUS_ID",
    "DISCRETE_ID",
    "DUNGEON_ID",
    "OBSERVATION_FIELDS",
    "REWARD_ARGUMENTS",
    "Action",
    "HenryContinuousEnv",
    "HenryDiscreteEnv",
    "HenryEnv",
    "HenryEnvError",
    "discrete_action_mask",
    "legal_start_states",
]
