"""The docs pages hang together: the README links each tutorial and the concepts page,
every tutorial has its test and its form's screenshot, and the runner refuses a block
it would not run."""

from __future__ import annotations

import re

import pytest

from tests.docs._pages import ROOT, TUTORIALS
from tests.docs._runner import PageRun, run_page

pytestmark = pytest.mark.docs

PAGES = sorted(path.stem for path in TUTORIALS.glob("*.md"))


def test_there_is_a_page_per_tutorial():
    assert PAGES == ["auto-mpg", "census-income", "college-earnings", "drug", "insurance"]


@pytest.mark.parametrize("name", PAGES)
def test_the_readme_links_the_page(name):
    assert f"(docs/tutorials/{name}.md)" in (ROOT / "README.md").read_text()


def test_the_readme_links_the_concepts_page():
    assert "(docs/concepts.md)" in (ROOT / "README.md").read_text()


@pytest.mark.parametrize("name", PAGES)
def test_the_page_has_its_test_and_its_screenshot(name):
    text = (TUTORIALS / f"{name}.md").read_text()
    assert f"(img/{name}-form.png)" in text
    assert (TUTORIALS / "img" / f"{name}-form.png").stat().st_size > 10_000
    test = ROOT / "tests" / "docs" / f"test_{name.replace('-', '_')}.py"
    assert "run_tutorial(" in test.read_text() and f'"{name}"' in test.read_text()


@pytest.mark.parametrize(
    "page", [TUTORIALS / f"{name}.md" for name in PAGES] + [ROOT / "docs" / "concepts.md"]
)
def test_the_page_links_resolve(page):
    for target in re.findall(r"\]\(([^)#]+)[^)]*\)", page.read_text()):
        if not target.startswith("http"):
            assert (page.parent / target).exists(), f"{page.name} links to missing {target}"


BROKEN_PAGES = [
    ("```bash\ntabship --help\n```\n", ValueError, "a ```bash block is not run"),
    ("```console\n$ tabship --help\n```\n", ValueError, "a ```console block is not run"),
    ("```sh\ntabship info no-such-model\n```\n", AssertionError, r"line 1: exit \d+, expected 0"),
    ("```sh\necho one two\n```\n\n```output\none\nthree\n```\n", AssertionError,
     "'three' not in the output"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "error", "message"), BROKEN_PAGES)
def test_a_page_that_drifted_fails(tmp_path, text, error, message):
    page = tmp_path / "page.md"
    page.write_text(text)
    with pytest.raises(error, match=message), run_page(page, tmp_path):
        pass


def test_documented_ports_become_free_ports_in_every_spelling(tmp_path):
    page = PageRun(path=tmp_path / "page.md", workdir=tmp_path)
    text = page.substitute(
        "tabship serve m --port 8000\ncurl http://127.0.0.1:8000/health localhost:8000\n"
        "PORT=8001 x; requests.get('http://127.0.0.1:8001/ready')"
    )
    first, second = page.ports[8000], page.ports[8001]
    assert first != second
    assert text == (
        f"tabship serve m --port {first}\ncurl http://127.0.0.1:{first}/health localhost:{first}\n"
        f"PORT={second} x; requests.get('http://127.0.0.1:{second}/ready')"
    )
