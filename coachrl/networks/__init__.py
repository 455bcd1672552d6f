"""Backend-neutral network specs: embedders -> middleware -> heads, each head with its loss."""

from coachrl.networks.heads import HEADS, Distribution, register_head
from coachrl.networks.spec import *  # noqa: F403 (spec.__all__: every head, loss and spec)
from coachrl.networks.spec import __all__ as _spec_names

__all__ = ["HEADS", "Distribution", "register_head", *_spec_names]
