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


def test_the_summary_names_the_output_as_it_is_spelled(trained_model, tmp_path):
    """Printed to a pipe, the result lines are plain text: a path with brackets is not
    read as markup, and a long one is not wrapped."""
    model = trained_model("insurance")
    text = gzip.decompress(dataset_path("insurance.csv").read_bytes()).decode()
    header, first = text.split("\n")[:2]
    source = tmp_path / "in.csv"
    bad = "old," + first.split(",", 1)[1]  # an age that is no number
    source.write_text(f"{header}\n{first}\n{bad}\n")
    folder = tmp_path / ("deep-" * 30) / "[bold]x[/bold]"
    folder.mkdir(parents=True)
    out = folder / "scored[1].csv"
    result = run_tabship("predict", str(model), str(source), "-o", str(out), "-q")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    seconds = lines[0].split(" in ")[1].split(" s ")[0]
    assert lines[0] == f"Scored 1 of 2 rows in {seconds} s -> {out}"
    errors = out.with_name("scored[1].errors.csv")
    assert lines[1] == f"1 rows failed validation -> {errors}"
