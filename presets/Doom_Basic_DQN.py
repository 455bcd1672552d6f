"""DQN on ViZDoom's Basic scenario (one monster across the room; a kill pays 100, a missed
shot -5, each tic -1; at most 300 tics, 75 steps of 4): Coach's Doom_Basic_DQN threshold,
an evaluation mean >= 20 within 400 episodes (30,000 env steps is 400 episodes of at most 75)."""

from coachrl.agents.dqn import DQNAlgorithmParams, DQNParams
from coachrl.params import Preset
from coachrl.presets._doom import agent, environment, replay, run_fields

preset = Preset(
    agent=DQNParams(algorithm=DQNAlgorithmParams(**replay()),
                    **agent(epsilon_steps=5_000)),
    **environment("Basic"),
    **run_fields(budget=30_000, min_reward=20.0, evaluation_period=1_000),
)
