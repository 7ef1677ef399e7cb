"""The best speed Henry's discrete action set allows, found by planning rather than guessed.

`sample_model` builds a model of the discrete env from the physics itself: from every start
state the env allows, every legal action is carried out once and its next state and reward
are recorded. The model is deterministic (the physics is). `plan` runs value iteration on
it with a discount close to 1, which selects the policy with the highest long-run progress
per decision; `best_cycle` follows that policy from the standard start to the gait cycle it
settles into and reports the cycle's actions and mean progress per decision. `TablePolicy`
plays a planned policy in the real env, so the planned speed is also measured physically.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from agents.base import checked_masks
from envs import Action, HenryDiscreteEnv, legal_start_states

State = tuple[int, int, int, int]


@dataclass(frozen=True)
class Transition:
    next_state: State
    reward: float
    terminated: bool


Model = dict[tuple[State, int], Transition]


def sample_model(make_env: Callable[[], Any]) -> Model:
    """One physical transition for every (start state, legal action) pair."""
    env = make_env()
    base: HenryDiscreteEnv = env.unwrapped
    model: Model = {}
    for state in legal_start_states(base.extension_levels):
        for action in np.flatnonzero(base.legal_action_mask(np.array(state))):
            base.reset(seed=0, options={"state": list(state)})
            obs, reward, terminated, _, _ = base.step(int(action))
            model[(state, int(action))] = Transition(
                tuple(int(v) for v in obs),  # type: ignore[arg-type]
                float(reward),
                bool(terminated),
            )
    env.close()
    return model


def plan(
    model: Model, gamma: float = 0.999, tolerance: float = 1e-10, max_iterations: int = 100_000
) -> tuple[dict[State, int], dict[State, float]]:
    """Value iteration on the sampled model; returns the greedy policy and the values."""
    states = sorted({s for s, _ in model})
    actions: dict[State, list[int]] = {s: [] for s in states}
    for state, action in model:
        actions[state].append(action)
    values = dict.fromkeys(states, 0.0)

    def backup(state: State, action: int) -> float:
        step = model[(state, action)]
        if step.terminated or step.next_state not in values:
            return step.reward
        return step.reward + gamma * values[step.next_state]

    for _ in range(max_iterations):
        delta = 0.0
        for state in states:
            best = max(backup(state, a) for a in actions[state])
            delta = max(delta, abs(best - values[state]))
            values[state] = best
        if delta < tolerance:
            break

    def ranked(state: State) -> int:
        return max(actions[state], key=lambda a: (backup(state, a), -a))

    policy = {s: ranked(s) for s in states}
    return policy, values


@dataclass(frozen=True)
class Cycle:
    """The gait a policy settles into from a start state."""

    actions: tuple[int, ...]
    progress_per_decision_m: float

    def describe(self) -> str:
        return ", ".join(Action(a).name for a in self.actions)


def best_cycle(model: Model, policy: dict[State, int], start: State) -> Cycle:
    """Follow `policy` in the model from `start` until a state repeats; return that loop."""
    seen: dict[State, int] = {}
    path: list[tuple[State, int]] = []
    state = start
    while state not in seen:
        seen[state] = len(path)
        action = policy[state]
        path.append((state, action))
        step = model[(state, action)]
        if step.terminated:
            return Cycle(tuple(a for _, a in path), 0.0)
        state = step.next_state
    loop = path[seen[state] :]
    progress = sum(model[(s, a)].reward for s, a in loop) / len(loop)
    return Cycle(tuple(a for _, a in loop), progress)


class TablePolicy:
    """Plays a fixed state -> action table (a planned policy) in the real env."""

    def __init__(self, policy: dict[State, int]) -> None:
        self.policy = policy

    def reset(self, env_index: int | None = None) -> None:
        return None

    def act(
        self, obs: np.ndarray, masks: np.ndarray | None = None, explore: bool = False
    ) -> np.ndarray:
        checked = checked_masks(masks, len(obs), len(Action))
        actions = np.empty(len(obs), dtype=np.int64)
        for i, row in enumerate(obs):
            state: Any = tuple(int(v) for v in row)
            action = self.policy.get(state)
            if action is None or (checked is not None and not checked[i, action]):
                legal = np.flatnonzero(checked[i]) if checked is not None else [0]
                action = int(legal[0])
            actions[i] = action
        return actions
