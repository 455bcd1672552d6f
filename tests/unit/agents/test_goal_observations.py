"""Replay actor-critics on Dict observations of vectors (goal envs such as Fetch): the critics
read the fields flattened in the record's order with the action appended, in torch and numpy
alike, and images inside a Dict are refused by name."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from coachrl.agent import AgentContext
from coachrl.agents.ddpg import DDPGAgent, DDPGParams
from coachrl.agents.sac import SACAgent, SACParams
from coachrl.backend import make_backend
from coachrl.backend.torch.actor_critic import joint
from coachrl.backend.torch.network import to_tensor
from coachrl.core import batch as B
from coachrl.core.spaces import (
    BoxActions,
    EnvSpaces,
    ObservationSpace,
    dict_space,
    flat_features,
)
from coachrl.errors import IncompatibleSpaces
from coachrl.params import NetworkParams

FIELDS = (("observation", ObservationSpace(shape=(4,), dtype="float32")),
          ("achieved_goal", ObservationSpace(shape=(2,), dtype="float32")),
          ("desired_goal", ObservationSpace(shape=(2,), dtype="float32")))
GOALS = EnvSpaces(dict_space(FIELDS), BoxActions(low=(-1.0, -1.0), high=(1.0, 1.0)))
RECORD = np.dtype(GOALS.observation.dtype)


def _records(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = np.zeros(n, RECORD)
    for key, space in FIELDS:
        out[key] = rng.normal(size=(n, *space.shape))
    return out


def _context(spaces: EnvSpaces) -> AgentContext:
    backend = make_backend("torch")
    return AgentContext(spaces=spaces, n_envs=2, learner=backend, actor=backend,
                        rng=np.random.default_rng(0), total_steps=100)


def test_flat_features_concatenate_the_fields_in_the_records_order() -> None:
    records = _records(3)
    flat = flat_features(records)
    assert flat.dtype == np.float32 and flat.shape == (3, 8)
    np.testing.assert_array_equal(flat[:, :4], records["observation"])
    np.testing.assert_array_equal(flat[:, 4:6], records["achieved_goal"])
    np.testing.assert_array_equal(flat[:, 6:], records["desired_goal"])


def test_the_torch_critic_input_is_the_numpy_flat_features_with_the_action() -> None:
    records, actions = _records(5), np.full((5, 2), 0.5, np.float32)
    torch_input = joint(to_tensor(records, torch.device("cpu")), torch.as_tensor(actions))
    np.testing.assert_array_equal(torch_input.numpy(),
                                  np.concatenate([flat_features(records), actions], axis=1))


@pytest.mark.parametrize("params", [DDPGParams(network=NetworkParams(hidden_sizes=(8, 8))),
                                    SACParams(network=NetworkParams(hidden_sizes=(8, 8)))])
def test_ddpg_and_sac_act_and_train_on_dict_observations(params) -> None:
    agent = (DDPGAgent if isinstance(params, DDPGParams) else SACAgent)(params, _context(GOALS))
    actions = agent.act(_records(2), step=0, explore=True).actions
    assert actions.shape == (2, 2) and np.all(np.abs(actions) <= 1.0)
    if isinstance(agent, DDPGAgent):  # Q(s, mu(s)) through the numpy side's flat features
        assert agent.value_estimates(_records(3))["q"].shape == (3,)
    batch = {B.OBSERVATIONS: _records(16, 1), B.NEXT_OBSERVATIONS: _records(16, 2),
             B.ACTIONS: np.zeros((16, 2), np.float32), B.REWARDS: -np.ones(16, np.float32),
             B.TERMINATED: np.zeros(16, np.float32)}
    agent.prepare_training(0)
    before = [p.detach().clone() for p in agent.critic.model.parameters()]  # type: ignore[attr-defined]
    metrics = agent.learn_from_batch(batch)
    assert np.isfinite(metrics["loss/critic"])
    after = list(agent.critic.model.parameters())  # type: ignore[attr-defined]
    assert any(not torch.equal(a, b) for a, b in zip(before, after, strict=True))


def test_an_image_inside_a_dict_observation_is_refused_by_name() -> None:
    fields = (("screen", ObservationSpace(shape=(84, 84, 3), dtype="uint8")), FIELDS[0])
    spaces = EnvSpaces(dict_space(fields), BoxActions(low=(-1.0,), high=(1.0,)))
    with pytest.raises(IncompatibleSpaces, match=r"DDPGAgent needs vector observations \(or a "
                                                 r"Dict of vectors\).*screen"):
        DDPGAgent(DDPGParams(), _context(spaces))
