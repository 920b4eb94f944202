"""Saving a fitted pipeline with everything learned about it, and loading it back safely.

Loading follows skops' rule, audit before construct: the manifest is checked first, then
the sha256 of every file, then the types inside the stored pipeline against tabship's
own trusted list; only then is anything built. No pickle is involved at any step, so a
model file from a stranger cannot run code on the machine that loads it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from tabship.artifact._atomic import write_directory
from tabship.artifact._audit import audit_pipeline
from tabship.artifact._format import (
    MANIFEST,
    METRICS,
    PIPELINE,
    REPORT,
    REQUIRED_FILES,
    SCHEMA,
    SUMMARY,
)
from tabship.artifact._manifest import (
    Manifest,
    build_manifest,
    check_library_versions,
    is_plain_name,
)
from tabship.artifact._source import looks_like_artifact, read_artifact, read_manifest_only
from tabship.artifact._trusted import trusted_types, untrusted_types
from tabship.data import JSONValue, Schema, Summary, json_safe
from tabship.errors import (
    ArtifactError,
    ArtifactFormatError,
    OptionError,
    OutputError,
    OutputExistsError,
    UntrustedTypeError,
)

__all__ = ["Artifact", "load", "read_manifest", "read_schema", "save"]


class Artifact:
    """A loaded model: the fitted pipeline and everything saved with it.

    Attributes
    ----------
    pipeline : sklearn.pipeline.Pipeline
        The fitted pipeline, rebuilt from trusted types only. Loaded with
        ``build_pipeline=False``, it is built on first access instead (its types were
        audited at load all the same), so a server that predicts from the scoring plan
        never imports scikit-learn.
    schema : Schema
        The input fields and the target.
    metrics : dict
        Leaderboard, holdout metrics and parameters.
    summary : Summary
        Training distributions (``tabship.data.Summary``).
    manifest : Manifest
        Format version, versions of the libraries that wrote it, sha256 of every file.
    path : Path
        The folder or packed file it was loaded from.
    report_html : str
        The training report.
    extra_files : dict[str, bytes]
        Any other files saved with the model, by name (the scoring plan among them).
    """

    def __init__(
        self,
        pipeline_bytes: bytes,
        schema: Schema,
        metrics: dict[str, Any],
        summary: Summary,
        manifest: Manifest,
        path: Path,
        report_html: str = "",
        extra_files: dict[str, bytes] | None = None,
    ) -> None:
        self._pipeline_bytes = pipeline_bytes
        self._pipeline: Any = None
        self._audited = False
        self.schema = schema
        self.metrics = metrics
        self.summary = summary
        self.manifest = manifest
        self.path = path
        self.report_html = report_html
        self.extra_files = extra_files or {}

    def audit(self) -> None:
        """Refuse the stored pipeline if it holds a type outside tabship's trusted list,
        without constructing anything (``UntrustedTypeError``). ``load`` calls it."""
        if not self._audited:
            audit_pipeline(self._pipeline_bytes, self.path)
            self._audited = True

    @property
    def pipeline(self) -> Any:
        if self._pipeline is None:
            self.audit()
            check_library_versions(self.manifest, self.path)
            self._pipeline = _construct(self._pipeline_bytes, self.path)
        return self._pipeline

    @property
    def pipeline_built(self) -> bool:
        """Whether the pipeline has been rebuilt (scikit-learn and skops imported)."""
        return self._pipeline is not None

    def __repr__(self) -> str:
        target = self.schema.target
        return f"Artifact(path={str(self.path)!r}, target={target.name!r}, task={target.task!r})"


def save(
    path: str | Path,
    *,
    pipeline: Any,
    schema: Schema,
    metrics: Mapping[str, Any],
    summary: Mapping[str, Any],
    report_html: str = "",
    extra_files: Mapping[str, bytes | str] | None = None,
    force: bool = False,
) -> Path:
    """Write a model folder atomically and return its path.

    Parameters
    ----------
    path : str or Path
        The folder to create. Its parent is created if needed.
    pipeline : fitted scikit-learn estimator
        Stored with skops; it must consist of types in tabship's trusted list, so that a
        saved model can always be loaded again.
    schema, metrics, summary, report_html
        Stored as ``schema.json``, ``metrics.json``, ``summary.json``, ``report.html``.
        JSON is written strictly: numpy scalars become numbers, NaN and infinities
        become ``null``.
    extra_files : mapping of name to bytes or str, optional
        Other files to keep with the model (plain file names only).
    force : bool
        Replace an existing model folder. Anything else at ``path`` is never replaced.

    Raises
    ------
    OutputExistsError
        ``path`` exists and ``force`` is False.
    OutputError
        The folder cannot be written, ``path`` is not a model folder, or a value cannot
        be stored safely.
    """
    target = Path(path)
    if (target.exists() or target.is_symlink()) and not force:
        raise OutputExistsError(target)
    files: dict[str, bytes] = {
        PIPELINE: _pipeline_bytes(pipeline, target),
        SCHEMA: _json_bytes(schema.to_dict(), SCHEMA, target),
        METRICS: _json_bytes(metrics, METRICS, target),
        SUMMARY: _json_bytes(summary, SUMMARY, target),
        REPORT: report_html.encode("utf-8"),
    }
    files.update(_extra_bytes(extra_files or {}))
    files[MANIFEST] = _json_bytes(build_manifest(files), MANIFEST, target)
    return write_directory(target, files, force=force, replaceable=looks_like_artifact)


def load(path: str | Path, *, build_pipeline: bool = True) -> Artifact:
    """Load a model folder or packed ``.tabship`` file, verifying it before building it.

    With ``build_pipeline=False`` the files are read, their hashes checked and the
    pipeline's types audited now (from the skops file's own listing, without importing
    scikit-learn), while its construction waits until ``Artifact.pipeline`` is first used
    (a serving worker that predicts from the scoring plan never needs it).

    Raises
    ------
    ArtifactError
        ``path`` is not a model (no such path, no manifest).
    ArtifactFormatError
        The format version is newer or unknown, or a file is malformed or unsafe.
    TamperedArtifactError
        A listed file is missing or does not match its sha256.
    UntrustedTypeError
        The stored pipeline holds a type outside tabship's trusted list; nothing from it
        was imported or constructed (with or without ``build_pipeline``).

    Warns
    -----
    TabshipWarning
        The installed numpy, pandas, scikit-learn, LightGBM or skops differ from the
        versions that saved the model.
    """
    source = Path(path)
    manifest, files = read_artifact(source)
    schema = _schema_from(files[SCHEMA], source)
    metrics = _json_from(files[METRICS], METRICS, source)
    summary = _json_from(files[SUMMARY], SUMMARY, source)
    report_html = _text_from(files[REPORT], REPORT, source)
    extras = {n: data for n, data in files.items() if n not in (*REQUIRED_FILES, MANIFEST)}
    loaded = Artifact(
        files[PIPELINE], schema, metrics, summary, manifest, source, report_html, extras
    )
    loaded.audit()
    if build_pipeline:
        loaded.pipeline  # noqa: B018 - audit and build now, raising here if unsafe
    return loaded


def verify(path: str | Path) -> Schema:
    """Every check ``load`` makes (hashes, format, trusted types), without building the
    pipeline: a quick up-front check for a process that will not predict itself, such as
    the parent of several server workers. Returns the schema."""
    source = Path(path)
    _, files = read_artifact(source)
    audit_pipeline(files[PIPELINE], source)
    return _schema_from(files[SCHEMA], source)


def read_manifest(path: str | Path) -> Manifest:
    """The checked manifest of a model, without reading its other files."""
    return read_manifest_only(path)


def read_schema(path: str | Path) -> Schema:
    """The verified schema of a model, without loading (or trusting) its pipeline."""
    source = Path(path)
    _, files = read_artifact(source, names=[SCHEMA])
    return _schema_from(files[SCHEMA], source)


def preload_saving() -> None:
    """Import what :func:`save` needs, now: ``skops.io`` builds its trusted-type list by
    importing every scikit-learn estimator (0.6 s on an idle 2-core machine, two or
    three times that on a busy one). ``train`` calls this before it shares out its time
    budget, so that this fixed cost comes out of the search instead of overrunning the
    budget at the save."""
    import skops.io  # noqa: F401


def _pipeline_bytes(pipeline: Any, target: Path) -> bytes:
    """The skops bytes of ``pipeline``, refused now if tabship could not load it later."""
    import zipfile

    import skops.io

    try:
        data: bytes = skops.io.dumps(pipeline, compression=zipfile.ZIP_DEFLATED)
    except Exception as exc:  # skops raises whatever the object's __reduce__ raises
        raise OutputError(
            target,
            f"the pipeline cannot be stored safely with skops ({type(exc).__name__}: {exc})",
            hint="Build it from scikit-learn, LightGBM and tabship components only.",
        ) from exc
    unknown = untrusted_types(data)
    if unknown:
        raise OutputError(
            target,
            "the pipeline holds types tabship refuses to load: " + ", ".join(unknown),
            hint="Build it from scikit-learn, LightGBM and tabship components only.",
        )
    return data


def _not_json(value: object) -> JSONValue:
    """A value JSON cannot hold is refused, as ``json.dumps`` would refuse it; a numpy
    scalar counts by its Python value."""
    if isinstance(value, np.generic):
        return json_safe(value.item(), nonfinite="null", other=_not_json)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _json_bytes(value: Any, name: str, target: Path) -> bytes:
    try:
        plain = json_safe(value, nonfinite="null", other=_not_json)
        text = json.dumps(plain, indent=2, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise OutputError(
            target,
            f"{name} cannot be written as JSON ({exc})",
            hint="Pass only strings, numbers, booleans, None, lists and dicts.",
        ) from exc
    return text.encode("utf-8")


def _extra_bytes(extra_files: Mapping[str, bytes | str]) -> dict[str, bytes]:
    reserved = {*REQUIRED_FILES, MANIFEST}
    for name in extra_files:
        if not is_plain_name(name) or name in reserved:
            raise OptionError(
                "extra_files", "plain file names other than " + ", ".join(sorted(reserved)), name
            )
    return {
        name: data.encode("utf-8") if isinstance(data, str) else bytes(data)
        for name, data in extra_files.items()
    }


def _json_from(data: bytes, name: str, source: Path) -> Any:
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArtifactFormatError(source, f"{name} is not valid JSON ({exc})") from None


def _text_from(data: bytes, name: str, source: Path) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ArtifactFormatError(source, f"{name} is not UTF-8 text ({exc})") from None


def _schema_from(data: bytes, source: Path) -> Schema:
    raw = _json_from(data, SCHEMA, source)
    try:
        return Schema.from_dict(raw)
    except (KeyError, TypeError, AttributeError) as exc:
        raise ArtifactFormatError(
            source, f"{SCHEMA} does not describe a schema ({type(exc).__name__}: {exc})"
        ) from None


def _construct(data: bytes, source: Path) -> Any:
    """Build the audited pipeline; skops re-checks every type against the same list."""
    import skops.io
    from skops.io.exceptions import UntrustedTypesFoundException

    try:
        return skops.io.loads(data, trusted=list(trusted_types()))
    except UntrustedTypesFoundException as exc:  # the audit above should have caught it
        raise UntrustedTypeError(source, f"its pipeline failed skops' audit ({exc})") from None
    except ModuleNotFoundError as exc:
        raise ArtifactError(
            source,
            f"its pipeline needs the module '{exc.name}', which is not installed",
            hint=f"Install it (pip install {exc.name}) and load the model again.",
        ) from None
    except Exception as exc:  # a damaged skops file fails in many library-specific ways
        raise ArtifactFormatError(
            source,
            f"its pipeline ({PIPELINE}) cannot be rebuilt ({type(exc).__name__}: {exc})",
            hint="Load it with the library versions listed in its manifest, or retrain it.",
        ) from exc
