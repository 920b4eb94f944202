"""The on-disk format of a tabship model: its version, its file names, its limits.

A model is a folder holding ``manifest.json`` and the files it lists (the same files
packed flat into one ``.tabship`` zip file). Only this package reads or writes them.

When to bump ``FORMAT_VERSION``
-------------------------------
Bump it when a reader of the current version would misread a new artifact: a file is
renamed or removed, a file's meaning or JSON layout changes incompatibly, or the
manifest changes shape. Adding an *optional* file, or an optional key that old readers
can ignore, is not a bump.

How to bump it
--------------
1. Keep the reader of the old version (``_read_v{N}``-style) and register it in
   ``READABLE_VERSIONS``; loading an old artifact must keep working.
2. Check in an artifact written by the old version under ``tests/artifact/fixtures/``
   and keep the test that loads it.
3. Increase ``FORMAT_VERSION``; artifacts newer than it are refused with an upgrade hint
   (``ArtifactFormatError``), never half-read.
"""

from __future__ import annotations

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "MANIFEST",
    "MAX_PACKED_BYTES",
    "METRICS",
    "PIPELINE",
    "READABLE_VERSIONS",
    "REPORT",
    "REQUIRED_FILES",
    "SCHEMA",
    "SUMMARY",
    "TRACKED_LIBRARIES",
]

FORMAT_NAME = "tabship-model"
FORMAT_VERSION = 2
# Versions this tabship can read; each one is tested against a checked-in fixture.
READABLE_VERSIONS: tuple[int, ...] = (1, 2)
# What each version changed, and how the older one is still read:
# 2: summary.json gains "drift", the training distributions drift is measured against
#    (tabship.data.DriftReferences). A version 1 summary has none: its files are read as
#    they are and tabship.data.drift_references derives approximate references from
#    its histograms and counts (fixture: tests/artifact/fixtures/format_v1).

MANIFEST = "manifest.json"
PIPELINE = "pipeline.skops"
SCHEMA = "schema.json"
METRICS = "metrics.json"
SUMMARY = "summary.json"
REPORT = "report.html"
REQUIRED_FILES: tuple[str, ...] = (PIPELINE, SCHEMA, METRICS, SUMMARY, REPORT)

# Distributions whose versions are stamped in the manifest; a difference on load warns,
# because a pipeline rebuilt by other versions may predict slightly differently.
TRACKED_LIBRARIES: tuple[str, ...] = (
    "numpy",
    "pandas",
    "scipy",
    "scikit-learn",
    "lightgbm",
    "skops",
    "treelite",
)

# A packed model larger than this (uncompressed) is refused rather than read into memory:
# it protects the loader against zip bombs.
MAX_PACKED_BYTES = 4 * 1024**3
