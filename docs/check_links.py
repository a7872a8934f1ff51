"""Check every internal link of the built site: the target file exists and so does its anchor.

Usage::

    python docs/check_links.py docs/_build/html

Reads every HTML page, collects ``href`` and ``src`` values that are not external (``http``,
``https``, ``mailto``, ``data``), and reports each one whose file is missing or whose
``#fragment`` is not an ``id`` (or ``name``) in the target page. Exits with status 1 listing
them. External links are not checked (the build machine has no network).
"""

from __future__ import annotations

import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

EXTERNAL = ("http", "https", "mailto", "data", "javascript", "ftp")


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for key, value in attrs:
            if value is None:
                continue
            if key in ("id", "name"):
                self.ids.add(value)
            elif key in ("href", "src") and not (tag == "link" and value.startswith("_static")):
                self.links.append(value)


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8", errors="replace"))
    return page


def broken_links(site: Path) -> list[str]:
    """Return one line per broken internal link: page, link, and what is missing."""
    pages = {p: _parse(p) for p in sorted(site.rglob("*.html"))}
    problems = []
    for page, parsed in pages.items():
        for link in parsed.links:
            parts = urlsplit(link)
            if parts.scheme in EXTERNAL or link.startswith("//"):
                continue
            target = page if not parts.path else (page.parent / unquote(parts.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            where = f"{page.relative_to(site)}: {link}"
            if not target.is_file():
                problems.append(f"{where} (no file {target})")
                continue
            if parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else _parse(target).ids
                if unquote(parts.fragment) not in ids:
                    problems.append(f"{where} (no anchor #{parts.fragment})")
    return problems


def main(argv: list[str]) -> int:
    """Check the site in ``argv[0]`` (default docs/_build/html); return the exit status."""
    site = Path(argv[0] if argv else "docs/_build/html").resolve()
    if not (site / "index.html").is_file():
        print(f"no built site in {site}: run sphinx-build first", file=sys.stderr)
        return 1
    problems = broken_links(site)
    n_pages = sum(1 for _ in site.rglob("*.html"))
    if problems:
        print(f"{len(problems)} broken internal links:\n" + "\n".join(problems), file=sys.stderr)
        return 1
    print(f"internal links: all resolve ({n_pages} pages)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
