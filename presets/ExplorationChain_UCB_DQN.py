"""UCB DQN on a 25-state exploration chain (Osband et al. 2016): the far end pays 1, the
near end 0.001, so dithering exploration settles for the near end; 10 heads with masks
p = 0.5. Threshold: the evaluation reaches the far end (return 1) within 100k env steps.
Measured, seed 0: with ReLU units the far end at 66,000 env steps (32.9 s of training,
2026-12-01, two cores shared with the test suite); with tanh units (the registered Bootstrapped
preset's) it missed in 100k steps."""

from coachrl.exploration import UCB
from coachrl.params import Activation
from coachrl.presets._exploration_chain import chain_preset

preset = chain_preset(UCB(bonus=1.0), Activation.RELU)
