"""The base every agent derives from: what the runtime calls, its networks and checkpoints."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from coachrl.backend import Backend, Network, State, Weights
from coachrl.core.batch import ActionInfo, StepResult
from coachrl.core.spaces import (
    BoxActions,
    DiscreteActions,
    EnvSpaces,
    with_image_channels,
)
from coachrl.errors import ConfigError, ExportError, IncompatibleSpaces
from coachrl.exploration import ExplorationPolicy, ExplorationState, GreedyAction
from coachrl.networks.spec import (
    FCMiddleware,
    HeadSpec,
    LSTMMiddleware,
    Middleware,
    NetworkSpec,
    OptimizerSpec,
    embedder_for,
)
from coachrl.params.base import AgentParams, LearningRateDecay, MiddlewareKind


@dataclass(slots=True, kw_only=True)
class AgentContext:
    """What the runtime hands every agent at construction."""

    spaces: EnvSpaces
    n_envs: int
    learner: Backend  # trains (torch)
    actor: Backend  # acts (numpy or torch)
    rng: np.random.Generator
    total_steps: int  # improve_steps, for decaying schedules


@dataclass(slots=True, frozen=True, kw_only=True)
class PolicyExport:
    """What an exported policy is made of (``coachrl export``): the network that acts, with its
    weights; the rule that turns its outputs into the deterministic action; and the outputs
    that are value estimates, by the names ``value_estimates`` gives them."""

    network: Network
    action: GreedyAction
    values: Mapping[str, str]  # e.g. {"q": "q"} or {"value": "value"}


class Agent(ABC):
    """Base of every agent: owns networks by name, an acting copy, and the learning-rate decay."""

    params: AgentParams
    supported_actions: ClassVar[tuple[type, ...]] = (DiscreteActions, BoxActions)
    carries_recurrent_state: ClassVar[bool] = False  # may act with an LSTM middleware

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
        self._acting_copies: list[tuple[Network, Network]] = []  # (source, copy) to follow

    # -- building blocks -------------------------------------------------------------------
    def network_spec(self, heads: tuple[HeadSpec, ...]) -> NetworkSpec:
        net = self.params.network
        middleware: Middleware = FCMiddleware(hidden_sizes=net.hidden_sizes,
                                              activation=net.activation)
        if net.middleware is MiddlewareKind.LSTM:
            if not self.carries_recurrent_state:
                raise ConfigError(f"network.middleware='lstm' needs an agent that carries a "
                                  f"recurrent state while acting and trains on sequences; "
                                  f"{type(self).__name__} does not (use 'fc', or an on-policy "
                                  "actor-critic: ClippedPPO, A3C)")
            middleware = LSTMMiddleware(hidden_sizes=net.hidden_sizes, activation=net.activation,
                                        lstm_size=net.lstm_size,
                                        post_sizes=net.post_lstm_sizes)
        return NetworkSpec(
            embedder=embedder_for(with_image_channels(self.spaces.observation,
                                                      net.image_channels)),
            middleware=middleware, heads=heads, separate_towers=net.separate_towers,
            ortho_init=net.ortho_init,
        )

    def build_network(self, name: str, spec: NetworkSpec, *, trainable: bool = True) -> Network:
        """A learner network registered under ``name`` (checkpointed with that name)."""
        p = self.params
        optimizer = OptimizerSpec(learning_rate=self.learning_rate(0), adam_epsilon=p.adam_epsilon,
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
        self._acting_copies.append((source, acting))
        return acting

    def learning_rate(self, step: int) -> float:
        """The optimiser's step size ``step`` env steps into the run: ``learning_rate_schedule``,
        or ``learning_rate`` decayed as ``learning_rate_decay`` says."""
        if self.params.learning_rate_schedule is not None:
            return self.params.learning_rate_schedule.value(step)
        if self.params.learning_rate_decay is LearningRateDecay.LINEAR:
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

    def forget_ended_episodes(self, result: StepResult) -> None:
        """Called after every step of the training envs (``EnvStepper``): a policy with memory
        (a recurrent network) forgets it in the envs that begin a new episode at their next
        step. Nothing by default."""
        del result

    def start_evaluation(self, n_envs: int) -> None:
        """Evaluation episodes begin in ``n_envs`` envs: a policy with memory starts them from
        its initial state, apart from the training envs' state. Nothing by default."""
        del n_envs

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

    def sync_acting(self) -> None:
        """Bring the acting copies (``build_acting_copy``) up to date after training."""
        for source, acting in self._acting_copies:
            acting.set_weights(source.get_weights())

    def weights(self) -> dict[str, Weights]:
        """The trainable networks' weights by name: what a learner sends its workers."""
        return {name: self.networks[name].get_weights() for name in self.trainable}

    def set_weights(self, weights: dict[str, Weights]) -> None:
        """Load networks' weights by name (a worker's copy of the learner's), acting copies
        included."""
        for name, network_weights in weights.items():
            self.networks[name].set_weights(network_weights)
        self.sync_acting()

    def rng_state(self) -> Mapping[str, Any]:
        """The state of the generator the agent acts and samples with."""
        return self.rng.bit_generator.state

    def set_rng_state(self, state: Mapping[str, Any]) -> None:
        self.rng.bit_generator.state = state

    # -- export ----------------------------------------------------------------------------------
    def policy_export(self) -> PolicyExport:
        """The acting network and greedy rule an exported policy runs; agents whose policy is
        more than one network's forward refuse, saying what the export would miss."""
        raise ExportError(f"{type(self).__name__} does not describe its policy for export "
                          "(it defines no policy_export); act with coachrl.load(run_dir)")

    def exported(self, network: Network, scores: str, *, values: Mapping[str, str],
                 continuous: bool = False,
                 bounds: tuple[NDArray, NDArray] | None = None) -> PolicyExport:
        """A ``PolicyExport`` of ``network`` whose output ``scores`` the agent's exploration
        policy turns into actions (without exploring); ``bounds`` maps [-1, 1] onto them."""
        assert self.exploration is not None, "use_exploration() first"
        low, high = ((None, None) if bounds is None else
                     (tuple(float(v) for v in bounds[0]), tuple(float(v) for v in bounds[1])))
        return PolicyExport(network=network, values=dict(values), action=GreedyAction(
            exploration=self.exploration, scores=scores, continuous=continuous, low=low,
            high=high))

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
class LearnsFromReplay(Protocol):
    """Learns from transitions in any order and from any source (a replay memory): rollout
    workers can act on their own and send steps as they come (Ape-X)."""

    def memory_columns(self) -> tuple[Any, ...]: ...

    def transitions(self, observations: NDArray, info: ActionInfo,
                    result: StepResult) -> dict[str, NDArray]:
        """The transitions a step completes (a rollout worker builds them)."""
        ...

    def store(self, transitions: dict[str, NDArray], *, env_steps: int,
              priorities: NDArray | None = None) -> None:
        """Add transitions built elsewhere, as ``observe`` would."""
        ...

    def initial_priorities(self, transitions: dict[str, NDArray]) -> NDArray | None: ...

    def track_transitions(self, transitions: dict[str, NDArray]) -> None:
        """A worker's copy sees the transitions it built before sending them."""
        ...

    def steps_to_training(self, step: int) -> int:
        """Env steps before the next training call can fall due (a lower bound, >= 1)."""
        ...


