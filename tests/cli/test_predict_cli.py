"""``tabship predict``: formula-like cells quoted by default, kept with --no-escape-formulas."""

from __future__ import annotations

import csv
import gzip

import pytest

from tests._cli import run_tabship
from tests.conftest import dataset_path

pytestmark = pytest.mark.integration


def test_predict_quotes_formulas_unless_told_not_to(trained_model, tmp_path):
    model = trained_model("insurance")
    text = gzip.decompress(dataset_path("insurance.csv").read_bytes()).decode()
    header, first = text.split("\n")[:2]
    source = tmp_path / "in.csv"
    source.write_text(f'{header},note\n{first},"=HYPERLINK(""http://x"")"\n{first},-3.5\n')
    for flag, expected in [((), "'=HYPERLINK"), (("--no-escape-formulas",), "=HYPERLINK")]:
        out = tmp_path / f"out{len(flag)}.csv"
        result = run_tabship("predict", str(model), str(source), "-o", str(out), "-q", *flag)
        assert result.returncode == 0, result.stderr
        with out.open(newline="") as scored:
            notes = [row["note"] for row in csv.DictReader(scored)]
        assert notes[0].startswith(expected) and notes[1] == "-3.5"
