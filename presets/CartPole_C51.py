"""C51 on CartPole-v1: 51 atoms on [0, 100] (CartPole's returns at gamma 0.99 stay below 100), with
CartPole_DQN's tuned values. Measured (seed 0, 2026-12-02): the first evaluation >= 475 at
15,000 env steps of its 50k budget (10,000 on 2026-11-30)."""

from coachrl.agents.c51 import C51AlgorithmParams, C51Params
from coachrl.params import Preset
from coachrl.presets._cartpole_value import agent, environment, replay, schedule, validation

preset = Preset(
    agent=C51Params(algorithm=C51AlgorithmParams(atoms=51, v_min=0.0, v_max=100.0, **replay()),
                    **agent()),
    env=environment(), schedule=schedule(), validation=validation())
