"""DDPG on Pendulum-v1: RL-zoo's tuned values (presets/_pendulum_deterministic.py). Measured
(seed 0, `--stop-at-threshold`, 2026-12-01, two cores shared with the test suite): the first
evaluation >= -200 (-171.0) at 14,000 env steps of its 30k budget, 62.1 s of training (4,000
gradient steps after the 10k random ones; 70 s with start-up)."""

from coachrl.agents.ddpg import DDPGAlgorithmParams, DDPGParams
from coachrl.params import Preset
from coachrl.presets._pendulum_deterministic import agent, algorithm, rest

preset = Preset(agent=DDPGParams(algorithm=DDPGAlgorithmParams(**algorithm()), **agent()), **rest())
