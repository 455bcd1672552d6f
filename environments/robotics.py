"""Gymnasium-Robotics' goal envs (Fetch, ...): importing this module registers their ids and
mends the one place where its MuJoCo helpers break on the MuJoCo that DeepMind Control needs."""

from __future__ import annotations

import types
from typing import Any

import gymnasium_robotics  # noqa: F401  (its import registers FetchReach-v4, ...)
import mujoco
import numpy as np
from gymnasium_robotics.utils import mujoco_utils


class IntJointTypes:
    """The ``mujoco`` module as Gymnasium-Robotics' joint helpers see it, with the joint types
    as plain ints. From MuJoCo 3.16 (3.10 is still fine) ``mjtJoint.mjJNT_SLIDE == np.int32(2)``
    is False, so the helpers' ``model.jnt_type[j] in (mjJNT_HINGE, mjJNT_SLIDE)`` assertion fails
    on every hinge or slide joint and no Fetch env can be made; a plain int compares equal to
    numpy's. Everything else is the module itself."""

    mjtJoint = types.SimpleNamespace(
        **{name: int(value) for name, value in mujoco.mjtJoint.__members__.items()})

    def __getattr__(self, name: str) -> Any:
        return getattr(mujoco, name)


def joint_types_compare_with_numpy() -> bool:
    """Whether this MuJoCo's joint-type enum equals the numpy ints that ``model.jnt_type``
    holds (True up to MuJoCo 3.10; False from 3.16, 3.17 here)."""
    slide = mujoco.mjtJoint.mjJNT_SLIDE
    return np.int32(int(slide)) in (mujoco.mjtJoint.mjJNT_HINGE, slide)


def mend_joint_types() -> None:
    """Give Gymnasium-Robotics' joint helpers ints for joint types where this MuJoCo needs it
    (a MuJoCo whose enum compares with numpy ints is left alone). Idempotent."""
    if not joint_types_compare_with_numpy():
        mujoco_utils.mujoco = IntJointTypes()


mend_joint_types()
