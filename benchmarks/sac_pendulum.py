"""SAC on Pendulum-v1 (20k env steps): training env steps/s and final return (pending).

Enabled as soon as coachrl has a SAC agent; the target is >= 1.2x SB3's training env steps/s at
an equal or better final return, one torch thread each.
"""

from __future__ import annotations

from benchmarks.common import Options, Report

TITLE = "SAC Pendulum-v1 (20k steps): training env steps/s and final return"
PENDING = "coachrl has no SAC agent yet"


def run(options: Options) -> Report:
    raise NotImplementedError(PENDING)
