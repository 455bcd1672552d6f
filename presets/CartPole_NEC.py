"""Neural Episodic Control on CartPole-v1: 5,000 keys of 64 per action, 50 neighbours, 10-step
targets, CartPole_DQN's network, exploration and cadence otherwise. Measured (seed 0,
2026-11-30): the first evaluation >= 475 at 10,000 env steps of its 50k budget."""

from coachrl.agents.nec import NECAlgorithmParams, NECParams
from coachrl.params import MemoryParams, Preset
from coachrl.presets._cartpole_value import agent, environment, replay, schedule, validation

preset = Preset(
    agent=NECParams(
        algorithm=NECAlgorithmParams(dnd_capacity=5_000, key_size=64, neighbours=50,
                                     **replay(target_update_period=1)),
        **agent(memory=MemoryParams(capacity=100_000, n_step=10))),
    env=environment(), schedule=schedule(), validation=validation())
