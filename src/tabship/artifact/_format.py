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
    "INFLATE_FLOOR",
    "MANIFEST",
    "MAX_INFLATE_RATIO",
    "MAX_MANIFEST_BYTES",
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
# Optional keys added without a bump (older readers ignore them, older artifacts lack them):
# - manifest "sizes" (file name -> bytes): reads stop at the recorded size; an artifact
#   without it is bounded by MAX_INFLATE_RATIO and MAX_PACKED_BYTES alone.

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
# it protects the loader against zip bombs. It also caps any one file of a model.
MAX_PACKED_BYTES = 4 * 1024**3
# No deflated data of a model may inflate past MAX_INFLATE_RATIO times its deflated size,
# unless it stays under INFLATE_FLOOR. tabship's own files stay far below: the skops zip's
# JSON deflates 4-13x, the packed members 1-7x, the plan's model files 2-8x
# (measured on the reference models); zeros deflate about 1,000x.
MAX_INFLATE_RATIO = 50
INFLATE_FLOOR = 64 * 1024**2
# manifest.json is a few KB; anything near this is not one.
MAX_MANIFEST_BYTES = 16 * 1024**2
