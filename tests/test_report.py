import pandas as pd
import pytest

from agglomeration.report import TableColumn, make_macros, make_regression_table, make_summary_table


def _coefs(est, se, p):
    return pd.DataFrame({"term": ["x", "z"], "estimate": est, "std_error": se, "p_value": p})


def test_regression_table_latex_layout():
    cols = [
        TableColumn(
            "(1)", _coefs([0.5, -1.23456], [0.1, 2.0], [0.001, 0.5]), {"N": "100", "FE": "Yes"}
        ),
        TableColumn("(2)", _coefs([0.25, 0.0], [0.12, 0.1], [0.04, 0.99]).iloc[:1], {"N": "90"}),
    ]
    tex = make_regression_table(cols, labels={"x": "log density_x"})
    lines = tex.splitlines()
    # the tabular sits in a box that is scaled down only if wider than the text
    start = lines.index(r"\begin{tabular}{lcc}")
    assert lines[start + 1] == r"\toprule" and r"\resizebox{\linewidth}{!}" in tex
    # p = 0.001 -> ***, p = 0.04 -> **, p = 0.5 -> no star; underscores escaped
    assert r"log density\_x & 0.500\textsuperscript{***} & 0.250\textsuperscript{**} \\" in lines
    assert r" & (0.100) & (0.120) \\" in lines
    assert r"z & -1.235 &  \\" in lines  # rounded to 3 decimals; empty cell where absent
    assert r"N & 100 & 90 \\" in lines and r"FE & Yes &  \\" in lines
    assert lines.count(r"\midrule") == 2
    assert lines[lines.index(r"\end{tabular}%") - 1] == r"\bottomrule"


def test_regression_table_markdown_and_html():
    col = TableColumn("(1)", _coefs([0.5, 1.0], [0.1, 0.2], [0.2, 0.06]))
    md = make_regression_table([col], fmt="markdown")
    assert "| x | 0.500 |" in md and "| z | 1.000* |" in md
    html = make_regression_table([col], fmt="html")
    assert "<td>1.000<sup>*</sup></td>" in html


def test_regression_table_rejects_bad_input():
    with pytest.raises(ValueError, match="lacks"):
        make_regression_table([TableColumn("(1)", pd.DataFrame({"term": ["x"]}))])
    with pytest.raises(ValueError, match="fmt must be"):
        make_regression_table([TableColumn("(1)", _coefs([1, 1], [1, 1], [1, 1]))], fmt="rtf")  # type: ignore[arg-type]


def test_summary_table_hand_computed():
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0, None]})
    tex = make_summary_table(df, ["a"], digits=2)
    # N = 4 non-missing; mean 2.5; SD sqrt(5/3) = 1.29; min 1; median 2.5; max 4
    assert r"a & 4 & 2.50 & 1.29 & 1.00 & 2.50 & 4.00 \\" in tex
    with pytest.raises(ValueError, match=r"\['b'\] are not in the frame"):
        make_summary_table(df, ["b"])


def test_macros_sorted_and_validated():
    out = make_macros({"Zeta": "1", "Alpha": "0.074"})
    assert out.splitlines()[1:] == [r"\newcommand{\Alpha}{0.074}", r"\newcommand{\Zeta}{1}"]
    with pytest.raises(ValueError, match="letters only"):
        make_macros({"beta2": "1"})


def test_frame_table_formats_cells():
    from agglomeration.report import make_frame_table

    df = pd.DataFrame(
        {
            "Variance": ["cluster(state_fips)", "iid"],
            "SE": [0.0054968, float("nan")],
            "Clusters": pd.array([50, None], dtype="Int64"),
        }
    )
    tex = make_frame_table(df, digits={"SE": 4})
    assert r"cluster(state\_fips) & 0.0055 & 50 \\" in tex
    assert r"iid &  &  \\" in tex
    assert r"\begin{tabular}{lrr}" in tex.splitlines()
