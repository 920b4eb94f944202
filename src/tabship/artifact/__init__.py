"""The on-disk model format: the only code that reads or writes it.

A model is a folder (or the same folder packed into one ``.tabship`` file)::

    manifest.json    format name and version, creation time, tabship/Python/library
                     versions, and the sha256 of every other file
    pipeline.skops   the fitted scikit-learn pipeline, stored with skops (no pickle)
    schema.json      the input fields and the target (``tabship.data.Schema``)
    metrics.json     leaderboard, holdout metrics, chosen parameters
    summary.json     training distributions for result plots and drift checks
    report.html      the training report
    ...              optional extra files, listed in the manifest like the others

Writes are atomic (a temporary sibling renamed into place); ``atomic_output`` does that
for every file or folder tabship writes, models or not. Loads check the manifest,
then every file's size and sha256 (read in bounded chunks: no decompression bomb is
inflated whole, see ``inflation_limit``), then the stored pipeline's types against
``TRUSTED_TYPES`` (every load, with or without building it), and only then construct
the pipeline. See ``_format.py`` for how the format is versioned.
"""

from tabship.artifact._atomic import OutputKind, atomic_output
from tabship.artifact._format import FORMAT_VERSION
from tabship.artifact._inflate import inflation_limit
from tabship.artifact._manifest import Manifest
from tabship.artifact._pack import pack, unpack
from tabship.artifact._store import (
    Artifact,
    load,
    preload_saving,
    read_manifest,
    read_schema,
    save,
    verify,
)
from tabship.artifact._trusted import TABSHIP_TYPES, TRUSTED_TYPES, trusted_types

__all__ = [
    "FORMAT_VERSION",
    "TABSHIP_TYPES",
    "TRUSTED_TYPES",
    "Artifact",
    "Manifest",
    "OutputKind",
    "atomic_output",
    "inflation_limit",
    "load",
    "pack",
    "preload_saving",
    "read_manifest",
    "read_schema",
    "save",
    "trusted_types",
    "unpack",
    "verify",
]
