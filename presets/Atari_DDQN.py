"""Double DQN on Atari (default Pong; ``--level Breakout|SpaceInvaders|Qbert|Seaquest|
BeamRider``): Atari_DQN's values (RL-zoo's DQN for Atari) with the double-Q target of van
Hasselt et al. (2016): the online network picks the next action, the target network values it.
Threshold: Pong >= 18 within 10M env steps (presets/_atari.py). Not measured here.
"""

from coachrl.agent import QLearningAlgorithmParams
from coachrl.agents.ddqn import DDQNParams
from coachrl.params import Preset
from coachrl.presets._atari import e_greedy, nature_network, replay, replay_memory, run_fields

LEARNING_STARTS = 100_000

preset = Preset(
    agent=DDQNParams(
        algorithm=QLearningAlgorithmParams(**replay(learning_starts=LEARNING_STARTS,
                                                    target_update_period=250)),
        network=nature_network(ortho_init=False),
        memory=replay_memory(100_000),
        exploration=e_greedy(decay_steps=1_000_000),
        learning_rate=1e-4, adam_epsilon=1e-8, max_grad_norm=10.0),
    **run_fields(heatup=LEARNING_STARTS))
