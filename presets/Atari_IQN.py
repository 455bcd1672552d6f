"""IQN on Atari (default Pong; ``--level Breakout|SpaceInvaders|Qbert|Seaquest|BeamRider``).

Values: Dabney et al. (2018b) as Dopamine's IQN for Atari (dopamine/agents/implicit_quantile/
configs/implicit_quantile.gin) where coachrl has the setting: 32 fractions drawn per sample
(the paper's K; coachrl draws the same number for N and N', which the paper sets to 64, half
the cost of the merge), 64 cosines per fraction, kappa 1, a 512-unit ReLU layer after the merge
(the paper's f), Adam 5e-5 with epsilon 0.01/32, 1-step returns (the paper's; Dopamine's config
uses 3); Atari_C51's cadence otherwise: batch 32, replay 1M, 20k uniformly random env steps
before learning, a gradient step every 4 env steps, the target copied every 8,000 env steps
(2,000 gradient steps), epsilon 1 -> 0.01 over 250k env steps, gamma 0.99; the Nature network
(its 512-unit layer before the merge, where the paper merges the convolutions' 3,136 features).
Threshold: Pong >= 18 within 10M env steps (presets/_atari.py). Not measured here.
"""

from coachrl.agents.iqn import IQNAlgorithmParams, IQNParams
from coachrl.params import Preset
from coachrl.presets._atari import e_greedy, nature_network, replay, replay_memory, run_fields

LEARNING_STARTS = 20_000

preset = Preset(
    agent=IQNParams(
        algorithm=IQNAlgorithmParams(quantiles=32, embedding_size=64, hidden_size=512,
                                     kappa=1.0, **replay(learning_starts=LEARNING_STARTS,
                                                         target_update_period=2_000)),
        network=nature_network(ortho_init=False),
        memory=replay_memory(1_000_000),
        exploration=e_greedy(decay_steps=250_000),
        learning_rate=5e-5, adam_epsilon=0.01 / 32),
    **run_fields(heatup=LEARNING_STARTS))
