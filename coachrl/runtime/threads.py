"""The CPU threads of one process of a run: numpy's BLAS pool (torch's intra-op pool is
``run.torch_threads``, set where the torch backend is made).

numpy's wheels bring an OpenBLAS that starts a thread per core and spins them on every large
enough product, so a run that is one Python thread by design burns a second core waiting on the
first. ``run.numpy_threads`` (default 1) caps that pool in every process of a run: the learner,
its evaluation, and each rollout worker; 0 leaves numpy's own default. benchmarks/README.md, row
14, has the measurement behind the default.
"""

from __future__ import annotations

from typing import Any

_limits: list[Any] = []  # the applied limit, kept alive for the life of the process


def limit_numpy_threads(threads: int) -> None:
    """Cap numpy's BLAS threads at ``threads`` for the rest of this process; 0: numpy's default
    (the cap a former call set is lifted)."""
    from threadpoolctl import threadpool_limits

    while _limits:
        _limits.pop().restore_original_limits()
    if threads > 0:
        _limits.append(threadpool_limits(limits=threads, user_api="blas"))


def numpy_threads() -> int:
    """The BLAS threads numpy uses now (the largest pool, if several libraries are loaded)."""
    from threadpoolctl import threadpool_info

    return max((pool["num_threads"] for pool in threadpool_info()
                if pool["user_api"] == "blas"), default=1)
