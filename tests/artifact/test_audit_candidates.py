"""Every pipeline the search can build passes the quick audit, so a lean server never
imports skops and scikit-learn to audit a model tabship wrote.

A pair missing from the quick audit's list is not a security hole (skops' own audit
decides then), but it costs seconds at every start and the serving image's leanness:
a classifier's TargetEncoder holds a StratifiedKFold, absent from the list, and a
fresh-clone run caught an adult server importing scikit-learn, pandas and pyarrow.
"""

from __future__ import annotations

import pytest

from tabship.artifact._audit import KNOWN_PAIRS, listed_pairs
from tests.plan._fitted import DATASETS, fitted_candidates

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name", list(DATASETS))
def test_every_candidate_the_search_builds_passes_the_quick_audit(name):
    import skops.io

    _, pipelines, _ = fitted_candidates(name)
    for label, pipeline in pipelines.items():
        pairs = listed_pairs(skops.io.dumps(pipeline), label)
        assert pairs is not None, f"{name}: {label} has a listing the quick audit cannot read"
        assert not pairs - KNOWN_PAIRS, f"{name}: {label}: {sorted(pairs - KNOWN_PAIRS)}"