@runtime_checkable
class LearnsFromRollouts(Protocol):
    """Learns from whole on-policy rollouts of its envs: workers must act with the newest
    policy, in step, each a slice of the learner's rollout."""

    def rollout_length(self) -> int: ...

    def widen_rollouts(self, n_envs: int) -> None:
        """Hold rollouts ``n_envs`` envs wide (every worker's envs side by side)."""
        ...


@runtime_checkable
class LearnsFromStaleRollouts(Protocol):
    """Learns from rollouts that an older policy collected, correcting for the lag (V-trace):
    rollout workers may act asynchronously, each rollout one update (IMPALA)."""

    def rollout_length(self) -> int: ...

    def corrects_policy_lag(self) -> bool: ...


@runtime_checkable
class ComputesGradients(Protocol):
    """Turns its own rollout into a loss gradient that a learner applies (A3C's workers send
    gradients rather than steps)."""

    def rollout_gradients(self) -> dict[str, Any]: ...

    def apply_gradients(self, gradients: dict[str, Any], *, step: int) -> dict[str, float]: ...


@runtime_checkable
class EstimatesValues(Protocol):
    """An agent that can say what it expects a state to be worth (``coachrl.load(...).values``)."""

    def value_estimates(self, observations: NDArray) -> dict[str, NDArray]: ...
