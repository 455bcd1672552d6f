"""Gymnasium adapter: explicit NEXT_STEP autoreset, episode stats, flags, clipping, snapshots."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from coachrl.errors import ConfigError
from coachrl.params.base import EnvironmentParams
from environments.gym_env import GymVectorEnv

FIXED = "coachrl.environments.toy:FixedLengthEnv"
TARGET = "coachrl.environments.toy:TargetReachingEnv"


def _fixed(length: int, truncate: bool, n_envs: int = 2) -> GymVectorEnv:
    params = EnvironmentParams(env_id=FIXED, n_envs=n_envs,
                               env_kwargs={"length": length, "truncate": truncate})
    return GymVectorEnv(params, seed=0)


@pytest.mark.parametrize("truncate", [False, True])
@pytest.mark.parametrize("length", [1, 3, 5])
def test_fixed_length_episodes_report_returns_lengths_and_flags(
        length: int, truncate: bool) -> None:
    env = _fixed(length, truncate)
    observations = env.reset()
    np.testing.assert_array_equal(observations, [[0.0], [0.0]])
    cycle = length + 1  # length valid steps, then one reset step
    for step in range(1, 3 * cycle + 1):
        result, finished = env.step(np.zeros(2, dtype=np.int64))
        position = step % cycle  # 1..length are transitions, 0 is the reset step
        is_reset = position == 0
        ends = position == length
        assert (result.valid == (not is_reset)).all(), step
        assert (result.terminated == (ends and not truncate)).all(), step
        assert (result.truncated == (ends and truncate)).all(), step
        if is_reset:
            np.testing.assert_array_equal(result.observations, [[0.0], [0.0]])
            np.testing.assert_array_equal(result.rewards, [0.0, 0.0])
        else:  # the true next observation, the final one on the ending step
            np.testing.assert_allclose(result.observations, [[position / length]] * 2)
        if ends:
            np.testing.assert_array_equal(finished.returns, [float(length)] * 2)
            np.testing.assert_array_equal(finished.lengths, [length] * 2)
        else:
            assert len(finished) == 0
    env.close()


def test_each_env_is_invalid_exactly_on_the_step_after_its_own_episode_end() -> None:
    env = GymVectorEnv(EnvironmentParams(env_id="CartPole-v1", n_envs=3), seed=5)
    env.reset()
    actions = np.random.default_rng(0).integers(0, 2, size=(200, 3))
    dones, valid = [], []
    for action in actions:
        result, _ = env.step(action)
        dones.append(result.dones)
        valid.append(result.valid)
    dones_a, valid_a = np.array(dones), np.array(valid)
    np.testing.assert_array_equal(valid_a[1:], ~dones_a[:-1])
    assert valid_a[0].all()
    assert not (dones_a & ~valid_a).any()  # a reset step is never an episode end
    # the envs end their episodes at different steps
    assert any(len(set(row)) > 1 for row in dones_a.tolist())
    env.close()


def test_box_actions_are_clipped_to_the_action_space() -> None:
    env = GymVectorEnv(EnvironmentParams(env_id=TARGET, n_envs=2), seed=3)
    targets = env.reset()[:, 0]
    result, _ = env.step(np.array([[5.0], [-7.0]], dtype=np.float32))
    expected = [-(2.0 - targets[0]) ** 2, -(-2.0 - targets[1]) ** 2]
    np.testing.assert_allclose(result.rewards, expected, rtol=1e-6)
    env.close()


@pytest.mark.parametrize(("env_id", "suggestion"), [
    ("CartPole-v2", "'CartPole-v1'"), ("Cartpole-v1", "'CartPole-v1'"),
    ("MountainCar-v1", "'MountainCar-v0'"),
])
def test_unknown_env_id_is_a_config_error_with_close_matches(env_id: str, suggestion: str) -> None:
    with pytest.raises(ConfigError) as error:
        GymVectorEnv(EnvironmentParams(env_id=env_id), seed=0)
    message = str(error.value)
    assert f"env.env_id={env_id!r} is not a registered Gymnasium environment" in message
    assert "did you mean" in message and suggestion in message


def test_unimportable_module_class_env_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="could not be imported"):
        GymVectorEnv(EnvironmentParams(env_id="coachrl.environments.toy:Nope"), seed=0)


def _run(env: GymVectorEnv, actions: np.ndarray) -> list[tuple]:
    out = []
    for action in actions:
        result, finished = env.step(action)
        out.append((result.observations.copy(), result.rewards.copy(), result.terminated.copy(),
                    result.valid.copy(), finished.returns.copy(), finished.lengths.copy()))
    return out


@pytest.mark.parametrize("env_id, sticky", [
    ("CartPole-v1", None), ("InvertedPendulum-v5", None), ("LunarLander-v3", None),
    ("BipedalWalker-v3", None), ("InvertedPendulumBulletEnv-v0", None),
    ("dm_control/cartpole-balance-v0", None),
    ("ALE/Breakout-v5", 0.0), ("ALE/Breakout-v5", 0.25)])
def test_snapshot_and_restore_continue_the_episodes_identically(env_id: str, sticky: float | None,
                                                                fresh: bool = False) -> None:
    """CartPole's state is plain data; InvertedPendulum's is MuJoCo's integration state;
    LunarLander's and BipedalWalker's live in Box2D's objects (BipedalWalker's world, kept
    from episode to episode by Gymnasium, is new for each of its episodes), PyBullet's in a
    physics client and DeepMind Control's in dm_control's physics and its task's RandomState,
    so their episodes replay from their reset; Breakout's is ALE's, the frame stack's frames
    and, with sticky actions, the previous action a repeat replays (StickyAction's, below the
    frame skip)."""
    atari = env_id.startswith("ALE/")
    dmc = env_id.startswith("dm_control/")
    bipedal = env_id.startswith("BipedalWalker")  # 100-step episodes: two before the snapshot
    params = EnvironmentParams(env_id=env_id, n_envs=2,
                               preprocessing="atari" if atari else "flatten" if dmc else "none",
                               max_episode_steps=200 if dmc else 100 if bipedal else 0,
                               env_kwargs={} if sticky is None else
                               {"repeat_action_probability": sticky})
    # random play: several episodes end (Breakout's at lost lives). With sticky actions, envs
    # from seed 15, whose generator repeats the previous action on the first frame after the
    # snapshot, where seed 2's actions differ from it: a restore that lost that action (ALE's
    # own sticky actions; StickyAction's last_action left out of the snapshot) resumes wrongly
    rng = np.random.default_rng(2 if atari else 0)
    actions = {"CartPole-v1": lambda: rng.integers(0, 2, size=(150, 2)),
               "InvertedPendulum-v5": lambda: rng.uniform(-3.0, 3.0, size=(150, 2, 1)),
               "LunarLander-v3": lambda: rng.integers(0, 4, size=(400, 2)),
               "BipedalWalker-v3": lambda: rng.uniform(-1.0, 1.0, size=(1000, 2, 4)),
               "InvertedPendulumBulletEnv-v0": lambda: rng.uniform(-1.0, 1.0, size=(120, 2, 1)),
               # 200-step episodes (a limit of the test's): the snapshot falls in the second,
               # whose unseeded reset drew from the task's RandomState
               "dm_control/cartpole-balance-v0": lambda: rng.uniform(-1.0, 1.0, size=(1000, 2, 1)),
               "ALE/Breakout-v5": lambda: rng.integers(0, 4, size=(150, 2))}[env_id]()
    split = len(actions) // 4  # mid-episode
    env = GymVectorEnv(params, seed=15 if sticky else 11)
    env.reset()
    _run(env, actions[:split])
    state = env.state_dict()
    original = _run(env, actions[split:])
    restored_env = GymVectorEnv(params, seed=999)  # another seed: the snapshot must override it
    if not fresh:
        restored_env.reset()
    assert restored_env.load_state_dict(state)
    restored = _run(restored_env, actions[split:])
    assert sum(len(step[4]) for step in original) >= 3, "episodes must end after the snapshot"
    for index, (a, b) in enumerate(zip(original, restored, strict=True)):
        for x, y in zip(a, b, strict=True):
            np.testing.assert_array_equal(x, y, err_msg=f"step {index}")
    env.close()
    restored_env.close()


@pytest.mark.parametrize("env_id", ["LunarLander-v3", "BipedalWalker-v3",
                                    "InvertedPendulumBulletEnv-v0",
                                    "dm_control/cartpole-balance-v0"])
def test_replayed_episodes_continue_identically_in_an_env_never_reset(env_id: str) -> None:
    """As a resumed run restores them: into envs just made. A PyBullet env builds its client at
    its first reset, so an episode whose start came after one is replayed over a reset."""
    test_snapshot_and_restore_continue_the_episodes_identically(env_id, None, fresh=True)


def test_loading_an_empty_state_restores_nothing() -> None:
    env = _fixed(3, False)
    assert env.load_state_dict({}) is False
    env.close()


def test_only_the_first_reset_is_seeded_so_later_resets_meet_new_initial_states() -> None:
    params = EnvironmentParams(env_id="CartPole-v1", n_envs=3)
    env, twin = GymVectorEnv(params, seed=5), GymVectorEnv(params, seed=5)
    first, second = env.reset(), env.reset()
    assert not np.array_equal(first, second)  # an evaluation after another: new episodes
    np.testing.assert_array_equal(twin.reset(), first)  # and the same sequence for a seed
    np.testing.assert_array_equal(twin.reset(), second)
    env.close()
    twin.close()


def test_a_snapshot_restores_into_an_env_that_was_never_reset() -> None:
    params = EnvironmentParams(env_id="CartPole-v1", n_envs=2)
    env = GymVectorEnv(params, seed=3)
    env.reset()  # e.g. a run's evaluation env after its first evaluation
    state = env.state_dict()
    fresh = GymVectorEnv(params, seed=3)  # a resumed run's evaluation env: no reset yet
    assert fresh.load_state_dict(state)
    np.testing.assert_array_equal(fresh.reset(), env.reset())  # the same next episodes
    env.close()
    fresh.close()


def test_in_process_envs_step_exactly_as_gymnasiums_vector_env() -> None:
    """The adapter steps in-process envs itself; Gymnasium's NEXT_STEP vector env (which the
    subprocess path uses) must see the same observations, rewards, flags and episodes."""
    import gymnasium as gym

    params = EnvironmentParams(env_id="CartPole-v1", n_envs=3)
    actions = np.random.default_rng(1).integers(0, 2, size=(120, 3))
    env = GymVectorEnv(params, seed=7)
    ours = [env.reset()]
    reference = gym.vector.SyncVectorEnv([lambda: gym.make("CartPole-v1")] * 3,
                                         autoreset_mode=gym.vector.AutoresetMode.NEXT_STEP)
    theirs = [reference.reset(seed=7)[0]]
    ended = 0
    for action in actions:
        result, finished = env.step(action)
        observations, rewards, terminated, truncated, _ = reference.step(action)
        np.testing.assert_array_equal(result.observations, observations)
        np.testing.assert_array_equal(result.rewards, rewards.astype(np.float32))
        np.testing.assert_array_equal(result.terminated, terminated)
        np.testing.assert_array_equal(result.truncated, truncated)
        ended += len(finished)
    assert ended >= 10  # random play: many episodes ended, and reset steps came after them
    np.testing.assert_array_equal(ours[0], theirs[0])
    env.close()
    reference.close()


def test_subprocess_envs_give_the_same_steps_as_in_process_envs() -> None:
    actions = np.random.default_rng(2).integers(0, 2, size=(80, 2))
    runs = []
    for vectorization in ("sync", "async"):
        params = EnvironmentParams(env_id="CartPole-v1", n_envs=2, vectorization=vectorization)
        env = GymVectorEnv(params, seed=4)
        env.reset()
        runs.append(_run(env, actions))
        env.close()
    assert sum(len(step[4]) for step in runs[0]) >= 4
    for index, (a, b) in enumerate(zip(*runs, strict=True)):
        for x, y in zip(a, b, strict=True):
            np.testing.assert_array_equal(x, y, err_msg=f"step {index}")


# -- Dict observations and image channel order ---------------------------------------------
def test_a_dict_space_becomes_records_with_a_field_per_key() -> None:
    from coachrl.core.spaces import observation_space_from_gym

    space = observation_space_from_gym(gym.spaces.Dict({
        "image": gym.spaces.Box(0, 255, (4, 84, 84), np.uint8),
        "goal": gym.spaces.Box(-1, 1, (3,), np.float32)}))
    assert space.is_dict and not space.is_image and space.shape == ()
    fields = dict(space.fields)
    assert fields["image"].is_image and fields["image"].channels_first
    assert np.dtype(space.dtype).names == ("goal", "image")  # gymnasium sorts the keys
    assert space.size == 4 * 84 * 84 + 3


def test_a_dict_entry_that_is_not_a_box_is_refused_by_key() -> None:
    from coachrl.core.spaces import observation_space_from_gym
    from coachrl.errors import IncompatibleSpaces

    with pytest.raises(IncompatibleSpaces, match="observation key 'mode' is Discrete"):
        observation_space_from_gym(gym.spaces.Dict({"mode": gym.spaces.Discrete(3)}))


@pytest.mark.parametrize(("shape", "asked", "first"), [
    ((4, 84, 84), "auto", True), ((84, 84, 4), "auto", False), ((3, 64, 64), "auto", True),
    ((64, 64, 3), "auto", False), ((84, 84, 4), "first", True), ((4, 84, 84), "last", False)])
def test_image_channel_order_is_detected_and_overridable(shape, asked: str, first: bool) -> None:
    from coachrl.core.spaces import channels_first

    assert channels_first(shape, asked) is first


@pytest.mark.parametrize("vectorization", ["sync", "async"])
def test_dict_cartpole_steps_as_records_holding_cartpoles_state(vectorization: str) -> None:
    params = EnvironmentParams(env_id="coachrl.environments.toy:DictCartPole", n_envs=3,
                               vectorization=vectorization)
    env = GymVectorEnv(params, seed=0)
    reference = GymVectorEnv(EnvironmentParams(env_id="CartPole-v1", n_envs=3), seed=0)
    try:
        got, want = env.reset(), reference.reset()
        assert got.dtype.names == ("position", "velocity") and got.shape == (3,)
        for _ in range(40):
            np.testing.assert_array_equal(got["position"], want[:, [0, 2]])
            np.testing.assert_array_equal(got["velocity"], want[:, [1, 3]])
            actions = np.ones(3, np.int64)
            (result, _), (expected, _) = env.step(actions), reference.step(actions)
            got, want = result.observations, expected.observations
            np.testing.assert_array_equal(result.valid, expected.valid)
    finally:
        env.close()
        reference.close()


def test_a_snapshot_of_an_env_never_reset_keeps_its_first_reset_seeded() -> None:
    """A run checkpointed before its first evaluation: the resumed evaluation env's first reset
    still takes the run's seed (it once reset unseeded, to random initial states)."""
    params = EnvironmentParams(env_id="Pendulum-v1", n_envs=2)
    env = GymVectorEnv(params, seed=3)
    state = env.state_dict()  # saved before any reset
    fresh = GymVectorEnv(params, seed=3)
    assert fresh.load_state_dict(state)
    np.testing.assert_array_equal(fresh.reset(), env.reset())
    env.close()
    fresh.close()


