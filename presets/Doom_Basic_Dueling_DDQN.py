"""Dueling Double DQN on ViZDoom's Basic scenario: Doom_Basic_DQN's values with the double-Q
target and value and advantage streams, against the same threshold (Coach's: a mean >= 20
within 400 episodes, 30,000 env steps)."""

from coachrl.agent import QLearningAlgorithmParams
from coachrl.agents.ddqn import DDQNParams
from coachrl.params import Preset
from coachrl.presets._doom import agent, environment, replay, run_fields

preset = Preset(
    agent=DDQNParams(algorithm=QLearningAlgorithmParams(dueling=True, **replay()),
                     **agent(epsilon_steps=5_000)),
    **environment("Basic"),
    **run_fields(budget=30_000, min_reward=20.0, evaluation_period=1_000),
)
