"""DQN on ViZDoom's HealthGathering scenario (an acid floor drains health, medkits restore it;
each tic alive pays 1, death -100; at most 2,100 tics, 525 steps of 4): Doom_Basic_DQN's values
with a replay of 10,000 transitions and exploration over 10,000 steps.

Measured (seed 0, two busy cores, 2026-12-01): evaluations (10 episodes) of 284.0, 501.6,
431.2, 956.0, 696.0 and 1,937.6 at 10k-60k env steps (997 s in all); uniformly random actions
return 407 on average (20 episodes). The threshold, 900 within 60,000 env steps, was set
from that run: its first evaluation above it is at 40,000."""

from coachrl.agents.dqn import DQNAlgorithmParams, DQNParams
from coachrl.params import MemoryParams, Preset
from coachrl.presets._doom import agent, environment, replay, run_fields

preset = Preset(
    agent=DQNParams(algorithm=DQNAlgorithmParams(**replay()),
                    **agent(epsilon_steps=10_000, memory=MemoryParams(capacity=10_000))),
    **environment("HealthGathering"),
    **run_fields(budget=60_000, min_reward=900.0, evaluation_period=10_000),
)
