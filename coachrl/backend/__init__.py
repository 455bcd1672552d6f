"""The tensor backend interface. Agents and the runtime talk to networks only through these.

    backend = make_backend("torch", device="cpu")
    online = backend.build(spec, optimizer=OptimizerSpec(learning_rate=1e-3))
    outputs = online.predict(observations)            # dict of numpy arrays, by head name
    metrics = online.train_on_batch(batch, clip_range=0.2)
    online.copy_to(target, tau=1.0)                   # hard (tau=1) or soft target update
    acting.set_weights(online.get_weights())          # numpy arrays cross backends
"""

from __future__ import annotations

import importlib
from typing import Any, Protocol, runtime_checkable

from numpy.typing import NDArray

from coachrl.errors import ConfigError
from coachrl.networks.spec import NetworkSpec, OptimizerSpec, TemperatureLoss

Weights = dict[str, NDArray]
# A state is a nested dict whose leaves are numpy arrays or JSON scalars (no pickled objects).
State = dict[str, Any]


class Network(Protocol):
    """A network built from a ``NetworkSpec``; heads are reached by their spec's ``name``."""

    spec: NetworkSpec

    def predict(self, observations: NDArray, state: NDArray | None = None, *,
                heads: tuple[str, ...] | None = None) -> dict[str, NDArray]:
        """Outputs by head name. A recurrent network (``spec.recurrent_state_size`` > 0) takes
        one step of every row from ``state`` [B, S] (zeros when None) and adds the state after
        it as ``RECURRENT_STATE``; ``train_on_batch`` then takes batches of sequences
        (``RolloutBuffer.sequences``). ``heads`` names the outputs the caller reads (None: all):
        a backend may then leave the others out."""
        ...

    def train_on_batch(self, batch: dict[str, NDArray],
                       **loss_overrides: float) -> dict[str, float]:
        """One gradient step on the sum of the heads' losses; returns metrics by TensorBoard tag."""
        ...

    def device_batch(self, batch: dict[str, NDArray]) -> Any:
        """``batch`` made ready for ``train_on_batch`` to take it again and again (the epochs of a
        rollout that one minibatch covers): moved to the device once, and what a loss derives
        from its columns alone (normalised advantages) kept with it."""
        ...

    def compute_gradients(self, batch: dict[str, NDArray], **loss_overrides: float) -> Weights:
        """Gradients of the heads' summed loss by parameter name, without a step (A3C workers)."""
        ...

    def apply_gradients(self, gradients: Weights) -> dict[str, float]:
        """One optimiser step with gradients from ``compute_gradients``; returns metrics."""
        ...

    def get_weights(self) -> Weights: ...

    def set_weights(self, weights: Weights) -> None: ...

    def copy_to(self, target: Network, tau: float = 1.0) -> None:
        """target <- tau * self + (1 - tau) * target."""
        ...

    def set_learning_rate(self, learning_rate: float) -> None: ...

    def resample_noise(self, rng: Any) -> None:
        """New noise for noisy layers (NoisyNet), drawn from a numpy Generator; none: no-op."""
        ...

    def set_noise(self, enabled: bool) -> None:
        """Noisy layers compute with their noise, or with their means (evaluation)."""
        ...

    def state_dict(self) -> State: ...

    def load_state_dict(self, state: State) -> None: ...


class Backend(Protocol):
    """Builds networks and owns the backend's random state."""

    name: str

    def build(self, spec: NetworkSpec, *, optimizer: OptimizerSpec | None = None) -> Network: ...

    def seed(self, seed: int) -> None: ...

    def rng_state(self) -> State: ...

    def set_rng_state(self, state: State) -> None: ...


class ActorCriticUpdate(Protocol):
    """An update whose actor loss runs through the critics, so no single network owns it (SAC).

        metrics = update.critic_step(batch, discount=0.99)  # both critics onto the soft target
        metrics |= update.actor_step(batch)                 # policy (and temperature) step
        critic.copy_to(target, tau=0.005)
    """

    def critic_step(self, batch: dict[str, NDArray], *, discount: float) -> dict[str, float]: ...

    def actor_step(self, batch: dict[str, NDArray]) -> dict[str, float]: ...

    def set_learning_rate(self, learning_rate: float) -> None: ...

    def state_dict(self) -> State: ...

    def load_state_dict(self, state: State) -> None: ...


@runtime_checkable
class ActorCriticBackend(Protocol):
    """A backend that can train actor-critics across networks (the torch backend)."""

    name: str

    def soft_actor_critic(self, *, actor: Network, critic: Network, target: Network,
                          temperature: TemperatureLoss,
                          optimizer: OptimizerSpec) -> ActorCriticUpdate:
        """Soft Actor-Critic's steps (Haarnoja et al. 2018) over networks this backend built."""
        ...

    def deterministic_actor_critic(self, *, actor: Network, critic: Network,
                                   target_actor: Network, target_critic: Network,
                                   target_noise: float = 0.0,
                                   target_noise_clip: float = 0.5) -> ActorCriticUpdate:
        """DDPG's steps, and TD3's with twin critics and target smoothing (``target_noise``)."""
        ...


BACKENDS = {
    "torch": "coachrl.backend.torch:TorchBackend",
    "numpy": "coachrl.backend.numpy:NumpyBackend",
}


def make_backend(name: str, **options: Any) -> Backend:
    """Import and construct a backend by name ("torch", "numpy"); torch is imported only here."""
    if name not in BACKENDS:
        raise ConfigError(f"unknown backend {name!r}; expected one of {', '.join(BACKENDS)}")
    module_name, _, class_name = BACKENDS[name].partition(":")
    return getattr(importlib.import_module(module_name), class_name)(**options)
