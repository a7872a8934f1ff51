"""The internal link checker of the documentation build (docs/check_links.py) on a tiny site."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs"))

from check_links import broken_links, main  # noqa: E402


def _site(tmp_path: Path, links: str) -> Path:
    (tmp_path / "guide").mkdir()
    (tmp_path / "index.html").write_text(
        f'<html><body><h1 id="top">x</h1>{links}<a href="https://example.org">ext</a></body></html>'
    )
    (tmp_path / "guide" / "page.html").write_text(
        '<html><body><section id="usage">u</section><a href="../index.html#top">up</a></body></html>'
    )
    return tmp_path


def test_good_links_pass(tmp_path: Path) -> None:
    site = _site(tmp_path, '<a href="guide/page.html#usage">ok</a><a href="#top">self</a>')
    assert broken_links(site) == []
    assert main([str(site)]) == 0


def test_missing_page_and_missing_anchor_are_reported(tmp_path: Path) -> None:
    site = _site(tmp_path, '<a href="guide/gone.html">a</a><a href="guide/page.html#nope">b</a>')
    problems = broken_links(site)
    assert len(problems) == 2
    assert "index.html: guide/gone.html (no file" in problems[0]
    assert problems[1] == "index.html: guide/page.html#nope (no anchor #nope)"
    assert main([str(site)]) == 1
