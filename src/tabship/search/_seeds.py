"""Seed averaging: the tuned LightGBM refitted with other seeds and averaged.

With row and column subsampling, one seed's trees see one draw of the rows and columns;
on a few hundred rows that draw moves the predictions as much as a tuning step does.
Averaging several seeds of the same settings keeps the settings and smooths the draw. The
bag is cross-validated like any row (its members on the search's own folds, so its OOF
prediction is honest) and competes on the leaderboard; it is built only on small tables,
where a fit costs little, and only as far as the deadline allows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tabship.search._budget import Deadline
from tabship.search._cv import CVData, cross_validate, summed_costs
from tabship.search._rows import Row

__all__ = ["SEEDS", "seed_bag"]

SEEDS = 5


def seed_bag(cv: CVData, row: Row, deadline: Deadline, *, seed: int) -> Row | None:
    """``row`` and ``SEEDS - 1`` copies with other seeds, averaged; None when even one
    copy would not fit in ``deadline``.

    A copy that cannot finish stops the bag at the copies done so far.
    """
    if row.kind is None:
        return None
    members: list[tuple[Row, int]] = [(row, 1)]
    for other in range(seed + 1, seed + SEEDS):
        result = cross_validate(
            cv, row.kind, reseeded(row.build, other), deadline,
            first_fold_estimate=row.cv.model_seconds,
        )  # fmt: skip
        if result is None:
            break
        copy = Row(f"{row.name} seed {other}", row.family, row.kind, reseeded(row.build, other),
                   {**row.params, "random_state": other}, result)  # fmt: skip
        members.append((copy, 1))
    if len(members) < 2:
        return None
    oof = np.mean([m.cv.oof for m, _ in members], axis=0)
    result = summed_costs([m.cv for m, _ in members], oof)
    name = f"{row.name} x{len(members)} seeds"
    params = {"seeds": [seed, *range(seed + 1, seed + len(members))], **row.params}
    return Row(name, "seed_bag", None, lambda: None, params, result, members,
               scores=cv.fold_scores(cv.metric, oof))  # fmt: skip


def reseeded(build: Callable[[], Any], seed: int) -> Callable[[], Any]:
    """``build`` with every ``random_state`` (a wrapped model's too) set to ``seed``."""

    def make() -> Any:
        model = build()
        keys = [k for k in model.get_params() if k.split("__")[-1] == "random_state"]
        return model.set_params(**dict.fromkeys(keys, seed))

    return make
