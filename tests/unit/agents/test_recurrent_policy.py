"""Recurrent (LSTM) actor-critics: the state carried per env while acting and reset only where
an episode ends, evaluation's own state, and burn-in steps that give no loss."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from coachrl.agents.a3c import A3CAlgorithmParams, A3CParams
from coachrl.agents.clipped_ppo import ClippedPPOAlgorithmParams, ClippedPPOParams
from coachrl.agents.dqn import DQNParams
from coachrl.backend import make_backend
from coachrl.core import batch as B
from coachrl.core.batch import StepResult
from coachrl.core.steps import EnvSteps, Episodes
from coachrl.errors import ConfigError
from coachrl.networks import ClippedSurrogateLoss, DiscretePolicyHead, ValueLoss, VHead
from coachrl.networks.spec import LSTMMiddleware, NetworkSpec, OptimizerSpec, VectorEmbedder
from coachrl.params import (
    AgentParams,
    EnvironmentParams,
    MiddlewareKind,
    NetworkParams,
    Preset,
    RunParams,
    ScheduleParams,
    Validation,
)
from coachrl.runtime.loop import Trainer
from coachrl.runtime.run_dir import create_run_dir

LSTM = NetworkParams(hidden_sizes=(8,), middleware=MiddlewareKind.LSTM, lstm_size=6,
                     separate_towers=True)


def _preset(tmp_path: Path, agent: AgentParams, *, n_envs: int = 3) -> Preset:
    return Preset(agent=agent, env=EnvironmentParams(env_id="CartPole-v1", n_envs=n_envs),
                  schedule=ScheduleParams(improve_steps=EnvSteps(192),
                                          evaluation_period=EnvSteps(96),
                                          evaluation_episodes=Episodes(2)),
                  validation=Validation(min_reward=475.0, max_env_steps=EnvSteps(192)),
                  run=RunParams(experiment_dir=str(tmp_path)), name="LSTM_test")


def _ppo(**algorithm) -> ClippedPPOParams:
    return ClippedPPOParams(algorithm=ClippedPPOAlgorithmParams(
        rollout_length=16, epochs=2, batch_size=16, **algorithm), network=LSTM)


def _trainer(tmp_path: Path, agent: AgentParams, **kwargs) -> Trainer:
    preset = _preset(tmp_path, agent, **kwargs)
    return Trainer(preset, run_dir=create_run_dir(preset), console=False, log=False)


def _observations(seed: int, count: int = 3) -> np.ndarray:
    return np.random.default_rng(seed).normal(scale=0.5, size=(count, 4)).astype(np.float32)


def test_state_is_carried_per_env_and_reset_only_for_the_env_whose_episode_ended(
        tmp_path: Path) -> None:
    agent = _trainer(tmp_path, _ppo()).agent
    network = agent.acting
    first, second, third = _observations(0), _observations(1), _observations(2)
    info = agent.act(first, step=0, explore=True)
    assert not info.extras[B.RECURRENT_STATE].any()  # every env starts from zeros
    after_first = network.predict(first, info.extras[B.RECURRENT_STATE])[B.RECURRENT_STATE]
    info = agent.act(second, step=0, explore=True)
    np.testing.assert_array_equal(info.extras[B.RECURRENT_STATE], after_first)
    after_second = network.predict(second, after_first)
    # the values and log-probs the rollout keeps are those of the state the step acted from
    np.testing.assert_allclose(info.extras[B.VALUES], after_second["value"], rtol=1e-6)
    # env 1 just performed its autoreset step: only its state is forgotten
    agent.forget_ended_episodes(StepResult(
        third, np.zeros(3, np.float32), np.zeros(3, bool), np.zeros(3, bool),
        np.array([True, False, True])))
    state = agent.act(third, step=0, explore=True).extras[B.RECURRENT_STATE]
    assert not state[1].any()
    np.testing.assert_array_equal(state[[0, 2]], after_second[B.RECURRENT_STATE][[0, 2]])
    assert np.abs(state[[0, 2]]).min(axis=1).max() > 0


def test_evaluation_acts_from_its_own_state_and_leaves_the_training_state_alone(
        tmp_path: Path) -> None:
    agent = _trainer(tmp_path, _ppo()).agent
    agent.act(_observations(0), step=0, explore=True)
    training = agent.act(_observations(1), step=0, explore=True).extras[B.RECURRENT_STATE]
    carried = agent.acting.predict(_observations(1), training)[B.RECURRENT_STATE]
    agent.start_evaluation(2)
    deterministic = agent.act(_observations(5, 2), step=0, explore=False)
    expected = agent.acting.predict(_observations(5, 2))["policy"].argmax(axis=1)
    np.testing.assert_array_equal(deterministic.actions, expected)  # from zeros
    agent.act(_observations(6, 2), step=0, explore=False)
    state = agent.act(_observations(2), step=0, explore=True).extras[B.RECURRENT_STATE]
    np.testing.assert_array_equal(state, carried)


def _sequence_network():
    spec = NetworkSpec(embedder=VectorEmbedder(input_size=3),
                       middleware=LSTMMiddleware(hidden_sizes=(8,), lstm_size=5),
                       heads=(DiscretePolicyHead(n_actions=2, loss=ClippedSurrogateLoss(
                           normalize_advantages=False)), VHead(loss=ValueLoss())))
    backend = make_backend("torch")
    backend.seed(0)
    return backend.build(spec, optimizer=OptimizerSpec(learning_rate=1e-3))


def _sequence_batch(rng: np.random.Generator, *, sequences: int = 2, width: int = 6,
                    burn_in: int = 2) -> dict[str, np.ndarray]:
    rows = sequences * width
    mask = np.tile(np.arange(width) >= burn_in, sequences)
    return {B.OBSERVATIONS: rng.normal(size=(rows, 3)).astype(np.float32),
            B.ACTIONS: rng.integers(0, 2, rows), B.LOG_PROBS: np.full(rows, -0.7, np.float32),
            B.ADVANTAGES: rng.normal(size=rows).astype(np.float32),
            B.RETURNS: rng.normal(size=rows).astype(np.float32),
            B.OLD_VALUES: np.zeros(rows, np.float32),
            B.RECURRENT_STATE: rng.normal(size=(sequences, 10)).astype(np.float32),
            B.EPISODE_STARTS: np.zeros(rows, bool), B.LOSS_MASK: mask}


def _flat(gradients: dict[str, np.ndarray]) -> np.ndarray:
    return np.concatenate([g.ravel() for g in gradients.values()])


def test_burn_in_steps_warm_the_state_but_give_no_loss() -> None:
    network = _sequence_network()
    batch = _sequence_batch(np.random.default_rng(0))
    reference = _flat(network.compute_gradients(batch))
    burn_in = ~batch[B.LOSS_MASK]
    changed = dict(batch)
    for key in (B.ADVANTAGES, B.RETURNS):  # targets at burn-in steps: no effect
        changed[key] = np.where(burn_in, 50.0, batch[key]).astype(np.float32)
    changed[B.ACTIONS] = np.where(burn_in, 1 - batch[B.ACTIONS], batch[B.ACTIONS])
    np.testing.assert_allclose(_flat(network.compute_gradients(changed)), reference,
                               rtol=1e-5, atol=1e-7)
    # their observations do matter: they set the state the trained steps start from
    warmed = dict(batch)
    warmed[B.OBSERVATIONS] = np.where(burn_in[:, None], 3.0, batch[B.OBSERVATIONS])
    warmed[B.OBSERVATIONS] = warmed[B.OBSERVATIONS].astype(np.float32)
    assert np.abs(_flat(network.compute_gradients(warmed)) - reference).max() > 1e-4
    # and the trained steps' targets do too
    moved = dict(batch)
    moved[B.RETURNS] = np.where(burn_in, batch[B.RETURNS], 50.0).astype(np.float32)
    assert np.abs(_flat(network.compute_gradients(moved)) - reference).max() > 1e-3


@pytest.mark.parametrize("agent", [
    _ppo(sequence_length=8, burn_in=4),
    A3CParams(algorithm=A3CAlgorithmParams(rollout_length=8), network=LSTM),
], ids=["clipped_ppo", "a3c"])
def test_recurrent_actor_critics_train_on_sequences(agent: AgentParams, tmp_path: Path) -> None:
    trainer = _trainer(tmp_path, agent)
    before = trainer.agent.weights()["main"]
    outcome = trainer.run()
    assert outcome.counters.env_steps >= 192
    assert np.isfinite(trainer.last_metrics["loss/total"])
    after = trainer.agent.weights()["main"]
    cell = next(key for key in after if key.endswith("weight_hh"))
    assert np.abs(after[cell] - before[cell]).max() > 0  # the LSTM itself learnt


def test_an_agent_that_keeps_no_state_refuses_an_lstm(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="middleware='lstm'"):
        _trainer(tmp_path, DQNParams(network=LSTM))


def test_layers_after_the_lstm_need_the_lstm_middleware() -> None:
    with pytest.raises(ConfigError, match=r"post_lstm_sizes=\[64\] needs middleware='lstm'"):
        NetworkParams(post_lstm_sizes=(64,))
    with pytest.raises(ConfigError, match="post_lstm_sizes=0 is out of range"):
        NetworkParams(middleware=MiddlewareKind.LSTM, post_lstm_sizes=(0,))


@pytest.mark.parametrize("post_sizes", [(), (7,)])
def test_the_learner_unrolls_each_rollout_through_the_states_it_was_acted_with(
        post_sizes: tuple[int, ...], tmp_path: Path) -> None:
    """Before a rollout's first update, the learner's unrolled sequences (whole rollouts here,
    as the preset trains them: stored state at the first step, zeroed where an episode begins)
    give the values and log-probs the acting network computed step by step; episodes end inside
    rollouts by termination and by truncation (a 10-step time limit)."""
    network = NetworkParams(hidden_sizes=(8,), middleware=MiddlewareKind.LSTM, lstm_size=6,
                            post_lstm_sizes=post_sizes, separate_towers=True)
    agent_params = ClippedPPOParams(algorithm=ClippedPPOAlgorithmParams(
        rollout_length=16, epochs=2, batch_size=48), network=network)
    preset = dataclasses.replace(_preset(tmp_path, agent_params),
                                 env=EnvironmentParams(env_id="CartPole-v1", n_envs=3,
                                                       max_episode_steps=10))
    trainer = Trainer(preset, run_dir=create_run_dir(preset), console=False, log=False)
    agent = trainer.agent
    checked = {"batches": 0, "starts": 0, "truncations": 0}
    sequence_minibatches = agent.buffer.sequence_minibatches

    def compare(*args, **kwargs):
        buffer = agent.buffer
        checked["truncations"] += int((buffer.dones & ~buffer.terminated).sum())
        for batch in sequence_minibatches(*args, **kwargs):
            if agent.train_steps % agent.params.algorithm.epochs == 0:  # weights as acted
                out = _unrolled(agent.main, batch)
                mask = batch[B.LOSS_MASK]
                behaviour = agent.behaviour_of(out, batch[B.ACTIONS])
                np.testing.assert_allclose(behaviour[B.VALUES][mask], batch[B.OLD_VALUES][mask],
                                           rtol=1e-5, atol=1e-5)
                np.testing.assert_allclose(behaviour[B.LOG_PROBS][mask],
                                           batch[B.LOG_PROBS][mask], rtol=1e-5, atol=1e-5)
                checked["batches"] += 1
                checked["starts"] += int(batch[B.EPISODE_STARTS].sum())
            yield batch

    agent.buffer.sequence_minibatches = compare  # type: ignore[method-assign]
    trainer.run()
    assert checked["batches"] >= 3 and checked["starts"] >= 3 and checked["truncations"] >= 3


def _unrolled(network, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The torch learner's forward over a batch of sequences, at every step."""
    import torch

    with torch.no_grad():
        out, _ = network.model.forward_recurrent(
            torch.as_tensor(batch[B.OBSERVATIONS]), torch.as_tensor(batch[B.RECURRENT_STATE]),
            torch.as_tensor(batch[B.EPISODE_STARTS]))
    return {name: value.numpy() for name, value in out.items()}
