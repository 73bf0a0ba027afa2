"""docs/KPIS.md states every KPI's definition exactly as the pages do."""

from pathlib import Path

from shop.dashboard.definitions import COUNTED, DEFINITIONS

DOCS = Path(__file__).resolve().parents[2] / "docs" / "KPIS.md"


def test_every_definition_is_in_the_docs_word_for_word():
    text = DOCS.read_text()
    for key, definition in DEFINITIONS.items():
        assert f"| `{key}` | {definition} |" in text, key
    assert COUNTED in text


def test_the_readme_links_the_kpi_docs():
    readme = (DOCS.parents[1] / "README.md").read_text()
    assert "docs/KPIS.md" in readme
