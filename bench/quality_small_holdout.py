"""Small training tables, large held-out sets (issue 11 item 2).

``search()`` runs at a fixed budget on a few hundred training rows; the chosen pipeline,
refitted on them, is scored on thousands of unseen rows from the same distribution, where
a 20 % split of the same small table would hold 60-180 rows (one row: 0.006-0.017 of
accuracy). Prints one JSON line per table; compare two versions of tabship by running it
with each on ``PYTHONPATH``:

    python bench/quality_small_holdout.py 45 synth-5c-300 synth-6c-500 synth-4c-800 digits-460
"""

import json
import sys
import time
import warnings

import numpy as np
import pandas as pd
from sklearn import datasets
from sklearn.base import clone

from tabship.data import infer_schema, prepare_target
from tabship.search import search


def synth(n_train: int, weights: list[float], n_features: int, sep: float, seed: int):
    """``n_train`` training rows and 5,000 test rows of one make_classification draw."""
    X, y = datasets.make_classification(
        n_samples=n_train + 5000,
        n_features=n_features,
        n_informative=6,
        n_redundant=2,
        n_classes=len(weights),
        weights=weights,
        n_clusters_per_class=2,
        class_sep=sep,
        flip_y=0.02,
        random_state=seed,
    )
    f = pd.DataFrame(X, columns=[f"x{i}" for i in range(n_features)])
    f["label"] = [f"c{c}" for c in y]
    return f.iloc[:n_train], f.iloc[n_train:]


def digits():
    """460 digits, 10 to 82 a class, to train on; the other 1,337 to test on."""
    f = datasets.load_digits(as_frame=True).frame.rename(columns={"target": "label"})
    f["label"] = "d" + f["label"].astype(str)
    rng = np.random.default_rng(0)
    keep = np.concatenate(
        [rng.choice(f.index[f["label"] == f"d{d}"], 10 + 8 * d, replace=False) for d in range(10)]
    )
    return f.loc[np.sort(keep)], f.drop(index=keep)


TABLES = {
    "synth-5c-300": lambda: synth(300, [0.45, 0.25, 0.15, 0.1, 0.05], 10, 1.0, 1),
    "synth-6c-500": lambda: synth(500, [0.35, 0.25, 0.15, 0.1, 0.1, 0.05], 12, 0.9, 2),
    "synth-4c-800": lambda: synth(800, [0.55, 0.25, 0.12, 0.08], 14, 0.7, 3),
    "digits-460": digits,
}


def main() -> None:
    warnings.simplefilter("ignore")
    budget = float(sys.argv[1])
    for name in sys.argv[2:] or list(TABLES):
        print(json.dumps(run(name, budget)), flush=True)


def run(name: str, budget: float) -> dict:
    from sklearn.metrics import balanced_accuracy_score

    train, test = TABLES[name]()
    schema = infer_schema(train, "label")
    X, y, _ = prepare_target(train, "label", schema.task)
    X_test, y_test, _ = prepare_target(test, "label", schema.task)
    started = time.monotonic()
    found = search(X, y, schema, time_budget=budget, seed=42, keep_for_refits=False)
    seconds = time.monotonic() - started
    pred = clone(found.best).fit(X, y).predict(X_test)
    import lightgbm

    default = lightgbm.LGBMClassifier(verbose=-1, random_state=42, n_jobs=1)
    base = default.fit(X, y).predict(X_test)
    return {
        "table": name, "n_train": len(y), "n_test": len(y_test), "best": found.best_name,
        "accuracy": float(np.mean(pred == y_test.to_numpy())),
        "balanced": float(balanced_accuracy_score(y_test, pred)),
        "lgbm_default": float(np.mean(base == y_test.to_numpy())), "search_s": round(seconds, 1),
    }  # fmt: skip


if __name__ == "__main__":
    main()
