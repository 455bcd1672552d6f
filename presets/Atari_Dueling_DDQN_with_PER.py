"""Dueling Double DQN with prioritised replay on Atari (default Pong; ``--level Breakout|
SpaceInvaders|Qbert|Seaquest|BeamRider``).

Values: Wang et al. (2016) and Schaul et al. (2016): value and advantage streams, the double-Q
target, proportional prioritised replay with priority exponent 0.6 and importance exponent 0.4
annealed to 1, the step size a quarter of DQN's (6.25e-5; Adam here, with the Rainbow paper's
epsilon 1.5e-4, where the papers used RMSProp), the gradient norm clipped at 10 (the dueling
paper's); otherwise Atari_DQN's cadence and budget (RL-zoo's DQN for Atari: replay 100k, 100k
random steps first, a gradient step every 4 env steps, the target copied every 1,000 env
steps, epsilon 1 -> 0.01 over 1M, 10M env steps). Threshold: Pong >= 18 within 10M env steps
(presets/_atari.py). Not measured here.
"""

from coachrl.agent import QLearningAlgorithmParams
from coachrl.agents.ddqn import DDQNParams
from coachrl.params import MemoryKind, Preset
from coachrl.presets._atari import e_greedy, nature_network, replay, replay_memory, run_fields

LEARNING_STARTS = 100_000

preset = Preset(
    agent=DDQNParams(
        algorithm=QLearningAlgorithmParams(dueling=True, **replay(
            learning_starts=LEARNING_STARTS, target_update_period=250)),
        network=nature_network(ortho_init=False),
        memory=replay_memory(100_000, kind=MemoryKind.PRIORITIZED, priority_exponent=0.6,
                             importance_exponent=0.4),
        exploration=e_greedy(decay_steps=1_000_000),
        learning_rate=6.25e-5, adam_epsilon=1.5e-4, max_grad_norm=10.0),
    **run_fields(heatup=LEARNING_STARTS))
