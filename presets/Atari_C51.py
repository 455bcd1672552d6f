"""C51 on Atari (default Pong; ``--level Breakout|SpaceInvaders|Qbert|Seaquest|BeamRider``).

Values: Dopamine's C51 for Atari (dopamine/agents/rainbow/configs/c51.gin; Bellemare et al.
2017): 51 atoms on [-10, 10], Adam 2.5e-4 with epsilon 0.01/32, batch 32, replay 1M (about
7.3 GB with each frame kept once), 20k uniformly random env steps before learning, a gradient
step every 4 env steps, the target copied every 8,000 env steps (2,000 gradient steps),
epsilon 1 -> 0.01 over 250k env steps, gamma 0.99; the Nature network with torch's default
init. Budget 10M env steps (RL-zoo's; Dopamine trains 50M). Threshold: Pong >= 18 within it
(presets/_atari.py). Not measured here.
"""

from coachrl.agents.c51 import C51AlgorithmParams, C51Params
from coachrl.params import Preset
from coachrl.presets._atari import e_greedy, nature_network, replay, replay_memory, run_fields

LEARNING_STARTS = 20_000

preset = Preset(
    agent=C51Params(
        algorithm=C51AlgorithmParams(atoms=51, v_min=-10.0, v_max=10.0, **replay(
            learning_starts=LEARNING_STARTS, target_update_period=2_000)),
        network=nature_network(ortho_init=False),
        memory=replay_memory(1_000_000),
        exploration=e_greedy(decay_steps=250_000),
        learning_rate=2.5e-4, adam_epsilon=0.01 / 32),
    **run_fields(heatup=LEARNING_STARTS))
