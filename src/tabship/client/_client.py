"""``tabship.Client``: predict over HTTP as if the model were loaded locally.

The client returns what ``tabship.load(...)`` returns (a numpy array of predictions, a
DataFrame of class probabilities), so code moves between a local model and a deployed one
by changing one line. Field errors from the server come back as ``ValidationError`` with
the server's per-field list, so a caller handles bad input the same way in both cases.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, cast

import httpx
import numpy as np
import pandas as pd

from tabship.client._answers import MetadataAnswer, PredictAnswer, StatusAnswer
from tabship.data import JSONValue, json_safe
from tabship.errors import ErrorItem, RemoteError, ValidationError

if TYPE_CHECKING:
    from tabship.runtime import Scored

__all__ = ["Client", "score_frame_remotely"]

_CHUNK = 5_000


class Client:
    """Talk to ``tabship serve`` (or a deployed copy) at ``url``.

    Parameters
    ----------
    url : str
        Base URL, e.g. ``"http://127.0.0.1:8000"``.
    api_key : str, optional
        Bearer token when the server was started with ``--api-key``.
    timeout : float
        Seconds to wait for connect and for each answer; never hangs.

    Examples
    --------
    >>> client = tabship.Client("http://127.0.0.1:8000")  # doctest: +SKIP
    >>> client.predict([{"age": 19, "sex": "female", "bmi": 27.9, "children": 0,
    ...                  "smoker": "yes", "region": "southwest"}])  # doctest: +SKIP
    array([16884.92])
    """

    def __init__(self, url: str, *, api_key: str | None = None, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def health(self) -> StatusAnswer:
        return cast("StatusAnswer", self._get("/health"))

    def ready(self) -> StatusAnswer:
        return cast("StatusAnswer", self._get("/ready"))

    def metadata(self) -> MetadataAnswer:
        """Schema, metrics and versions of the served model."""
        return cast("MetadataAnswer", self._get("/metadata"))

    def score(self, data: Any, *, explain: bool = False) -> PredictAnswer:
        """The full ``/predict`` answer for at most one chunk of records
        (``tabship.runtime.Scored.from_json`` turns it into a result)."""
        params = {"explain": "true"} if explain else None
        return cast("PredictAnswer", self._post("/predict", _records(data), params=params))

    def predict(self, data: Any) -> np.ndarray:
        """Predictions, as ``Model.predict`` gives them, chunked for large frames."""
        values: list[Any] = []
        for chunk in _chunks(_records(data)):
            values.extend(self._post("/predict", chunk)["predictions"])
        return np.asarray(values)

    def predict_proba(self, data: Any) -> pd.DataFrame:
        """Class probabilities, one column per class, as ``Model.predict_proba`` gives them."""
        rows: list[dict[str, float]] = []
        for chunk in _chunks(_records(data)):
            body = self._post("/predict", chunk)
            if body.get("probabilities") is None:
                raise RemoteError(
                    self.url, "serves a regression model, which has no class probabilities"
                )
            rows.extend(body["probabilities"])
        return pd.DataFrame(rows)

    def _get(self, path: str) -> dict[str, Any]:
        return self._answer(self._send("GET", path))

    def _post(
        self, path: str, payload: Any, params: dict[str, str] | None = None
    ) -> dict[str, Any]:
        return self._answer(self._send("POST", path, json=payload, params=params))

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self._http.request(method, path, **kwargs)
        except httpx.TimeoutException:
            raise RemoteError(self.url, "did not answer in time") from None
        except httpx.HTTPError as err:
            raise RemoteError(
                self.url, f"cannot be reached ({type(err).__name__}: {err})"
            ) from None

    def _answer(self, response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code == 422 and isinstance(body.get("detail"), list):
            raise ValidationError(body["detail"])
        if response.status_code >= 400:
            message = body.get("message") or response.text[:200] or response.reason_phrase
            raise RemoteError(
                self.url, f"answered {response.status_code}: {message}", status=response.status_code
            )
        if not isinstance(body, dict):
            raise RemoteError(self.url, "answered something that is not a JSON object")
        return body


def _records(data: Any) -> Any:
    """JSON-ready records: DataFrames become lists of dicts with missing values as null."""
    if isinstance(data, pd.DataFrame):
        return [
            {k: json_safe(v, nonfinite="null", other=_cell) for k, v in row.items()}
            for row in data.to_dict(orient="records")
        ]
    return data


def _cell(value: object) -> JSONValue:
    """A cell JSON has no plain spelling for: pandas' NA and NaT are null, another numpy
    scalar is its Python value; anything else goes as it is, for the JSON encoder to judge."""
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    return cast(JSONValue, value)


def _chunks(records: Any) -> Iterator[Any]:
    if not isinstance(records, list):
        yield records
        return
    for start in range(0, len(records), _CHUNK):
        yield records[start : start + _CHUNK]


def score_frame_remotely(client: Client, frame: pd.DataFrame) -> Scored:
    """Score a chunk on a server like ``Model.score(frame, strict=False)`` does locally.

    The server rejects a batch holding any invalid record (422, errors per index); the
    valid rest is then sent again, so the caller gets the good rows scored and the bad
    ones reported, as with a local model.
    """
    from tabship.runtime import Scored

    records = _records(frame)
    errors: list[ErrorItem] = []
    index = list(range(len(records)))
    try:
        body = client._post("/predict", records)
    except ValidationError as err:
        errors = err.errors
        bad = {e["loc"][0] for e in errors if e.get("loc") and isinstance(e["loc"][0], int)}
        index = [i for i in index if i not in bad]
        if not index:
            return Scored(index=[], predictions=[], errors=errors)
        body = client._post("/predict", [records[i] for i in index])
    return Scored.from_json(body, index=index, errors=errors)
