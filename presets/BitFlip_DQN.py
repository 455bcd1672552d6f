"""DQN without hindsight on 15-bit BitFlip: BitFlip_DQN_HER's DQN, values and budget
(presets/_bitflip.py) with plain episodes in replay. A negative control: BitFlip pays -1 on
every step but the one that reaches a random 15-bit goal, which epsilon-greedy flips almost
never reach, so DQN alone has next to nothing to learn from (Andrychowicz et al. 2017, fig. 1).
Its Validation is the task's bar (success rate >= 0.9 over 50 episodes), which it must miss:
tests/e2e/test_presets_reach_threshold.py checks that it stays <= 0.1 over the whole budget
where BitFlip_DQN_HER reaches 0.9 (at 10,000 env steps, a third of the budget). Measured over
150,000 steps, the budget before 2026-12-01 (two busy cores): seed 0 0.0 at all 30
evaluations, 3 of 10,000 training episodes successful (417.9 s of training); seed 1 0.0 at 29
and 0.02 (one of 50 episodes) at 110,000, 2 of 10,001 (241.0 s)."""

from coachrl.params import Hindsight
from coachrl.presets import _bitflip

preset = _bitflip.preset(hindsight=Hindsight.NONE, threshold=0.9)
