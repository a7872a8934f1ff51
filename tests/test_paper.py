"""The paper's prose quotes no number by hand: every digit comes from a generated macro.

Digits are allowed inside math (equations and $...$), citations, labels and references, file
paths of \\input/\\includegraphics, the arguments of the registry lookups \\est{...} and
\\gap{...}, and the preamble; anywhere else a digit means a number typed by hand.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAIN = ROOT / "paper" / "main.tex"

# commands whose brace arguments are not prose (all of their arguments are removed)
NON_PROSE = (
    "est",
    "gap",
    "shiftshare",
    "robust",
    "cite",
    "citet",
    "citep",
    "citealt",
    "ref",
    "eqref",
    "label",
    "input",
    "includegraphics",
    "bibliography",
    "bibliographystyle",
    "begin",
    "end",
    "texttt",
    "url",
)


def prose_of(tex: str) -> str:
    """The body of a LaTeX document with comments, math and non-prose arguments removed."""
    body = tex.split(r"\begin{document}", 1)[1]
    body = re.sub(r"(?<!\\)%.*", "", body)  # comments
    body = re.sub(r"\\begin\{(equation|align|eqnarray)\*?\}.*?\\end\{\1\*?\}", " ", body, flags=re.S)
    body = re.sub(r"\\\[.*?\\\]", " ", body, flags=re.S)
    body = re.sub(r"(?<!\\)\$.*?(?<!\\)\$", " ", body, flags=re.S)
    cmd = "|".join(NON_PROSE)
    # a command with optional [...] and any number of {...} arguments (one level of nesting)
    arg = r"(\[[^\]]*\]|\{(?:[^{}]|\{[^{}]*\})*\})"
    body = re.sub(rf"\\({cmd})(?![A-Za-z])\*?(\s*{arg})*", " ", body)
    body = re.sub(r"\[(htbp|h|t|b|p|H)+\]", " ", body)  # float placement
    return body


def test_prose_has_no_hand_typed_digits():
    prose = prose_of(MAIN.read_text(encoding="utf-8"))
    hits = [m.group(0) for m in re.finditer(r".{0,30}\d.{0,30}", prose)]
    assert not hits, f"digits typed by hand in the paper's prose: {hits[:5]}"


@pytest.mark.parametrize(
    ("tex", "found"),
    [
        ("rises by 0.07 per cent", True),
        (r"rises by \est{county_iv_1900}{log_density}{b} per cent", False),
        (r"see Table~\ref{tab:x1} and \citet{Hansen1982}", False),
        (r"an equation $\beta_1 = 2$ here", False),
        ("in 21 years", True),
        (r"\begin{equation} y = 2x \end{equation} after", False),
    ],
)
def test_the_check_finds_typed_digits_and_only_them(tex, found):
    doc = r"\documentclass{article}\begin{document}" + tex + r"\end{document}"
    assert bool(re.search(r"\d", prose_of(doc))) is found
