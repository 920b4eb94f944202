"""Greedy ensemble selection (Caruana et al., 2004) over out-of-fold predictions.

Starting from the best single model, each round adds (with replacement) the member whose
inclusion most improves the averaged OOF prediction; the counts become voting weights.
It only averages predictions that already exist, so it costs no model fits, and it can
never choose a blend that is worse on OOF than the best single model it started from.
A member not in the blend yet must improve it by ``member_cost`` at least: every member
is another model to refit, to save and to run on each record served, and one that buys
a hair of OOF score is noise bought at that price.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tabship.evaluate import greater_is_better

__all__ = ["greedy_weights"]


def greedy_weights(
    oofs: list[np.ndarray],
    metric: str,
    score: Callable[[np.ndarray], float],
    *,
    rounds: int = 25,
    fits: Callable[[frozenset[int]], bool] | None = None,
    member_cost: float = 0.0,
) -> list[int]:
    """Selection counts per member (0 = unused); ``oofs[0]`` must be the best single one.

    ``score`` maps a blended OOF prediction to ``metric``. Stops early when no member
    improves the blend. ``fits`` tells whether a set of members (indices) can still be
    afforded: a member outside the blend is only tried while the blend with it fits, so
    the best ensemble the time left can refit is found, not only the best one. The blend
    maximises its score less ``member_cost`` for each member after the first (in the
    metric's units, better counted positive).
    """
    sign = 1.0 if greater_is_better(metric) else -1.0
    counts = [0] * len(oofs)
    counts[0] = 1
    total = oofs[0].astype(float).copy()
    best, best_counts, stale = sign * score(total), list(counts), 0
    for _ in range(rounds - 1):
        n = sum(counts)
        used = frozenset(k for k, c in enumerate(counts) if c)
        cost = member_cost * (len(used) - 1)
        trials = [
            sign * score((total + oof) / (n + 1)) - cost - (0.0 if k in used else member_cost)
            if k in used or fits is None or fits(used | {k})
            else -np.inf
            for k, oof in enumerate(oofs)
        ]
        pick = int(np.argmax(trials))
        counts[pick] += 1
        total += oofs[pick]
        if trials[pick] > best + 1e-12:
            best, best_counts, stale = trials[pick], list(counts), 0
        else:
            stale += 1
            if stale >= 5:
                break
    return best_counts
