"""Neural Episodic Control (Pritzel et al. 2017): a learnt embedding h(s) looks up Q(s, a) in a
differentiable neural dictionary per action (coachrl.memories.dnd): the kernel-weighted values
of the keys nearest h. Each new transition writes (h(s), its n-step target) into the dictionary
of its action; training regresses the looked-up Q onto fresh n-step targets, moving both the
dictionary's values and, through the keys' kernel, the embedding network."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from coachrl.agent import AgentContext, PolicyExport, ReplayAgent, ReplayAlgorithmParams
from coachrl.backend import State, Weights
from coachrl.core import batch as B
from coachrl.core.batch import ActionInfo
from coachrl.core.returns import n_step_targets
from coachrl.core.spaces import DiscreteActions
from coachrl.errors import ExportError
from coachrl.exploration import EGreedy, ExplorationPolicy
from coachrl.memories import DifferentiableNeuralDictionary
from coachrl.networks import EmbeddingHead
from coachrl.params import AgentParams, MemoryParams
from coachrl.params.check import in_range, positive

DND = "dnd"


@dataclass(slots=True, kw_only=True)
class NECAlgorithmParams(ReplayAlgorithmParams):
    """Defaults: Pritzel et al. 2017 (50 neighbours, delta 1e-3, alpha 0.1); smaller DNDs."""

    dnd_capacity: int = 5_000  # keys per action
    key_size: int = 64  # embedding size
    neighbours: int = 50  # p nearest keys per lookup
    kernel_delta: float = 1e-3  # delta of k(h, h_i) = 1 / (||h - h_i||^2 + delta)
    insert_rate: float = 0.1  # alpha: a key written again moves its value this far to the target
    dnd_learning_rate: float = 0.1  # gradient step on the looked-up values

    def __post_init__(self) -> None:
        ReplayAlgorithmParams.__post_init__(self)
        for name in ("dnd_capacity", "key_size", "neighbours", "kernel_delta",
                     "dnd_learning_rate"):
            positive(name, getattr(self, name))
        in_range("insert_rate", self.insert_rate, 0.0, 1.0)


@dataclass(slots=True, kw_only=True)
class NECParams(AgentParams):
    """An embedding network, one dictionary per action, replay of n-step transitions."""

    agent_path: ClassVar[str] = "coachrl.agents.nec:NECAgent"
    algorithm: NECAlgorithmParams = field(default_factory=NECAlgorithmParams)
    memory: MemoryParams = field(default_factory=lambda: MemoryParams(n_step=100))
    exploration: ExplorationPolicy = field(default_factory=EGreedy)


class NECAgent(ReplayAgent):
    """Acts e-greedily on the dictionaries' Q; no target network."""

    params: NECParams
    supported_actions = (DiscreteActions,)
    trainable = ("online",)

    def __init__(self, params: NECParams, context: AgentContext) -> None:
        super().__init__(params, context, memory=params.memory)
        p = params.algorithm
        head = EmbeddingHead(size=p.key_size)
        self.embedding_name = head.name
        self.online = self.build_network("online", self.network_spec((head,)))
        self.acting = self.build_acting_copy(self.online)
        self.dnd = DifferentiableNeuralDictionary(
            n_actions=self.spaces.action.n, capacity=p.dnd_capacity,  # type: ignore[union-attr]
            key_size=p.key_size, neighbours=p.neighbours, delta=p.kernel_delta,
            insert_rate=p.insert_rate)
        self.use_exploration(params.exploration)

    def embed(self, observations: NDArray) -> NDArray:
        return self.acting.predict(observations)[self.embedding_name]

    def act(self, observations: NDArray, *, step: int, explore: bool) -> ActionInfo:
        q = self.dnd.q_values(self.embed(observations), touch=explore)
        actions, _ = self.params.exploration.select(q, step=step, rng=self.rng, explore=explore,
                                                    state=self.exploration_state)
        return ActionInfo(actions, {})

    def policy_export(self) -> PolicyExport:
        raise ExportError("NEC's Q-values come from its differentiable neural dictionaries "
                          "(k-nearest-neighbour lookups over the stored keys), which the ONNX "
                          "and numpy formats do not carry; act with coachrl.load(run_dir)")

    def value_estimates(self, observations: NDArray) -> dict[str, NDArray]:
        return {"q": self.dnd.q_values(self.embed(observations), touch=False)}

    def exploration_rate(self, step: int) -> float:
        return self.params.exploration.epsilon(step)

    def n_step_targets(self, transitions: dict[str, NDArray]) -> NDArray:
        """R + gamma^m (1 - terminated) max_a Q(s_{t+m}, a), Q from the dictionaries now."""
        next_q = self.dnd.q_values(self.embed(transitions[B.NEXT_OBSERVATIONS]), touch=False)
        return n_step_targets(rewards=transitions[B.REWARDS], next_values=next_q.max(1),
                              terminated=transitions[B.TERMINATED],
                              discount=self.params.algorithm.discount,
                              discounts=transitions.get(B.DISCOUNTS))

    def write(self, transitions: dict[str, NDArray]) -> None:
        """Each new transition writes its key and target into its action's dictionary."""
        if len(transitions[B.REWARDS]):
            self.dnd.insert(self.embed(transitions[B.OBSERVATIONS]), transitions[B.ACTIONS],
                            self.n_step_targets(transitions))

    def store(self, transitions: dict[str, NDArray], *, env_steps: int,
              priorities: NDArray | None = None) -> None:
        self.write(transitions)
        super().store(transitions, env_steps=env_steps, priorities=priorities)

    def track_transitions(self, transitions: dict[str, NDArray]) -> None:
        self.write(transitions)  # a worker acts on its copy, as the learner acts on its own

    def learn_from_batch(self, batch: dict[str, NDArray]) -> dict[str, float]:
        targets = self.n_step_targets(batch)
        embeddings = self.online.predict(batch[B.OBSERVATIONS])[self.embedding_name]
        loss, embedding_grads, value_grads = self.dnd.gradients(embeddings, batch[B.ACTIONS],
                                                                targets)
        self.dnd.apply_value_gradients(value_grads, self.params.algorithm.dnd_learning_rate)
        metrics = self.online.train_on_batch({B.OBSERVATIONS: batch[B.OBSERVATIONS],
                                              B.TARGETS: embedding_grads})
        return metrics | {"loss/total": loss, "q/target_mean": float(targets.mean())}

    # -- the dictionary travels with the weights (workers act on it) and the checkpoints ------
    def weights(self) -> dict[str, Weights]:
        state = self.dnd.state_dict()
        return super().weights() | {DND: state | {"clock": np.array(state["clock"])}}

    def set_weights(self, weights: dict[str, Weights]) -> None:
        weights = dict(weights)
        self.dnd.load_state_dict(dict(weights.pop(DND)))
        super().set_weights(weights)

    def state_dict(self) -> State:
        return super().state_dict() | {DND: self.dnd.state_dict()}

    def load_state_dict(self, state: State) -> None:
        super().load_state_dict(state)
        self.dnd.load_state_dict(state[DND])
