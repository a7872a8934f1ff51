"""CITATION.cff: valid Citation File Format 1.2.0 structure, and in step with the package."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml  # installed with the docs extra (myst-parser depends on it)

ROOT = Path(__file__).resolve().parents[1]


def test_citation_file_is_cff_and_matches_the_package() -> None:
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    # the keys CFF 1.2.0 requires, with the types its schema gives them
    assert cff["cff-version"] == "1.2.0"
    assert isinstance(cff["message"], str) and cff["message"]
    assert isinstance(cff["title"], str) and cff["title"]
    assert cff["authors"] and all("name" in a or "family-names" in a for a in cff["authors"])
    with (ROOT / "pyproject.toml").open("rb") as fh:
        project = tomllib.load(fh)["project"]
    assert str(cff["version"]) == project["version"]
    assert cff["license"] == project["license"]["text"]
    for ref in cff.get("references", []):
        assert ref["type"] and ref["title"] and ref["authors"], ref
