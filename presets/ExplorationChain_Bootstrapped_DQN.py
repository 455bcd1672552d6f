"""Bootstrapped DQN on a 25-state exploration chain (Osband et al. 2016): the far end pays 1, the
near end 0.001, so dithering exploration settles for the near end; 10 heads with masks
p = 0.5, each episode greedy with one head. Threshold: the evaluation reaches the far end
(return 1) within 100k env steps. Measured, seed 0 (2026-11-30): the far end at 40,000 env
steps (57 s); DQN with epsilon 1 -> 0.05 over 20k steps and the same network never got past
the near end in 100k steps (best evaluation 0.034)."""

from coachrl.exploration import BootstrappedHeads
from coachrl.params import Activation
from coachrl.presets._exploration_chain import chain_preset

preset = chain_preset(BootstrappedHeads(), Activation.TANH)
