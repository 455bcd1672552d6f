"""Side-by-side benchmarks of coachrl against Stable-Baselines3: ``python -m benchmarks list``.

Importing this package pins every BLAS/OpenMP pool to one thread before numpy or torch load, so
both libraries run on one CPU thread each, as the comparisons require.
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

# name -> module under benchmarks/, in the order ``run all`` runs them
BENCHMARKS = {
    "ppo_cartpole": "benchmarks.ppo_cartpole",
    "dqn_cartpole": "benchmarks.dqn_cartpole",
    "sac_pendulum": "benchmarks.sac_pendulum",
    "rollout": "benchmarks.rollout",
    "gradient_step": "benchmarks.gradient_step",
    "replay": "benchmarks.replay",
    "scaling": "benchmarks.scaling",
    "frame_memory": "benchmarks.frame_memory",
    "export_latency": "benchmarks.export_latency",
    "qrdqn_cartpole": "benchmarks.qrdqn_cartpole",
    "td3_pendulum": "benchmarks.td3_pendulum",
    "a2c_cartpole": "benchmarks.a2c_cartpole",
    "halfcheetah": "benchmarks.halfcheetah",
    "threads": "benchmarks.threads",
    "atari_pipeline": "benchmarks.atari_pipeline",
    "atari_ray": "benchmarks.atari_ray",
}
