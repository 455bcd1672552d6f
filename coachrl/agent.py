"""Agent base classes: what the runtime calls, and the shared machinery of the two big families.

    info = agent.act(observations, step=env_steps, explore=True)
    result, finished = env.step(info.actions)
    agent.observe(observations, info, result)
    if agent.ready_to_train(env_steps):
        metrics = agent.train(env_steps)

``ValueOptimizationAgent`` (DQN family: replay + e-greedy + target network) and
``PolicyOptimizationAgent`` (PPO/A2C family: rollout buffer + stochastic policy) hold all the
bookkeeping; a concrete agent adds its params, its heads and one ``learn_from_batch``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from coachrl.backend import Backend, Network, State
from coachrl.core import batch as B
from coachrl.core.batch import ActionInfo, StepResult
from coachrl.core.distributions import categorical_log_prob, gaussian_log_prob
from coachrl.core.metrics import MetricMeans
from coachrl.core.spaces import (
    BoxActions,
    DiscreteActions,
    EnvSpaces,
    action_layout,
    with_image_channels,
)
from coachrl.errors import ConfigError, IncompatibleSpaces
from coachrl.exploration import Categorical, EGreedy, ExplorationPolicy, ExplorationState
from coachrl.memories import (
    Column,
    FrameReplay,
    NStepBuilder,
    PrioritizedFrameReplay,
    PrioritizedReplay,
    ReplayBuffer,
    RolloutBuffer,
    transition_columns,
)
from coachrl.networks.heads import Distribution
from coachrl.networks.spec import (
    DiscretePolicyHead,
    FCMiddleware,
    GaussianPolicyHead,
    HeadSpec,
    NetworkSpec,
    OptimizerSpec,
    VHead,
    embedder_for,
)
from coachrl.params.base import AgentParams, AlgorithmParams, MemoryParams
from coachrl.params.check import at_most, in_range, positive


@dataclass(slots=True, kw_only=True)
class AgentContext:
    """What the runtime hands every agent at construction."""

    spaces: EnvSpaces
    n_envs: int
    learner: Backend  # trains (torch)
    actor: Backend  # acts (numpy or torch)
    rng: np.random.Generator
    total_steps: int  # improve_steps, for decaying schedules


class Agent(ABC):
    """Base of every agent: owns networks by name, an acting copy, and the learning-rate decay."""

    params: AgentParams
    supported_actions: ClassVar[tuple[type, ...]] = (DiscreteActions, BoxActions)

    def __init__(self, params: AgentParams, context: AgentContext) -> None:
        if not isinstance(context.spaces.action, self.supported_actions):
            names = " or ".join(t.__name__ for t in self.supported_actions)
            raise IncompatibleSpaces(
                f"{type(self).__name__} needs {names} actions, but the env has "
                f"{context.spaces.action}"
            )
        self.params = params
        self.context = context
        self.spaces = context.spaces
        self.rng = context.rng
        self.networks: dict[str, Network] = {}
        self.train_steps = 0
        self.exploration: ExplorationPolicy | None = None
        self.exploration_state: ExplorationState = {}  # per-env memory of the policy, if any

    # -- building blocks -------------------------------------------------------------------
    def network_spec(self, heads: tuple[HeadSpec, ...]) -> NetworkSpec:
        net = self.params.network
        return NetworkSpec(
            embedder=embedder_for(with_image_channels(self.spaces.observation,
                                                      net.image_channels)),
            middleware=FCMiddleware(hidden_sizes=net.hidden_sizes, activation=net.activation),
            heads=heads, separate_towers=net.separate_towers, ortho_init=net.ortho_init,
        )

    def build_network(self, name: str, spec: NetworkSpec, *, trainable: bool = True) -> Network:
        """A learner network registered under ``name`` (checkpointed with that name)."""
        p = self.params
        optimizer = OptimizerSpec(learning_rate=p.learning_rate, adam_epsilon=p.adam_epsilon,
                                  max_grad_norm=p.max_grad_norm) if trainable else None
        network = self.context.learner.build(spec, optimizer=optimizer)
        self.networks[name] = network
        return network

    def build_acting_copy(self, source: Network) -> Network:
        """The network used to act: the source itself, or a numpy copy that follows its weights."""
        if self.context.actor is self.context.learner:
            return source
        acting = self.context.actor.build(source.spec)
        acting.set_weights(source.get_weights())
        return acting

    def learning_rate(self, step: int) -> float:
        if self.params.learning_rate_decay == "linear":
            remaining = max(1.0 - step / max(self.context.total_steps, 1), 0.0)
            return self.params.learning_rate * remaining
        return self.params.learning_rate

    def apply_learning_rate(self, step: int) -> float:
        rate = self.learning_rate(step)
        for network in self.trainable_networks():
            network.set_learning_rate(rate)
        return rate

    def use_exploration(self, policy: ExplorationPolicy) -> None:
        """Act with ``policy``; its per-env state (if it keeps one) is checkpointed with the
        agent and reset where episodes end (``end_episodes``)."""
        self.exploration = policy
        self.exploration_state = policy.initial_state(self.context.n_envs)

    def end_episodes(self, result: StepResult) -> None:
        """Let a stateful exploration policy reset the envs whose episode ended this step."""
        if self.exploration is not None and self.exploration_state:
            self.exploration.end_episodes(self.exploration_state, result.dones & result.valid,
                                          self.rng)

    def trainable_networks(self) -> list[Network]:
        return [self.networks[name] for name in self.trainable]

    trainable: ClassVar[tuple[str, ...]] = ()

    # -- the runtime's calls -----------------------------------------------------------------
    @abstractmethod
    def act(self, observations: NDArray, *, step: int, explore: bool) -> ActionInfo: ...

    def random_actions(self, count: int) -> ActionInfo:
        action = self.spaces.action
        if isinstance(action, DiscreteActions):
            return ActionInfo(self.rng.integers(0, action.n, size=count), {})
        low, high = np.asarray(action.low), np.asarray(action.high)
        actions = self.rng.uniform(low, high, size=(count, action.dim)).astype(np.float32)
        return ActionInfo(actions, {})

    @abstractmethod
    def observe(self, observations: NDArray, info: ActionInfo, result: StepResult) -> None: ...

    def behaviour(self, observations: NDArray, actions: NDArray) -> dict[str, NDArray]:
        """What a learner needs of the behaviour policy for a batch of its steps (on-policy
        agents: values and log-probs); nothing by default."""
        del observations, actions
        return {}

    @abstractmethod
    def ready_to_train(self, step: int) -> bool: ...

    @abstractmethod
    def train(self, step: int) -> dict[str, float]: ...

    def between_updates(self) -> bool:
        """False while the agent holds steps it will train on as one batch (an on-policy
        rollout): an evaluation that falls due then waits for that training, so it sees the
        newest policy."""
        return True

    def exploration_rate(self, step: int) -> float:
        return 0.0

    def sync_acting(self) -> None:  # noqa: B027 (an optional hook: empty by default)
        """Bring acting copies up to date after training."""

    # -- checkpointing -----------------------------------------------------------------------
    def state_dict(self) -> State:
        state: State = {"networks": {name: net.state_dict() for name, net in self.networks.items()},
                        "train_steps": self.train_steps}
        if self.exploration_state:
            state["exploration"] = {k: np.array(v) for k, v in self.exploration_state.items()}
        return state

    def load_state_dict(self, state: State) -> None:
        for name, network in self.networks.items():
            network.load_state_dict(state["networks"][name])
        self.train_steps = int(state["train_steps"])
        self.exploration_state.clear()
        self.exploration_state.update({k: np.array(v) for k, v in
                                       state.get("exploration", {}).items()})
        self.sync_acting()


@runtime_checkable
class EstimatesValues(Protocol):
    """An agent that can say what it expects a state to be worth (``coachrl.load(...).values``)."""

    def value_estimates(self, observations: NDArray) -> dict[str, NDArray]: ...


class ReplayAgent(Agent):
    """Base of off-policy agents: a replay memory of the columns the agent declares, optional
    n-step transitions (``memory.n_step``), and the env steps since the last training call,
    all carried by checkpoints (the memory's contents when ``memory.save_in_checkpoint``).

    A subclass declares extra columns with ``extra_columns()`` and fills them per step in
    ``step_extras`` (by default from ``ActionInfo.extras``); ``observe`` stores them with every
    transition, n-step or not.
    """

    memory: ReplayBuffer

    def __init__(self, params: AgentParams, context: AgentContext, *,
                 memory: MemoryParams) -> None:
        super().__init__(params, context)
        self.memory_params = memory
        self._steps_since_train = 0
        carried = self.memory_columns()
        self.n_step: NStepBuilder | None = None
        if memory.n_step > 1:
            step_columns = [c for c in carried if c.name not in NSTEP_COMPUTED]
            self.n_step = NStepBuilder(n=memory.n_step, discount=params.algorithm.discount,
                                       n_envs=context.n_envs, columns=step_columns)
            carried = (*carried, Column(B.DISCOUNTS))
        layout: dict[str, Any] = {"capacity": memory.capacity, "columns": carried}
        if memory.kind == "prioritized":
            layout["priority_exponent"] = memory.priority_exponent
        if memory.store_frames_once:
            observation = with_image_channels(self.spaces.observation,
                                              params.network.image_channels)
            if not observation.is_image:
                raise ConfigError(f"memory.store_frames_once=true needs stacked image "
                                  f"observations; this env's are {observation.shape}")
            layout["stack_axis"] = 0 if observation.channels_first else -1
            self.memory = (PrioritizedFrameReplay(**layout) if memory.kind == "prioritized"
                           else FrameReplay(**layout))
        else:
            self.memory = (PrioritizedReplay(**layout) if memory.kind == "prioritized"
                           else ReplayBuffer(**layout))

    def extra_columns(self) -> tuple[Column, ...]:
        """Columns this agent stores beside (s, a, r, s', terminated); none by default."""
        return ()

    def memory_columns(self) -> tuple[Column, ...]:
        shape, dtype = action_layout(self.spaces)
        observation = self.spaces.observation
        return transition_columns(observation_shape=observation.shape,
                                  observation_dtype=observation.dtype, action_shape=shape,
                                  action_dtype=dtype, extra=self.extra_columns())

    def stored_actions(self, actions: NDArray) -> NDArray:
        """The actions as the memory keeps them (SAC keeps them in [-1, 1])."""
        return actions

    def step_extras(self, info: ActionInfo) -> dict[str, NDArray]:
        """Per-env values [N, ...] of the extra columns for one step."""
        return {column.name: info.extras[column.name] for column in self.extra_columns()}

    def observe(self, observations: NDArray, info: ActionInfo, result: StepResult) -> None:
        valid = result.valid
        self._steps_since_train += int(valid.sum())
        self.end_episodes(result)
        step = {B.OBSERVATIONS: observations, B.ACTIONS: self.stored_actions(info.actions),
                **self.step_extras(info)}
        if self.n_step is not None:
            self.memory.add(self.n_step.add(
                step, rewards=result.rewards, next_observations=result.observations,
                terminated=result.terminated, truncated=result.truncated, valid=valid))
            return
        transitions = {key: value[valid] for key, value in step.items()}
        transitions[B.REWARDS] = result.rewards[valid]
        transitions[B.NEXT_OBSERVATIONS] = result.observations[valid]
        transitions[B.TERMINATED] = result.terminated[valid]
        self.memory.add(transitions)

    def state_dict(self) -> State:
        state = super().state_dict()
        state["steps_since_train"] = self._steps_since_train
        if self.n_step is not None:  # partial sequences: exact resume needs them
            state["n_step"] = self.n_step.state_dict()
        if self.memory_params.save_in_checkpoint:
            state["memory"] = self.memory.state_dict()
        return state

    def load_state_dict(self, state: State) -> None:
        super().load_state_dict(state)
        self._steps_since_train = int(state["steps_since_train"])
        if self.n_step is not None:
            self.n_step.load_state_dict(state["n_step"])
        if "memory" in state:
            self.memory.load_state_dict(state["memory"])


NSTEP_COMPUTED = frozenset({B.REWARDS, B.NEXT_OBSERVATIONS, B.TERMINATED})  # built by n-step


# ------------------------------------------------------------------------------------------
@dataclass(slots=True, kw_only=True)
class ValueOptimizationAlgorithmParams(AlgorithmParams):
    """Replay sampling and target-network settings shared by the DQN family."""

    batch_size: int = 64  # transitions per gradient step
    train_frequency: int = 4  # env steps between training calls
    gradient_steps: int = 1  # gradient steps per training call
    learning_starts: int = 1_000  # env steps before the first update
    target_update_period: int = 1_000  # gradient steps between target updates
    target_update_tau: float = 1.0  # 1 = hard copy, < 1 = soft (Polyak) update every step
    noise_resample_period: int = 1  # noisy heads: env steps between new acting noise

    def __post_init__(self) -> None:
        AlgorithmParams.__post_init__(self)
        for name in ("batch_size", "train_frequency", "gradient_steps", "target_update_period",
                     "noise_resample_period"):
            positive(name, getattr(self, name))
        in_range("target_update_tau", self.target_update_tau, 0.0, 1.0, low_open=True)


@dataclass(slots=True, kw_only=True)
class ValueOptimizationParams(AgentParams):
    """An algorithm, a replay memory and e-greedy exploration."""

    algorithm: ValueOptimizationAlgorithmParams = field(
        default_factory=ValueOptimizationAlgorithmParams)
    memory: MemoryParams = field(default_factory=MemoryParams)
    exploration: ExplorationPolicy = field(default_factory=EGreedy)

    def __post_init__(self) -> None:
        AgentParams.__post_init__(self)
        at_most("algorithm.batch_size", self.algorithm.batch_size, "memory.capacity",
                self.memory.capacity)


class ValueOptimizationAgent(ReplayAgent):
    """Off-policy value learning: online/target networks, uniform replay, e-greedy acting."""

    params: ValueOptimizationParams
    supported_actions = (DiscreteActions,)
    trainable = ("online",)

    def __init__(self, params: ValueOptimizationParams, context: AgentContext) -> None:
        super().__init__(params, context, memory=params.memory)
        spec = self.network_spec(self.heads())
        self.q_name = spec.heads[0].name
        self.online = self.build_network("online", spec)
        self.target = self.build_network("target", spec, trainable=False)
        self.online.copy_to(self.target)
        self.acting = self.build_acting_copy(self.online)
        self.use_exploration(params.exploration)
        # NoisyNet heads (Fortunato et al. 2018): acting noise is redrawn every
        # ``noise_resample_period`` env steps, each gradient step trains under fresh noise, and
        # evaluation acts with the means
        self.noisy = any(head.is_noisy() for head in spec.heads)
        self._noise_epoch = -1

    @abstractmethod
    def heads(self) -> tuple[HeadSpec, ...]: ...

    @abstractmethod
    def learn_from_batch(self, batch: dict[str, NDArray]) -> dict[str, float]: ...

    def q_values(self, observations: NDArray) -> NDArray:
        return self.acting.predict(observations)[self.q_name]

    def value_estimates(self, observations: NDArray) -> dict[str, NDArray]:
        """Q(s, .) of the acting network (with noisy layers: their means)."""
        if self.noisy:
            self.acting.set_noise(False)
        return {"q": self.q_values(observations)}

    def act(self, observations: NDArray, *, step: int, explore: bool) -> ActionInfo:
        if self.noisy:
            self.acting.set_noise(explore)
            epoch = step // self.params.algorithm.noise_resample_period
            if explore and epoch != self._noise_epoch:
                self.acting.resample_noise(self.rng)
                self._noise_epoch = epoch
        actions, _ = self.params.exploration.select(
            self.q_values(observations), step=step, rng=self.rng, explore=explore,
            state=self.exploration_state)
        return ActionInfo(actions, {})

    def exploration_rate(self, step: int) -> float:
        return self.params.exploration.epsilon(step)

    def ready_to_train(self, step: int) -> bool:
        p = self.params.algorithm
        return (step >= p.learning_starts and len(self.memory) >= p.batch_size
                and self._steps_since_train >= p.train_frequency)

    def train(self, step: int) -> dict[str, float]:
        p = self.params.algorithm
        self._steps_since_train = 0
        self.apply_learning_rate(step)
        metrics = MetricMeans()
        for _ in range(p.gradient_steps):
            if self.noisy:  # fresh noise for the online and target networks of this step
                self.online.set_noise(True)
                self.online.resample_noise(self.rng)
                self.target.resample_noise(self.rng)
            metrics.add(self.learn_from_batch(self.sample(step)))
            self.train_steps += 1
            if p.target_update_tau < 1.0 or self.train_steps % p.target_update_period == 0:
                self.online.copy_to(self.target, tau=p.target_update_tau)
        self.sync_acting()
        return metrics.means()

    def sample(self, step: int) -> dict[str, NDArray]:
        """A training batch; from prioritised replay it carries ``weights`` and ``indices``."""
        size = self.params.algorithm.batch_size
        if not isinstance(self.memory, PrioritizedReplay):
            return self.memory.sample(size, self.rng)
        start = self.params.memory.importance_exponent
        fraction = min(step / max(self.context.total_steps, 1), 1.0)
        return self.memory.sample(size, self.rng,
                                  importance_exponent=start + fraction * (1.0 - start))

    def update_priorities(self, batch: dict[str, NDArray], targets: NDArray) -> None:
        """Give sampled transitions priority |target - Q(s, a)| (prioritised replay only; a
        batch not drawn from the memory has no ``indices`` and changes nothing)."""
        if isinstance(self.memory, PrioritizedReplay) and B.INDICES in batch:
            q = self.online.predict(batch[B.OBSERVATIONS])[self.q_name]  # [batch, actions]
            taken = np.take_along_axis(q, batch[B.ACTIONS][:, None].astype(np.int64), 1)[:, 0]
            self.memory.update_priorities(batch[B.INDICES], targets - taken)

    def sync_acting(self) -> None:
        if self.acting is not self.online:
            self.acting.set_weights(self.online.get_weights())

    def state_dict(self) -> State:
        state = super().state_dict()
        if self.noisy:  # the acting noise of now, and when it was drawn: exact resume
            state["acting_noise"] = {key: value for key, value in self.acting.get_weights().items()
                                     if key.endswith(NOISE_BUFFERS)}
            state["noise_epoch"] = self._noise_epoch
        return state

    def load_state_dict(self, state: State) -> None:
        super().load_state_dict(state)
        if self.noisy and "acting_noise" in state:
            self.acting.set_weights(self.acting.get_weights() | dict(state["acting_noise"]))
            self._noise_epoch = int(state["noise_epoch"])


NOISE_BUFFERS = (".noise_in", ".noise_out")  # NoisyNet layers' current noise, in the weights

# ------------------------------------------------------------------------------------------
@dataclass(slots=True, kw_only=True)
class PolicyOptimizationAlgorithmParams(AlgorithmParams):
    """Rollout length, GAE and epoch/minibatch settings of on-policy actor-critics."""

    rollout_length: int = 2048  # env steps per env between updates
    gae_lambda: float = 0.95  # GAE lambda; 1 = Monte Carlo, 0 = one-step TD
    epochs: int = 10  # passes over each rollout
    batch_size: int = 64  # minibatch size

    def __post_init__(self) -> None:
        AlgorithmParams.__post_init__(self)
        in_range("gae_lambda", self.gae_lambda, 0.0, 1.0)
        for name in ("rollout_length", "epochs", "batch_size"):
            positive(name, getattr(self, name))


@dataclass(slots=True, kw_only=True)
class PolicyOptimizationParams(AgentParams):
    """An on-policy algorithm acting with its own stochastic policy."""

    algorithm: PolicyOptimizationAlgorithmParams = field(
        default_factory=PolicyOptimizationAlgorithmParams)
    exploration: ExplorationPolicy = field(default_factory=Categorical)


class PolicyOptimizationAgent(Agent):
    """On-policy actor-critic: one network with a policy head and a value head, a rollout buffer."""

    params: PolicyOptimizationParams
    trainable = ("main",)

    def __init__(self, params: PolicyOptimizationParams, context: AgentContext) -> None:
        super().__init__(params, context)
        self.policy_head, self.value_head = self.heads()
        spec = self.network_spec((self.policy_head, self.value_head))
        self.main = self.build_network("main", spec)
        self.acting = self.build_acting_copy(self.main)
        self.use_exploration(params.exploration)
        shape, dtype = action_layout(self.spaces)
        self.buffer = RolloutBuffer(
            horizon=params.algorithm.rollout_length, n_envs=context.n_envs,
            observation_shape=self.spaces.observation.shape,
            observation_dtype=self.spaces.observation.dtype, action_shape=shape,
            action_dtype=dtype,
        )
        self._last_observations: NDArray | None = None

    @abstractmethod
    def heads(self) -> tuple[DiscretePolicyHead | GaussianPolicyHead, VHead]: ...

    @abstractmethod
    def learn_from_batch(self, batch: dict[str, NDArray], *, step: int) -> dict[str, float]: ...

    def act(self, observations: NDArray, *, step: int, explore: bool) -> ActionInfo:
        """Actions only: the values and log-probs a rollout needs are computed for all of its
        steps at once when it is complete (``behaviour``), with the same acting weights."""
        out = self.acting.predict(observations)
        head = self.policy_head
        log_std = (out[head.distribution_outputs()[1]] if head.distribution is Distribution.GAUSSIAN
                   else None)
        actions = self.params.exploration.actions(out[head.name], step=step, rng=self.rng,
                                                  explore=explore, log_std=log_std,
                                                  state=self.exploration_state)
        return ActionInfo(actions, {})

    def value_estimates(self, observations: NDArray) -> dict[str, NDArray]:
        """V(s) of the acting network."""
        return {"value": self.acting.predict(observations)[self.value_head.name]}

    def behaviour(self, observations: NDArray, actions: NDArray) -> dict[str, NDArray]:
        """V(s) and log pi(a|s) under the acting policy, for a batch of steps [B, ...]."""
        out = self.acting.predict(observations)
        head = self.policy_head
        if head.distribution is Distribution.GAUSSIAN:
            log_probs = gaussian_log_prob(actions, *(out[n] for n in head.distribution_outputs()))
        else:
            log_probs = categorical_log_prob(out[head.name], actions.astype(np.int64))
        return {B.VALUES: out[self.value_head.name], B.LOG_PROBS: log_probs}

    def observe(self, observations: NDArray, info: ActionInfo, result: StepResult) -> None:
        self.end_episodes(result)
        self.buffer.add(observations=observations, actions=info.actions,
                        values=info.extras.get(B.VALUES), log_probs=info.extras.get(B.LOG_PROBS),
                        rewards=result.rewards, terminated=result.terminated,
                        dones=result.dones, valid=result.valid)
        self._last_observations = result.observations

    def ready_to_train(self, step: int) -> bool:
        return self.buffer.full

    def between_updates(self) -> bool:
        return self.buffer.step == 0

    def finish_rollout(self) -> None:
        """Behaviour values and log-probs where the steps came without them, then GAE."""
        p, buffer = self.params.algorithm, self.buffer
        assert self._last_observations is not None
        if not buffer.has_behaviour:
            flat = buffer.observations.reshape(-1, *buffer.observations.shape[2:])
            actions = buffer.actions.reshape(-1, *buffer.actions.shape[2:])
            buffer.set_behaviour(**self.behaviour(flat, actions))
        last_values = self.acting.predict(self._last_observations)[self.value_head.name]
        buffer.finish(last_values=last_values, discount=p.discount, gae_lambda=p.gae_lambda)

    def train(self, step: int) -> dict[str, float]:
        p = self.params.algorithm
        self.finish_rollout()
        self.apply_learning_rate(step)
        metrics = MetricMeans()
        for _ in range(p.epochs):
            for batch in self.buffer.minibatches(p.batch_size, self.rng):
                metrics.add(self.learn_from_batch(batch, step=step))
                self.train_steps += 1
        self.buffer.reset()
        self.sync_acting()
        return metrics.means()

    def sync_acting(self) -> None:
        if self.acting is not self.main:
            self.acting.set_weights(self.main.get_weights())

    def state_dict(self) -> State:
        state = super().state_dict()
        state["buffer"] = self.buffer.state_dict()
        if self._last_observations is not None:
            state["last_observations"] = np.asarray(self._last_observations)
        return state

    def load_state_dict(self, state: State) -> None:
        super().load_state_dict(state)
        self.buffer.load_state_dict(state["buffer"])
        self._last_observations = state.get("last_observations")
