from __future__ import annotations

from dataclasses import replace

import pytest

from tabship.errors import DataError, OptionError


def test_report_context_rejects_an_unknown_task(regression_context):
    with pytest.raises(OptionError, match="The option 'task' must be one of .*'clustering'"):
        replace(regression_context, task="clustering")


def test_report_context_rejects_predictions_of_another_length(regression_context):
    with pytest.raises(DataError, match="y_true has 3 values but y_pred has 2"):
        replace(regression_context, y_true=[1, 2, 3], y_pred=[1, 2])
