"""The value family's targets on hand-computed cases: each agent is built on CartPole, its
networks' predictions replaced by fixed arrays, and the batch it trains on is captured."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from coachrl.agents.bootstrapped_dqn import BootstrappedAlgorithmParams, BootstrappedDQNParams
from coachrl.agents.c51 import C51AlgorithmParams, C51Params
from coachrl.agents.ddqn import DDQNParams
from coachrl.agents.dqn import DQNAlgorithmParams, DQNParams
from coachrl.agents.munchausen_dqn import MunchausenAlgorithmParams, MunchausenDQNParams
from coachrl.agents.pal import PALAlgorithmParams, PALParams
from coachrl.agents.qr_dqn import QRDQNAlgorithmParams, QRDQNParams
from coachrl.core import batch as B
from coachrl.core.batch import ActionInfo
from coachrl.core.steps import EnvSteps
from coachrl.params import EnvironmentParams, NetworkParams, Preset, Validation
from coachrl.runtime.build import make_agent, make_backends, make_envs

GAMMA = 0.5


def _agent(params):
    params = dataclasses.replace(params, network=NetworkParams(hidden_sizes=(8,)))
    preset = Preset(agent=params, env=EnvironmentParams(env_id="CartPole-v1"),
                    validation=Validation(min_reward=1.0, max_env_steps=EnvSteps(10)))
    env, eval_env = make_envs(preset, eval_episodes=1)
    agent = make_agent(preset, env, *make_backends(preset))
    env.close()
    eval_env.close()
    return agent


def _targets(agent, *, target_now=None, target_next=None, online_next=None, rewards=(1.0, 2.0),
             terminated=(0.0, 1.0), actions=(0, 1)):
    """The targets ``learn_from_batch`` trains on, with the networks answering as given."""
    batch = {B.OBSERVATIONS: np.zeros((2, 4), np.float32), B.NEXT_OBSERVATIONS:
             np.ones((2, 4), np.float32), B.ACTIONS: np.array(actions),
             B.REWARDS: np.array(rewards, np.float32),
             B.TERMINATED: np.array(terminated, np.float32)}

    def answer(table):
        return lambda x: table[0] if float(x[0, 0]) == 0.0 else table[1]

    agent.target.predict = answer((target_now, target_next))
    agent.online.predict = answer((None, online_next))
    seen = {}
    agent.online.train_on_batch = lambda b: seen.update(b) or {"loss/total": 0.0}
    agent.learn_from_batch(batch)
    return seen


def test_double_q_rates_the_online_choice_with_the_target_network() -> None:
    q_next = {"q": np.array([[30.0, 20.0], [1.0, 2.0]], np.float32)}
    online = {"q": np.array([[0.0, 1.0], [1.0, 0.0]], np.float32)}  # prefers action 1, then 0
    algorithm = DQNAlgorithmParams(discount=GAMMA)
    dqn = _targets(_agent(DQNParams(algorithm=algorithm)), target_next=q_next)
    ddqn = _targets(_agent(DDQNParams(algorithm=algorithm)), target_next=q_next,
                    online_next=online)
    np.testing.assert_allclose(dqn[B.TARGETS], [1 + GAMMA * 30, 2.0])  # max of the target
    np.testing.assert_allclose(ddqn[B.TARGETS], [1 + GAMMA * 20, 2.0])  # online's a' = 1


@pytest.mark.parametrize(("persistent", "expected"), [(True, 3.0), (False, 0.3)])
def test_pal_lowers_the_target_by_the_smaller_action_gap(persistent: bool,
                                                         expected: float) -> None:
    agent = _agent(PALParams(algorithm=PALAlgorithmParams(discount=GAMMA, pal_alpha=0.9,
                                                          persistent=persistent)))
    now = {"q": np.array([[2.0, 5.0], [1.0, 4.0]], np.float32)}  # gaps of a=0: 3; of a=1: 0
    following = {"q": np.array([[4.0, 1.0], [0.0, 6.0]], np.float32)}  # a=0 is best at s'
    seen = _targets(agent, target_now=now, target_next=following)
    # y_TD = 1 + 0.5 * 4 = 3; AL: 3 - 0.9 * 3 = 0.3; PAL: 3 - 0.9 * 0 = 3
    # the terminated second sample: y_TD = 2, gap of a=1 at s is 0: AL = PAL = 2
    np.testing.assert_allclose(seen[B.TARGETS], [expected, 2.0], rtol=1e-6)


def test_munchausen_adds_the_clipped_log_policy_and_bootstraps_the_soft_value() -> None:
    tau, alpha = 0.03, 0.9
    agent = _agent(MunchausenDQNParams(algorithm=MunchausenAlgorithmParams(
        discount=GAMMA, entropy_tau=tau, munchausen_alpha=alpha)))
    even = {"q": np.zeros((2, 2), np.float32)}  # a uniform softmax policy: log pi = -log 2
    seen = _targets(agent, target_now=even, target_next=even)
    bonus = alpha * -tau * math.log(2)
    soft_value = tau * math.log(2)  # sum pi (0 - tau log pi)
    np.testing.assert_allclose(seen[B.TARGETS], [1 + bonus + GAMMA * soft_value, 2 + bonus],
                               rtol=1e-5)


def test_munchausen_clips_the_bonus_at_l0() -> None:
    agent = _agent(MunchausenDQNParams(algorithm=MunchausenAlgorithmParams(
        discount=GAMMA, entropy_tau=1.0, munchausen_alpha=1.0, log_policy_clip=-1.0)))
    lopsided = {"q": np.array([[50.0, 0.0], [0.0, 50.0]], np.float32)}  # taken a: log pi -50
    seen = _targets(agent, target_now=lopsided, target_next={"q": np.zeros((2, 2), np.float32)},
                    actions=(1, 0))
    soft_value = math.log(2)
    np.testing.assert_allclose(seen[B.TARGETS], [1 - 1 + GAMMA * soft_value, 2 - 1], rtol=1e-5)


def test_c51_projects_a_terminal_reward_onto_its_neighbouring_atoms() -> None:
    agent = _agent(C51Params(algorithm=C51AlgorithmParams(discount=GAMMA, atoms=5, v_min=0.0,
                                                          v_max=4.0)))
    logits = np.zeros((2, 2, 5), np.float32)
    out = {"q": np.full((2, 2), 2.0, np.float32), "q_logits": logits}
    seen = _targets(agent, target_next=out, rewards=(1.0, 2.5))
    # sample 0: uniform next distribution moved to 1 + 0.5 z = (1, 1.5, 2, 2.5, 3)
    np.testing.assert_allclose(seen[B.TARGETS][0], [0, 0.3, 0.4, 0.3, 0], atol=1e-6)
    np.testing.assert_allclose(seen[B.TARGETS][1], [0, 0, 0.5, 0.5, 0], atol=1e-6)  # 2.5


def test_qr_dqn_targets_are_the_rewarded_next_quantiles_of_the_best_mean() -> None:
    agent = _agent(QRDQNParams(algorithm=QRDQNAlgorithmParams(discount=GAMMA, quantiles=3)))
    quantiles = np.array([[[1.0, 2.0, 3.0], [0.0, 4.0, 8.0]]] * 2, np.float32)  # means 2, 4
    seen = _targets(agent, target_next={"q": quantiles.mean(-1), "q_quantiles": quantiles})
    np.testing.assert_allclose(seen[B.TARGETS], [[1.0, 3.0, 5.0], [2.0, 2.0, 2.0]])


def test_bootstrapped_heads_each_follow_their_own_target_under_their_masks() -> None:
    agent = _agent(BootstrappedDQNParams(algorithm=BootstrappedAlgorithmParams(
        discount=GAMMA, heads=2, mask_probability=0.5, double=False)))
    masks = agent.step_extras(ActionInfo(np.zeros(4000, np.int64), {}))[B.MASKS]
    assert masks.shape == (4000, 2) and abs(masks.mean() - 0.5) < 0.03
    assert set(np.unique(masks)) == {0.0, 1.0}
    q_next = {"q": np.array([[[1.0, 6.0], [4.0, 2.0]]] * 2, np.float32)}  # [B, heads, A]
    seen = _targets(agent, target_next=q_next)
    np.testing.assert_allclose(seen[B.TARGETS], [[1 + GAMMA * 6, 1 + GAMMA * 4], [2.0, 2.0]])


def test_n_step_q_regresses_onto_n_step_returns_bootstrapped_by_the_target_network() -> None:
    from coachrl.agents.n_step_q import NStepQAlgorithmParams, NStepQParams
    from coachrl.core.batch import StepResult

    agent = _agent(NStepQParams(algorithm=NStepQAlgorithmParams(discount=GAMMA,
                                                                rollout_length=3)))
    # Q_target(s) = [x, 2x] where x is the observation's first entry: max = 2x
    agent.target.predict = lambda obs: {"q": np.stack([obs[:, 0], 2 * obs[:, 0]], 1)}
    observations = [np.full((1, 4), float(t), np.float32) for t in range(4)]  # s_0..s_3
    for t, terminated in zip(range(3), (False, False, False), strict=True):
        agent.observe(observations[t], ActionInfo(np.array([t % 2]), {}),
                      StepResult(observations[t + 1], np.array([1.0], np.float32),
                                 np.array([terminated]), np.array([False]), np.array([True])))
    agent.finish_rollout()
    # bootstrap from max Q_target(s_3) = 6: G_2 = 1 + 0.5 * 6 = 4, G_1 = 1 + 0.5 * 4 = 3,
    # G_0 = 1 + 0.5 * 3 = 2.5
    np.testing.assert_allclose(agent.buffer.returns[:, 0], [2.5, 3.0, 4.0])
    seen = {}
    agent.online.train_on_batch = lambda b: seen.update(b) or {"loss/total": 0.0}
    agent.train(step=3)
    np.testing.assert_allclose(np.sort(seen[B.TARGETS]), [2.5, 3.0, 4.0])
    np.testing.assert_array_equal(np.sort(seen[B.ACTIONS]), [0, 0, 1])


def test_mmc_mixes_the_double_q_target_with_the_monte_carlo_return() -> None:
    from coachrl.agents.mmc import MMCAlgorithmParams, MMCParams

    agent = _agent(MMCParams(algorithm=MMCAlgorithmParams(discount=GAMMA,
                                                          monte_carlo_mixing_rate=0.25)))
    q_next = {"q": np.array([[30.0, 20.0], [1.0, 2.0]], np.float32)}
    online = {"q": np.array([[0.0, 1.0], [1.0, 0.0]], np.float32)}
    batch_returns = np.array([40.0, 2.0], np.float32)
    original = agent.learn_from_batch
    agent.learn_from_batch = lambda b: original(b | {"mc_returns": batch_returns})
    seen = _targets(agent, target_next=q_next, online_next=online)
    td = np.array([1 + GAMMA * 20, 2.0])
    np.testing.assert_allclose(seen[B.TARGETS], 0.75 * td + 0.25 * batch_returns, rtol=1e-6)
