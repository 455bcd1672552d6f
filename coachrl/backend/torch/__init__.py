"""The torch backend: blocks, head losses, Adam, devices. The only place torch is imported."""

from __future__ import annotations

import torch

from coachrl.backend import Network, State
from coachrl.backend.torch.actor_critic import DeterministicActorCritic, SoftActorCritic
from coachrl.backend.torch.network import TorchNetwork
from coachrl.errors import ConfigError
from coachrl.networks.spec import NetworkSpec, OptimizerSpec, TemperatureLoss


def resolve_device(device: str) -> torch.device:
    """'cpu', 'cuda' or 'auto' (cuda when available); a clear error when cuda is missing."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"--device {device} was asked for but torch sees no CUDA device; "
                          "use --device cpu (or auto)")
    return torch.device(device)


class TorchBackend:
    """Builds ``TorchNetwork``s on one device; owns torch's global random state."""

    name = "torch"

    def __init__(self, device: str = "cpu", threads: int = 0) -> None:
        self.device = resolve_device(device)
        if threads > 0:
            torch.set_num_threads(threads)

    def build(self, spec: NetworkSpec, *, optimizer: OptimizerSpec | None = None) -> TorchNetwork:
        return TorchNetwork(spec, optimizer=optimizer, device=self.device)

    def soft_actor_critic(self, *, actor: Network, critic: Network, target: Network,
                          temperature: TemperatureLoss,
                          optimizer: OptimizerSpec) -> SoftActorCritic:
        if not (isinstance(actor, TorchNetwork) and isinstance(critic, TorchNetwork)
                and isinstance(target, TorchNetwork)):
            raise TypeError("soft_actor_critic needs networks built by the torch backend")
        return SoftActorCritic(actor=actor, critic=critic, target=target,
                               temperature=temperature, optimizer=optimizer)

    def deterministic_actor_critic(self, *, actor: Network, critic: Network,
                                   target_actor: Network, target_critic: Network,
                                   target_noise: float = 0.0,
                                   target_noise_clip: float = 0.5) -> DeterministicActorCritic:
        networks = (actor, critic, target_actor, target_critic)
        if not all(isinstance(network, TorchNetwork) for network in networks):
            raise TypeError("deterministic_actor_critic needs networks built by the torch backend")
        return DeterministicActorCritic(
            actor=actor, critic=critic, target_actor=target_actor,  # type: ignore[arg-type]
            target_critic=target_critic, target_noise=target_noise,  # type: ignore[arg-type]
            target_noise_clip=target_noise_clip)

    def seed(self, seed: int) -> None:
        torch.manual_seed(seed)

    def rng_state(self) -> State:
        state: State = {"cpu": torch.get_rng_state().numpy().copy()}
        if self.device.type == "cuda":
            state["cuda"] = torch.cuda.get_rng_state(self.device).numpy().copy()
        return state

    def set_rng_state(self, state: State) -> None:
        torch.set_rng_state(torch.as_tensor(state["cpu"]))
        if "cuda" in state and self.device.type == "cuda":
            torch.cuda.set_rng_state(torch.as_tensor(state["cuda"]), self.device)
