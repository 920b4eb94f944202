"""`tabship train` as a user runs it: a real subprocess, real files, one-line errors."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests._cli import error_lines, run_tabship

pytestmark = pytest.mark.integration


def run_cli(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return run_tabship(*args, timeout=timeout)


def assert_one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode != 0, result.stdout
    lines = error_lines(result)
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_cli_train_writes_a_model_folder_and_info_reads_it(datasets_dir, tmp_path):
    out = tmp_path / "drug"
    result = run_cli(
        "train",
        str(datasets_dir / "drug200.csv"),
        "--target",
        "Drug",
        "--time-budget",
        "5",
        "-o",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    assert "Leaderboard" in result.stdout
    assert (out / "report.html").exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["files"]) >= {"pipeline.skops", "schema.json", "metrics.json"}
    info = run_cli("info", str(out), "--json")
    assert info.returncode == 0, info.stderr
    assert json.loads(info.stdout)["schema"]["target"]["classes"][0] == "drugA"
    packed = run_cli("pack", str(out))
    assert packed.returncode == 0, packed.stderr
    again = run_cli("info", str(tmp_path / "drug.tabship"))
    assert again.returncode == 0, again.stderr
    assert "Drug" in again.stdout


def test_cli_train_raw_uci_file_without_header(datasets_dir, tmp_path):
    names = "MPG,Cylinders,Displacement,Horsepower,Weight,Acceleration,Year,Origin,Name"
    result = run_cli(
        "train",
        str(datasets_dir / "auto-mpg.data"),
        "--no-header",
        "--sep",
        r"\s+",
        "--names",
        names,
        "-t",
        "MPG",
        "--time-budget",
        "5",
        "-o",
        str(tmp_path / "m"),
    )
    assert result.returncode == 0, result.stderr
    schema = json.loads((tmp_path / "m" / "schema.json").read_text())
    roles = {f["name"]: f["role"] for f in schema["fields"]}
    assert roles["Origin"] == "categorical" and roles["Horsepower"] == "numeric"


@pytest.mark.parametrize(
    ("make_input", "fragments"),
    [
        (lambda d: d / "nope.csv", ["nope.csv", "no such file"]),
        (lambda d: _write(d / "empty.csv", b""), ["empty.csv"]),
        (
            lambda d: _write(
                d / "image.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
            ),
            ["image.csv"],
        ),
        (lambda d: _write(d / "dup.csv", b"a,b,a,charges\n1,2,3,4\n5,6,7,8\n"), ["'a'"]),
    ],
    ids=["missing", "empty", "binary", "duplicate-columns"],
)
def test_cli_train_bad_file_is_one_line_and_writes_nothing(tmp_path, make_input, fragments):
    data = make_input(tmp_path)
    out = tmp_path / "out"
    result = run_cli("train", str(data), "-t", "charges", "--time-budget", "5", "-o", str(out))
    assert_one_line_error(result, *fragments)
    assert not out.exists()


def test_cli_train_unknown_target_suggests(datasets_dir, tmp_path):
    result = run_cli(
        "train", str(datasets_dir / "insurance.csv"), "-t", "Charges", "-o", str(tmp_path / "o")
    )
    assert_one_line_error(result, "'Charges'", "Did you mean 'charges'")
    assert not (tmp_path / "o").exists()


def test_cli_train_single_class_and_all_missing_targets(tmp_path):
    one = _write(tmp_path / "one.csv", b"x,y\n" + b"".join(b"%d,a\n" % i for i in range(50)))
    result = run_cli("train", str(one), "-t", "y", "-o", str(tmp_path / "o1"))
    assert_one_line_error(result, "'y'")
    empty = _write(tmp_path / "nan.csv", b"x,y\n" + b"".join(b"%d,\n" % i for i in range(50)))
    result = run_cli("train", str(empty), "-t", "y", "-o", str(tmp_path / "o2"))
    assert_one_line_error(result, "'y'")


def test_cli_train_infinite_target_names_its_row(tmp_path):
    rows = b"".join(b"%d,%d.5\n" % (i, i * 3 % 17) for i in range(60))
    data = _write(tmp_path / "inf.csv", b"x,y\n" + rows + b"61,inf\n")
    result = run_cli("train", str(data), "-t", "y", "-o", str(tmp_path / "o"))
    assert_one_line_error(result, "'y' must be finite", "data row 61")
    assert not (tmp_path / "o").exists()


def test_cli_train_too_few_rows(tmp_path):
    tiny = _write(tmp_path / "tiny.csv", b"x,y\n1,2\n2,3\n3,5\n4,4\n")
    result = run_cli("train", str(tiny), "-t", "y", "-o", str(tmp_path / "o"))
    assert_one_line_error(result, "too few")


def test_cli_train_unwritable_output(datasets_dir, tmp_path):
    blocker = _write(tmp_path / "file", b"not a folder")
    result = run_cli(
        "train", str(datasets_dir / "insurance.csv"), "-t", "charges", "-o", str(blocker / "model")
    )
    assert_one_line_error(result, "not writable")


def test_cli_train_existing_output_needs_force(datasets_dir, tmp_path):
    (tmp_path / "o").mkdir()
    result = run_cli(
        "train", str(datasets_dir / "insurance.csv"), "-t", "charges", "-o", str(tmp_path / "o")
    )
    assert_one_line_error(result, "already exists", "--force")


def test_cli_train_bad_role_option(datasets_dir, tmp_path):
    result = run_cli(
        "train",
        str(datasets_dir / "insurance.csv"),
        "-t",
        "charges",
        "--role",
        "region",
        "-o",
        str(tmp_path / "o"),
    )
    assert_one_line_error(result, "--role")


@pytest.mark.parametrize(
    ("option", "value", "fragments"),
    [
        ("--test-size", "1.5", ["The option '--test-size' must be a fraction", "1.5"]),
        ("--folds", "1", ["The option '--folds' must be a whole number of at least 2"]),
        ("--stratify", "bmi", ["The option '--stratify' must be a column"]),
    ],
)
def test_cli_train_bad_option_names_the_flag(datasets_dir, tmp_path, option, value, fragments):
    """The library names ``test_size``; the command line reports the flag the user typed."""
    result = run_cli(
        "train", str(datasets_dir / "insurance.csv"), "-t", "charges", option, value,
        "-o", str(tmp_path / "o"),
    )  # fmt: skip
    assert_one_line_error(result, *fragments)
    assert not (tmp_path / "o").exists()


def test_cli_info_on_tampered_model_fails_cleanly(insurance_run, tmp_path):
    import shutil

    _, path = insurance_run
    copy = tmp_path / "copy"
    shutil.copytree(path, copy)
    schema = copy / "schema.json"
    schema.write_text(schema.read_text().replace('"charges"', '"charge$"'))
    result = run_cli("info", str(copy))
    assert_one_line_error(result, "schema.json")


def test_cli_help_lists_commands_with_examples():
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("train", "info", "pack", "demo"):
        assert command in result.stdout
    result = run_cli("train", "--help")
    assert "Examples" in result.stdout and "--time-budget" in result.stdout


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path
