"""Rollout workers on Ray: sync (on-policy) and Ape-X style async (off-policy) training.

Only ``coachrl train --workers N`` with N > 0 imports this package's Ray modules; ``config`` and
``worker`` themselves import no Ray, so they can be tested and pickled without it.
"""