@pytest.mark.parametrize("vectorization", ["sync", "async"])
def test_float64_observations_are_carried_as_float32(vectorization: str) -> None:
    """MuJoCo's observations are float64; networks and replay take them as float32."""
    params = EnvironmentParams(env_id="InvertedPendulum-v5", n_envs=2,
                               vectorization=vectorization)
    env = GymVectorEnv(params, seed=0)
    reference = gym.make("InvertedPendulum-v5")
    try:
        assert reference.observation_space.dtype == np.float64
        assert np.dtype(env.spaces.observation.dtype) == np.float32
        observations = env.reset()
        first, _ = reference.reset(seed=0)
        assert observations.dtype == np.float32
        np.testing.assert_array_equal(observations[0], first.astype(np.float32))
        result, _ = env.step(np.zeros((2, 1), np.float32))
        assert result.observations.dtype == np.float32
    finally:
        env.close()
        reference.close()


def test_an_atari_episode_that_ends_on_the_first_step_after_a_restore_ends_alike() -> None:
    """AtariPreprocessing max-pools an episode's last frame with the buffer of the step before,
    a list of two frames: the snapshot keeps it, so the final observation is the same."""
    params = EnvironmentParams(env_id="ALE/Pong-v5", n_envs=1, preprocessing="atari",
                               max_episode_steps=400,  # frames: 100 env steps an episode
                               env_kwargs={"repeat_action_probability": 0.0})
    actions = np.random.default_rng(0).integers(0, 6, size=(100, 1))
    env = GymVectorEnv(params, seed=4)
    env.reset()
    _run(env, actions[:99])
    state = env.state_dict()
    original = _run(env, actions[99:])
    restored_env = GymVectorEnv(params, seed=999)
    restored_env.reset()
    assert restored_env.load_state_dict(state)
    restored = _run(restored_env, actions[99:])
    assert len(original[0][4]) == 1, "the episode ends on that step"
    for x, y in zip(original[0], restored[0], strict=True):
        np.testing.assert_array_equal(x, y)
    env.close()
    restored_env.close()


