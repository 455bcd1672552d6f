"""TD3 on Pendulum-v1: RL-zoo's tuned values (presets/_pendulum_deterministic.py). Measured
(seed 0, `--stop-at-threshold`, 2026-12-01, two cores shared with the test suite): the first
evaluation >= -200 (-170.8) at 16,000 env steps of its 30k budget, 95.8 s of training (6,000
gradient steps after the 10k random ones; 104 s with start-up)."""

from coachrl.agents.td3 import TD3AlgorithmParams, TD3Params
from coachrl.params import Preset
from coachrl.presets._pendulum_deterministic import agent, algorithm, rest

preset = Preset(agent=TD3Params(algorithm=TD3AlgorithmParams(**algorithm()), **agent()), **rest())
