"""Property-based tests (Hypothesis) of what the envs accept in `step` and `reset`.

Whatever is passed as an action, a seed or reset options, each env either does the step or
reset (and what it returns is in its spaces) or raises `HenryEnvError` (or Gymnasium's own
error for a seed Gymnasium refuses) with one line of text; a refused call leaves the env as
it was, so a valid step still works after it. A terminal step ends the episode: stepping on
is refused until `reset`.
"""

import math

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import envs  # noqa: F401  (registers the ids)
from envs import HenryEnvError

PROPERTY_SETTINGS = settings(
    max_examples=100,
    deadline=None,  # physics steps take milliseconds, more on a loaded machine
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,  # the same examples in CI as here
)

VALID_ACTION = {"Henry-v0": 0, "HenryContinuous-v0": np.zeros(4, np.float32), "Dungeon-v0": 0}
ENV_IDS = sorted(VALID_ACTION)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
    st.binary(max_size=4),
)
arrays = hnp.arrays(
    dtype=st.sampled_from([np.float32, np.float64, np.int64, np.int8, np.bool_, np.uint8]),
    shape=hnp.array_shapes(min_dims=0, max_dims=2, max_side=5),
)
anything = st.one_of(
    scalars,
    arrays,
    st.lists(scalars, max_size=6),
    st.tuples(scalars, scalars),
    st.dictionaries(st.one_of(st.text(max_size=4), st.integers()), scalars, max_size=3),
    hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=2, min_side=2, max_side=3)),
)
"""Values of every kind a caller might pass by mistake, or on purpose."""


def _one_clear_sentence(text: str) -> bool:
    return bool(text.strip()) and "\n" not in text


@pytest.fixture(scope="module", params=ENV_IDS)
def env(request):
    made = gym.make(request.param)
    made.reset(seed=0)
    yield made
    made.close()


def _step_checked(env, action):
    """Step `env`; assert a refusal is one clear `HenryEnvError` and a step is well formed."""
    try:
        obs, reward, terminated, truncated, info = env.step(action)
    except HenryEnvError as error:
        refusal = str(error)
    else:
        refusal = None
    if refusal is not None:
        assert _one_clear_sentence(refusal), refusal
        return None
    assert env.observation_space.contains(obs), obs
    assert math.isfinite(float(reward))
    assert isinstance(terminated, bool) and isinstance(truncated, bool)
    assert isinstance(info, dict)
    return terminated or truncated


@PROPERTY_SETTINGS
@given(action=st.one_of(anything, st.integers(min_value=-3, max_value=10)))
def test_any_action_is_stepped_or_refused_in_one_clear_sentence(env, action):
    env.reset(seed=1)
    _step_checked(env, action)
    ended = _step_checked(env, VALID_ACTION[env.spec.id])  # a refusal changed nothing
    assert ended is not None or env.unwrapped._episode_over


@PROPERTY_SETTINGS
@given(
    values=hnp.arrays(
        np.float64,
        4,
        elements=st.floats(allow_nan=True, allow_infinity=True, width=64),
    )
)
def test_any_four_numbers_drive_the_continuous_env_or_are_refused(values):
    env = _continuous()
    env.reset(seed=2)
    finite = bool(np.all(np.isfinite(values)))
    if finite:
        obs, reward, *_ = env.step(values)
        assert env.observation_space.contains(obs)
        assert math.isfinite(reward)
    else:
        with pytest.raises(HenryEnvError, match=r"^action must be finite"):
            env.step(values)


_CONTINUOUS: list[gym.Env] = []


def _continuous() -> gym.Env:
    if not _CONTINUOUS:
        _CONTINUOUS.append(gym.make("HenryContinuous-v0"))
    return _CONTINUOUS[0]


option_values = st.one_of(
    anything,
    st.sampled_from(["standing", "left_foot_up", "right_foot_up", "random"]),
    st.lists(st.integers(min_value=-2, max_value=6), min_size=4, max_size=4),
)
options = st.one_of(
    st.none(),
    st.dictionaries(
        st.one_of(st.sampled_from(["pose", "state"]), st.text(max_size=5)),
        option_values,
        max_size=2,
    ),
    scalars,
)
seeds = st.one_of(st.none(), st.integers(min_value=-5, max_value=2**70), st.floats(), st.text())


@PROPERTY_SETTINGS
@given(seed=seeds, reset_options=options)
def test_any_seed_and_reset_options_reset_or_are_refused_in_one_clear_sentence(
    env, seed, reset_options
):
    try:
        obs, info = env.reset(seed=seed, options=reset_options)
    except (HenryEnvError, gym.error.Error) as error:
        refusal = str(error)
    else:
        refusal = None
        assert env.observation_space.contains(obs)
        assert isinstance(info, dict)
    if refusal is not None:
        assert _one_clear_sentence(refusal), refusal
        env.reset(seed=0)  # the env still resets after a refusal
    assert _step_checked(env, VALID_ACTION[env.spec.id]) is not None


def test_stepping_after_a_fall_is_refused_until_reset():
    env = gym.make("HenryContinuous-v0")
    env.reset(seed=0)
    fall_forward = np.full(4, -1.0, np.float32)  # both legs swung back: he tips within 1 s
    for _ in range(120):
        _, _, terminated, _, _ = env.step(fall_forward)
        if terminated:
            break
    assert terminated
    with pytest.raises(
        HenryEnvError,
        match=r"^the episode has ended \(Henry fell\); call reset\(\) before step\(\) again$",
    ):
        env.step(np.zeros(4, np.float32))
    env.reset(seed=0)
    assert env.step(np.zeros(4, np.float32))[2] is False


def test_dungeon_takes_render_mode_ansi_and_refuses_pictures_and_reset_options():
    dungeon = gym.make("Dungeon-v0", render_mode="ansi")
    dungeon.reset(seed=0)
    assert dungeon.render() == "[ @ . . . $ ]"
    with (
        pytest.warns(UserWarning, match="not in the possible render_modes"),
        pytest.raises(HenryEnvError, match=r"draws only text: render_mode must be 'ansi'"),
    ):
        gym.make("Dungeon-v0", render_mode="rgb_array")
    with pytest.raises(HenryEnvError, match=r"^Dungeon-v0 takes no reset options"):
        dungeon.reset(options={"pose": "random"})
    silent = gym.make("Dungeon-v0")
    silent.reset(seed=0)
    with pytest.warns(UserWarning, match="render_mode='ansi'"):
        assert silent.render() is None