def test_a_snapshot_of_envs_wrapped_otherwise_starts_new_episodes_with_a_warning() -> None:
    """A checkpoint of another version's pipeline (a layer more or fewer) is not restored."""
    env = GymVectorEnv(EnvironmentParams(env_id="CartPole-v1", n_envs=2), seed=3)
    env.reset()
    other = GymVectorEnv(EnvironmentParams(env_id="CartPole-v1", n_envs=2,
                                           preprocessing="flatten"), seed=3)
    with pytest.warns(RuntimeWarning, match="do not fit these envs"):
        assert other.load_state_dict(env.state_dict()) is False
    env.close()
    other.close()


def test_float64_fields_of_a_dict_observation_are_carried_as_float32() -> None:
    """Goal envs' positions (Fetch's) come as float64: carried in the networks' float32, as a
    plain float64 Box is; other fields keep their dtype."""
    import gymnasium as gym

    from coachrl.core.spaces import spaces_from_gym
    from environments.gym_env import carried_spaces

    space = gym.spaces.Dict({"desired_goal": gym.spaces.Box(-1, 1, (3,), np.float64),
                             "pixels": gym.spaces.Box(0, 255, (4, 4, 3), np.uint8)})
    carried = carried_spaces(spaces_from_gym(space, gym.spaces.Discrete(2))).observation
    assert dict((key, np.dtype(sub.dtype)) for key, sub in carried.fields) == {
        "desired_goal": np.float32, "pixels": np.uint8}
    assert np.dtype(carried.dtype)["desired_goal"].base == np.float32
