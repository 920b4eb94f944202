"""How a leaderboard and holdout metrics look on the terminal (train, info, demo)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from tabship.cli._console import console, table

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["show_result"]


def show_result(leaderboard: pd.DataFrame | list[dict[str, Any]], metrics: dict[str, Any]) -> None:
    rows = cast(
        "list[dict[str, Any]]",
        leaderboard.to_dict(orient="records")
        if hasattr(leaderboard, "to_dict")  # a DataFrame
        else leaderboard,
    )
    columns = [c for c in (rows[0] if rows else {}) if c not in ("params", "family")]
    console.print(table("Leaderboard (cross-validation on the training split)", rows, columns))
    holdout = {k: v for k, v in metrics.get("holdout", {}).items() if isinstance(v, int | float)}
    console.print(table(f"Holdout test ({metrics.get('best_model', '?')})", [holdout]))
