"""QR-DQN on Atari (default Pong; ``--level Breakout|SpaceInvaders|Qbert|Seaquest|BeamRider``).

Values: Dabney et al. (2018): 200 quantiles, the quantile Huber loss with kappa 1, Adam 5e-5
with epsilon 0.01/32 (as sb3-contrib's QR-DQN, which RL-zoo trains on Atari); its DQN cadence
as Atari_C51's (Dopamine's): batch 32, replay 1M, 20k uniformly random env steps before
learning, a gradient step every 4 env steps, the target copied every 8,000 env steps (2,000
gradient steps), epsilon 1 -> 0.01 over 250k env steps (RL-zoo's exploration fraction 0.025 of
10M), gamma 0.99; the Nature network. Threshold: Pong >= 18 within 10M env steps (RL-zoo's
QR-DQN reached 20.5; presets/_atari.py). Not measured here.
"""

from coachrl.agents.qr_dqn import QRDQNAlgorithmParams, QRDQNParams
from coachrl.params import Preset
from coachrl.presets._atari import e_greedy, nature_network, replay, replay_memory, run_fields

LEARNING_STARTS = 20_000

preset = Preset(
    agent=QRDQNParams(
        algorithm=QRDQNAlgorithmParams(quantiles=200, kappa=1.0, **replay(
            learning_starts=LEARNING_STARTS, target_update_period=2_000)),
        network=nature_network(ortho_init=False),
        memory=replay_memory(1_000_000),
        exploration=e_greedy(decay_steps=250_000),
        learning_rate=5e-5, adam_epsilon=0.01 / 32),
    **run_fields(heatup=LEARNING_STARTS))
