"""Rainbow on Atari (default Pong; ``--level Breakout|SpaceInvaders|Qbert|Seaquest|
BeamRider``): C51 with NoisyNet output layers, dueling streams, the double-Q action choice,
3-step returns and prioritised replay (composed from blocks; the agent is C51's), acting
greedily on the noisy network.

Values: Hessel et al. (2018), table 1: Adam 6.25e-5 with epsilon 1.5e-4, 51 atoms on [-10, 10],
3-step returns, priority exponent 0.5, importance exponent 0.4 annealed to 1, replay 1M, 20k
env steps (80k frames) before learning, a gradient step on 32 transitions every 4 env steps,
the target copied every 8,000 env steps (32k frames; 2,000 gradient steps), gamma 0.99; the
Nature network. Here only the heads' layers are noisy (the paper's 512-unit layer too). Budget
10M env steps (RL-zoo's; the paper trains 50M). Threshold: Pong >= 18 within it
(presets/_atari.py). Not measured here.
"""

from coachrl.agents.c51 import C51AlgorithmParams, C51Params
from coachrl.exploration import Greedy
from coachrl.params import MemoryKind, Preset
from coachrl.presets._atari import nature_network, replay, replay_memory, run_fields

LEARNING_STARTS = 20_000

preset = Preset(
    agent=C51Params(
        algorithm=C51AlgorithmParams(atoms=51, v_min=-10.0, v_max=10.0, double=True,
                                     noisy=True, dueling=True, **replay(
                                         learning_starts=LEARNING_STARTS,
                                         target_update_period=2_000)),
        network=nature_network(ortho_init=False),
        memory=replay_memory(1_000_000, kind=MemoryKind.PRIORITIZED, n_step=3,
                             priority_exponent=0.5, importance_exponent=0.4),
        exploration=Greedy(),
        learning_rate=6.25e-5, adam_epsilon=1.5e-4),
    **run_fields(heatup=LEARNING_STARTS))
