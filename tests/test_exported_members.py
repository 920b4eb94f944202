"""The public surface is exactly the documented list (httpx-style guard)."""

from __future__ import annotations

import tabship


def test_tabship_all_is_the_sorted_public_api():
    assert tabship.__all__ == sorted(tabship.__all__)
    assert set(tabship.__all__) == {
        "ArtifactError",
        "Client",
        "DataError",
        "Model",
        "OutputError",
        "TabshipError",
        "TabshipWarning",
        "TrainingRun",
        "ValidationError",
        "__version__",
        "load",
        "train",
    }
    for name in tabship.__all__:
        assert getattr(tabship, name) is not None
