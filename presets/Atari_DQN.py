"""DQN on Atari (default Pong; ``--level Breakout|SpaceInvaders|Qbert|Seaquest|BeamRider``).

Values: RL-zoo's DQN for Atari (rl-baselines3-zoo hyperparams/dqn.yml over SB3's DQN
defaults): Adam 1e-4 with torch's epsilon, batch 32, replay 100k, 100k uniformly random env
steps before learning, a gradient step every 4 env steps, the target copied every 1,000 env
steps (250 gradient steps), epsilon 1 -> 0.01 over the first 1M env steps, Huber loss, the
gradient norm clipped at 10, gamma 0.99, 10M env steps; the Nature network (Mnih et al. 2015)
with torch's default init and DeepMind's preprocessing (presets/_atari.py). Threshold: Pong
>= 18 within 10M env steps (RL-zoo's DQN reached 20.6 there). Not measured here.
"""

from coachrl.agents.dqn import DQNAlgorithmParams, DQNParams
from coachrl.params import Preset
from coachrl.presets._atari import e_greedy, nature_network, replay, replay_memory, run_fields

LEARNING_STARTS = 100_000

preset = Preset(
    agent=DQNParams(
        algorithm=DQNAlgorithmParams(**replay(learning_starts=LEARNING_STARTS,
                                              target_update_period=250)),
        network=nature_network(ortho_init=False),
        memory=replay_memory(100_000),
        exploration=e_greedy(decay_steps=1_000_000),
        learning_rate=1e-4, adam_epsilon=1e-8, max_grad_norm=10.0),
    **run_fields(heatup=LEARNING_STARTS))
