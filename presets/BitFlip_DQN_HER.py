"""DQN with hindsight experience replay on 15-bit BitFlip (Andrychowicz et al. 2017): whole
episodes in replay, each with 4 copies relabelled by future achieved goals; 256 ReLU units,
Adam 1e-3, batch 128, gamma 0.98, epsilon 0.2, a soft target update (tau 0.05) per gradient
step (presets/_bitflip.py; BitFlip_DQN is the same DQN without hindsight). Threshold:
evaluation success rate >= 0.9 (50 episodes). Measured (seed 0, `--stop-at-threshold`,
2026-12-01, two busy cores): success rate 1.0 at the second evaluation, 10,000 env steps of its
150k budget (0.2 at 5,000), 10.3 s of training (the relabelling's own generator since
2026-12-01; 9.6 s before it)."""

from coachrl.params import Hindsight
from coachrl.presets import _bitflip

preset = _bitflip.preset(hindsight=Hindsight.FUTURE, threshold=0.9)
