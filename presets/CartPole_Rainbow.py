"""Rainbow on CartPole-v1: C51 with NoisyNet, dueling streams, double-Q, 3-step returns and
prioritised replay switched on (composed from blocks; the agent is C51's), greedy acting.
Measured (seed 0, 2026-12-02): the first evaluation >= 475 at 10,000 env steps of its 50k
budget (12,500 on 2026-11-30)."""

from coachrl.agents.c51 import C51AlgorithmParams, C51Params
from coachrl.exploration import Greedy
from coachrl.params import MemoryKind, MemoryParams, Preset
from coachrl.presets._cartpole_value import agent, environment, replay, schedule, validation

preset = Preset(
    agent=C51Params(
        algorithm=C51AlgorithmParams(atoms=51, v_min=0.0, v_max=100.0, double=True, noisy=True,
                                     dueling=True, **replay()),
        **agent(memory=MemoryParams(capacity=100_000, kind=MemoryKind.PRIORITIZED, n_step=3,
                                    priority_exponent=0.5, importance_exponent=0.4),
                exploration=Greedy())),
    env=environment(), schedule=schedule(), validation=validation())
