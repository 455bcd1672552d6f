"""Gymnasium-Robotics as an env family: its Fetch envs make, step, report success and resume
exactly on the MuJoCo that DeepMind Control needs, through environments/robotics.py's mend of
its joint helpers."""

from __future__ import annotations

import mujoco
import numpy as np
import pytest

from coachrl.params.base import EnvironmentParams
from environments import robotics
from environments.gym_env import make_env
from environments.snapshot import restore, snapshot

FETCH = EnvironmentParams(env_id="FetchReach-v4")
# one joint of each type, in qpos order: free (7 numbers), ball (4), slide (1), hinge (1)
JOINTS = """<mujoco><worldbody>
  <body name="free"><freejoint name="free"/><geom size="0.1"/></body>
  <body name="ball" pos="1 0 0"><joint name="ball" type="ball"/><geom size="0.1"/></body>
  <body name="slide" pos="2 0 0"><joint name="slide" type="slide"/><geom size="0.1"/></body>
  <body name="hinge" pos="3 0 0"><joint name="hinge" type="hinge"/><geom size="0.1"/></body>
</worldbody></mujoco>"""


def test_the_mended_joint_helpers_set_each_joint_types_own_slice_of_qpos() -> None:
    model = mujoco.MjModel.from_xml_string(JOINTS)
    data = mujoco.MjData(model)
    helpers = robotics.mujoco_utils
    helpers.set_joint_qpos(model, data, "free", np.arange(7.0))
    helpers.set_joint_qpos(model, data, "ball", [1.0, 0.0, 0.0, 0.0])
    helpers.set_joint_qpos(model, data, "slide", 0.25)
    helpers.set_joint_qpos(model, data, "hinge", -0.5)
    np.testing.assert_array_equal(data.qpos, [*range(7), 1.0, 0.0, 0.0, 0.0, 0.25, -0.5])
    helpers.set_joint_qvel(model, data, "slide", 2.0)
    assert helpers.get_joint_qpos(model, data, "hinge").tolist() == [-0.5]
    assert data.qvel[6 + 3] == 2.0  # after the free joint's 6 dofs and the ball's 3


def test_the_mend_applies_only_where_mujocos_enum_fails_numpys_comparison() -> None:
    mended = isinstance(robotics.mujoco_utils.mujoco, robotics.IntJointTypes)
    assert mended is not robotics.joint_types_compare_with_numpy()


def test_fetch_reach_makes_steps_and_reports_success_with_the_goal_env_dict() -> None:
    env = make_env(FETCH)
    try:
        observation, _ = env.reset(seed=0)
        assert {key: value.shape for key, value in observation.items()} == {
            "observation": (10,), "achieved_goal": (3,), "desired_goal": (3,)}
        observation, reward, terminated, truncated, info = env.step(np.zeros(4, np.float32))
        assert reward == env.unwrapped.compute_reward(
            observation["achieved_goal"], observation["desired_goal"], info) == -1.0
        assert info["is_success"] == 0.0 and not terminated and not truncated
    finally:
        env.close()


@pytest.mark.parametrize("steps", [30, 49])  # mid-episode; the step before its time limit
def test_a_restored_fetch_env_continues_its_episodes_exactly(steps: int) -> None:
    actions = np.random.default_rng(0).uniform(-1.0, 1.0, (steps + 80, 4))
    played, resumed = make_env(FETCH), make_env(FETCH)
    try:
        played.reset(seed=3)
        resumed.reset(seed=99)
        for action in actions[:steps]:
            played.step(action)
        restore(resumed, snapshot(played))
        for action in actions[steps:]:  # across the time limit and the next reset
            a, b = played.step(action), resumed.step(action)
            for key in a[0]:
                np.testing.assert_array_equal(a[0][key], b[0][key])
            assert a[1:4] == b[1:4]
            if a[2] or a[3]:
                a, b = played.reset(), resumed.reset()
                for key in a[0]:
                    np.testing.assert_array_equal(a[0][key], b[0][key])
    finally:
        played.close()
        resumed.close()
