"""Regression tables declared in TOML and filled from the registry (agglomeration.report)."""

import re
import shutil
import subprocess
import tomllib
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from agglomeration.errors import ColumnMissingError, SpecError
from agglomeration.report import (
    TableColumn,
    build_table,
    escape_latex,
    load_table_spec,
    make_regression_table,
    parse_table_spec,
)

NAN = np.nan


def _row(spec_id, spec_name, term, est, se, p, **model):
    base = {
        "spec_id": spec_id,
        "spec_name": spec_name,
        "term": term,
        "estimate": est,
        "std_error": se,
        "statistic": est / se,
        "p_value": p,
        "conf_low": est - 1.96 * se,
        "conf_high": est + 1.96 * se,
        "n_obs": 65410,
        "n_clusters": NAN,
        "fixed_effects": "state_fips^year",
        "variance": "",
        "variance_type": "iid",
        "cluster": NAN,
        "cutoff_km": NAN,
        "kernel": NAN,
        "lags": NAN,
        "estimator": "ols",
        "r2": 0.6213,
        "pseudo_r2": NAN,
        "outcome_mean": 8.9344,
        "first_stage_f": NAN,
    }
    return {**base, **model}


CL_STATE = {"variance_type": "cluster", "cluster": "state_fips", "n_clusters": 50}


@pytest.fixture
def registry():
    """A small registry written by hand (the numbers the tables must show are stated below)."""
    rows = [
        # base, clustered by state: 0.0738 (0.00551) p = 5e-18 -> ***; share_degree 0.512 (0.25) p=0.04 -> **
        _row("a00000000001", "base", "log_density", 0.0738, 0.00551, 5e-18, **CL_STATE),
        _row("a00000000001", "base", "share_degree", 0.512, 0.25, 0.04, **CL_STATE),
        # base, iid
        _row("a00000000002", "base", "log_density", 0.0738, 0.00046, 0.0),
        _row("a00000000002", "base", "share_degree", 0.512, 0.021, 0.0),
        # base, Conley 100 km without and with serial correlation; two-way cluster; DK auto lags
        _row("a00000000003", "base", "log_density", 0.0738, 0.0008, 0.0,
             variance_type="conley", cutoff_km=100.0, kernel="uniform", lags=0),
        _row("a00000000004", "base", "log_density", 0.0738, 0.0020, 0.0,
             variance_type="conley", cutoff_km=100.0, kernel="uniform", lags=20),
        _row("a00000000005", "base", "log_density", 0.0738, 0.0027, 0.0,
             variance_type="cluster", cluster="fips+year", n_clusters=21),
        _row("a00000000006", "base", "log_density", 0.0738, 0.0022, 0.0,
             variance_type="driscoll_kraay", n_clusters=21),
        # within county: -0.0123 (0.0080) p = 0.07 -> *
        _row("b00000000001", "within", "log_density", -0.0123, 0.0080, 0.07,
             fixed_effects="fips + year", variance_type="cluster", cluster="fips",
             n_clusters=3139, r2=0.9512, n_obs=65402),
        # IV: 0.0456 (0.0300) p = 0.2 -> no star; first-stage F 123.45
        _row("c00000000001", "iv", "log_density", 0.0456, 0.0300, 0.2,
             estimator="iv", first_stage_f=123.45, n_obs=61234, **CL_STATE),
        # Poisson patents: 1234.5 (100.25), pseudo R2
        _row("d00000000001", "patents", "log_density", 1234.5, 100.25, 1e-9,
             estimator="poisson", r2=NAN, pseudo_r2=0.4321, fixed_effects=""),
    ]  # fmt: skip
    return pd.DataFrame(rows)


SPEC = """
[table]
name = "density"
caption = "Density & pay: county × year, p<0.10"
label = "tab:density"
notes = "Outcome: log pay per employee (100% of counties)."
digits = 3
terms = [
  {term = "log_density", label = "log density_x"},
  {term = "share_degree", label = "Share with a degree", digits = 2},
]
rows = ["fixed_effects", "n_obs", "n_clusters", "r2", "outcome_mean", "first_stage_f", "variance"]

[table.fixed_effects]
"state_fips^year" = "State × year FE"
fips = "County FE"
year = "Year FE"

[table.row_labels]
first_stage_f = "First-stage F"

[table.variance_names]
state_fips = "state"
fips = "county"

[[table.panels]]
title = "Panel A: OLS"
groups = [{title = "Cross-section", span = 2}]
columns = [
  {spec = "base", header = "(1)", variance = {type = "cluster", cluster = "state_fips"}},
  {spec = "base", header = "(2)", variance = {type = "iid"}},
  {spec = "within", header = "(3)"},
]

[[table.panels]]
title = "Panel B: IV"
terms = ["log_density"]
columns = [{spec = "iv", header = "(4)"}]
"""


def _spec(text=SPEC):
    return parse_table_spec(tomllib.loads(text))


def test_table_holds_the_registry_numbers(registry):
    t = build_table(_spec(), registry)
    a, b = t.panels
    assert a.spec_ids == ("a00000000001", "a00000000002", "b00000000001")
    assert b.spec_ids == ("c00000000001",)
    est, se, est2, se2 = a.coef_rows
    # hand-rounded: 0.0738 -> 0.074 (***), -0.0123 -> -0.012 (*); SEs in parentheses
    assert [(c.text, c.stars) for c in est.cells] == [
        ("0.074", "***"),
        ("0.074", "***"),
        ("-0.012", "*"),
    ]
    assert [c.text for c in se.cells] == ["(0.006)", "(0.000)", "(0.008)"]
    # share_degree: two decimals, absent from column (3) -> empty
    assert [(c.text, c.stars) for c in est2.cells] == [("0.51", "**"), ("0.51", "***"), ("", "")]
    assert [c.text for c in se2.cells] == ["(0.25)", "(0.02)", ""]
    model = {r.label: [c.text for c in r.cells] for r in a.model_rows}
    assert model == {
        "State × year FE": ["Yes", "Yes", "No"],
        "County FE": ["No", "No", "Yes"],
        "Year FE": ["No", "No", "Yes"],
        "Observations": ["65,410", "65,410", "65,402"],
        "Clusters": ["50", "", "3,139"],
        "R²": ["0.621", "0.621", "0.951"],
        "Mean of outcome": ["8.934", "8.934", "8.934"],
        # no first-stage F in OLS columns: the row is left out of panel A
        "Standard errors": ["cluster by state", "iid (homoskedastic)", "cluster by county"],
    }
    model_b = {r.label: [c.text for c in r.cells] for r in b.model_rows}
    assert model_b["First-stage F"] == ["123.5"]  # one decimal by default
    assert [(c.text, c.stars) for c in b.coef_rows[0].cells] == [("0.046", "")]  # p = 0.2


def test_variance_selected_by_structured_fields(registry):
    text = (
        SPEC.split("[[table.panels]]")[0]
        + """
[[table.panels]]
terms = ["log_density"]
rows = ["n_clusters", "variance"]
columns = [
  {spec = "base", header = "C0", variance = {type = "conley", cutoff_km = 100, lags = 0}},
  {spec = "base", header = "C20", variance = {type = "conley", cutoff_km = 100, lags = 20}},
  {spec = "base", header = "2way", variance = {type = "cluster", cluster = ["fips", "year"]}},
  {spec = "base", header = "DK", variance = {type = "driscoll_kraay", lags = "auto"}},
  {spec_id = "a00000000002", header = "id"},
]
"""
    )
    (p,) = build_table(_spec(text), registry).panels
    assert p.spec_ids == (
        "a00000000003",
        "a00000000004",
        "a00000000005",
        "a00000000006",
        "a00000000002",
    )
    assert [c.text for c in p.coef_rows[1].cells] == [
        "(0.001)",
        "(0.002)",
        "(0.003)",
        "(0.002)",
        "(0.000)",
    ]
    assert [c.text for c in p.model_rows[1].cells][:3] == [
        "Conley 100 km",
        "Conley 100 km + serial (20 lags)",
        "two-way: county and year",
    ]


def test_latex_layout_and_escaping(registry):
    tex = build_table(_spec(), registry).to_latex()
    lines = tex.splitlines()
    assert r"\begin{table}[htbp]" in lines and r"\label{tab:density}" in lines
    # caption escaped: & -> \&, × and < in math mode (prints correctly without T1 fontenc)
    assert r"\caption{Density \& pay: county $\times$ year, p$<$0.10}" in lines
    assert "p<0.10" not in tex.replace("p$<$0.10", "")
    assert r"log density\_x & 0.074^{***} & 0.074^{***} & -0.012^{*} \\" in lines
    assert r" & (0.006) & (0.000) & (0.008) \\" in lines
    assert (
        r"State $\times$ year FE & \multicolumn{1}{c}{Yes} & \multicolumn{1}{c}{Yes} & "
        r"\multicolumn{1}{c}{No} \\" in lines
    )
    assert r"\multicolumn{4}{@{}l}{\textit{Panel A: OLS}} \\" in lines
    assert r"\multicolumn{2}{c}{Cross-section}" in tex and r"\cmidrule(lr){2-3}" in tex
    # notes: declared text, then the star legend, escaped
    assert r"(100\% of counties). * p$<$0.10, ** p$<$0.05, *** p$<$0.01." in tex
    # booktabs rules and dcolumn alignment
    assert tex.count(r"\toprule") == 1 and tex.count(r"\bottomrule") == 1
    assert r"\begin{tabular}{@{}lD{.}{.}" in tex


def test_large_numbers_and_poisson_rows(registry):
    text = """
[table]
name = "patents"
stars = [0.05, 0.01]
terms = ["log_density"]
rows = ["n_obs", "pseudo_r2"]
[[table.panels]]
columns = [{spec = "patents", header = "Patents"}]
"""
    t = build_table(_spec(text), registry)
    (est, se) = t.panels[0].coef_rows
    assert (est.cells[0].text, est.cells[0].stars) == ("1,234.500", "**")
    assert se.cells[0].text == "(100.250)"
    assert t.panels[0].model_rows[1].cells[0].text == "0.432"
    tex = t.to_latex()
    # thousands separator braced in math mode so that it gets no extra space
    assert r"1{,}234.500^{**}" in tex
    assert "** p$<$0.05, *** p$<$0.01" not in tex and "* p$<$0.05, ** p$<$0.01." in tex


def test_markdown_and_html_from_the_same_object(registry):
    t = build_table(_spec(), registry)
    md = t.to_markdown().splitlines()
    assert md[0] == "**Density & pay: county × year, p<0.10**"
    assert md[2] == "|  | Cross-section (1) | Cross-section (2) | (3) |"
    assert "| log density_x | 0.074*** | 0.074*** | -0.012* |" in md
    assert "| **Panel B: IV** |  |  |  |" in md
    assert "|  | **(4)** |  |  |" in md  # panel B has its own header
    assert md[-1].endswith("* p<0.10, ** p<0.05, *** p<0.01.")
    html = t.to_html()
    root = ET.fromstring(html)  # well-formed
    assert root.tag == "table" and root.find("caption").text == t.caption
    assert len(root.findall("tbody")) == 2
    assert '<td class="num">-0.012<sup>*</sup></td>' in html
    assert "<td>Yes</td>" in html and "p&lt;0.10" in html


def test_output_is_deterministic(registry):
    a = build_table(_spec(), registry)
    b = build_table(_spec(), registry.sample(frac=1.0, random_state=3))
    assert a == b
    assert a.to_latex() == b.to_latex() and a.to_html() == b.to_html()


def test_load_table_spec_from_file(tmp_path, registry):
    path = tmp_path / "density.toml"
    path.write_text(SPEC, encoding="utf-8")
    assert load_table_spec(path) == _spec()
    (tmp_path / "bad.toml").write_text("[table\n", encoding="utf-8")
    with pytest.raises(SpecError, match="not valid TOML"):
        load_table_spec(tmp_path / "bad.toml")


@pytest.mark.parametrize(
    ("old", "new", "match"),
    [
        ('spec = "iv"', 'spec = "iv_typo"', r"spec 'iv_typo' is not in the results"),
        ('"share_degree", label', '"share_degre", label', r"term 'share_degre' is not in"),
        ('{spec = "base", header = "(2)", variance = {type = "iid"}}',
         '{spec = "base", header = "(2)", variance = {type = "cluster", cluster = "cz"}}',
         r"spec 'base' has no estimate with variance \{type='cluster', cluster='cz'\}"),
        ('{spec = "base", header = "(2)", variance = {type = "iid"}}',
         '{spec = "base", header = "(2)", variance = {type = "conley"}}',
         r"matches 2 estimates: a00000000003 .*a00000000004"),
        ('fips = "County FE"\n', "", r"fixed effect\(s\) \['fips'\] have no display name"),
        ('{spec = "iv", header = "(4)"}', '{spec = "iv", header = "(4)", colour = "red"}',
         r"column keys \['colour'\] are not known"),
        ('digits = 3', 'digits = "3"', r"'digits' must be a non-negative integer"),
        ('name = "density"', 'name = "density"\nmax_columns = 2', r"3 columns exceed max_columns = 2"),
        ('name = "density"', 'name = "density"\nstars = [0.01, 0.05]', r"decreasing p-value"),
    ],
)  # fmt: skip
def test_bad_declarations_name_the_problem(registry, old, new, match):
    assert old in SPEC
    with pytest.raises(SpecError, match=match):
        build_table(_spec(SPEC.replace(old, new, 1)), registry)


def test_missing_registry_columns(registry):
    with pytest.raises(ColumnMissingError, match=r"\['p_value'\]"):
        build_table(_spec(), registry.drop(columns="p_value"))
    with pytest.raises(ColumnMissingError, match="row 'first_stage_f' needs the results column"):
        build_table(_spec(), registry.drop(columns="first_stage_f"))


def test_legacy_table_escapes_less_than():
    col = TableColumn(
        "(1)",
        pd.DataFrame({"term": ["x"], "estimate": [1.0], "std_error": [0.5], "p_value": [0.04]}),
    )
    tex = make_regression_table([col], notes="* p<0.10, ** p<0.05")
    assert r"* p$<$0.10, ** p$<$0.05" in tex
    assert escape_latex(r"a\b ~ 5% × 2²") == (
        r"a\textbackslash{}b \textasciitilde{} 5\% $\times$ 2\textsuperscript{2}"
    )


# -- the LaTeX compiles ------------------------------------------------------------------------

PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[margin=1in]{geometry}
\usepackage{booktabs}
\usepackage{dcolumn}
\usepackage{graphicx}
\begin{document}
"""


def _with_width_report(tex):
    """Make the table print its natural width and the text width to the log."""
    probe = r"\typeout{TABLEWIDTH \the\wd\AgglTableBox\space LINEWIDTH \the\linewidth}"
    return tex.replace("\\endgroup", probe + "\n\\endgroup")


def _widths(log):
    return [
        (float(a), float(b))
        for a, b in re.findall(r"TABLEWIDTH ([\d.]+)pt LINEWIDTH ([\d.]+)pt", log)
    ]


def _compile(tmp_path, body):
    """Run pdflatex on ``body``; return the log (fails the test on a LaTeX error)."""
    (tmp_path / "doc.tex").write_text(PREAMBLE + body + "\n\\end{document}\n", encoding="utf-8")
    proc = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    log = (tmp_path / "doc.log").read_text(encoding="latin-1")
    assert proc.returncode == 0, log[-3000:]
    assert (tmp_path / "doc.pdf").stat().st_size > 1000
    return log


needs_pdflatex = pytest.mark.skipif(shutil.which("pdflatex") is None, reason="no pdflatex")


@needs_pdflatex
def test_latex_compiles_and_fits(tmp_path, registry):
    spec = _spec()
    full = _spec(
        SPEC.replace('name = "density"', 'name = "density"\nwidth = "full"\nsize = "small"')
    )
    tex = build_table(spec, registry).to_latex()
    fragment = build_table(spec, registry).to_latex(float_env=False)
    body = tex + "\n" + build_table(full, registry).to_latex() + "\n" + fragment
    log = _compile(tmp_path, _with_width_report(body))
    assert "Overfull" not in log and "Undefined control sequence" not in log
    (nat, line), (wide, line2), _ = _widths(log)
    assert nat < line  # natural width, not scaled
    assert wide == pytest.approx(line2)  # width = "full": exactly the text width


@needs_pdflatex
def test_too_wide_table_is_scaled_to_the_text_width(tmp_path, registry):
    cols = ", ".join(
        f'{{spec = "base", header = "Model number {k}", variance = {{type = "iid"}}}}'
        for k in range(8)
    )
    text = f"""
[table]
name = "wide"
caption = "Wide"
terms = [{{term = "log_density", label = "A very long label for log employment density"}}]
rows = ["n_obs"]
[[table.panels]]
columns = [{cols}]
"""
    log = _compile(tmp_path, _with_width_report(build_table(_spec(text), registry).to_latex()))
    assert "Overfull" not in log
    ((natural, line),) = _widths(log)
    assert natural > line  # the tabular is wider than the text, so it was scaled down


def test_end_to_end_from_estimates_matches_pyfixest():
    """Registry rows from agglomeration.estimation -> table; numbers checked against pyfixest."""
    import pyfixest as pf

    from agglomeration import Spec, Variance
    from agglomeration.estimation import estimate, estimate_variances
    from agglomeration.simulate import regional_panel

    df = regional_panel(n_regions=120, n_years=4, seed=7).panel
    df["iv_z"] = df["log_density"] + np.random.default_rng(3).normal(size=len(df))
    ols = Spec(outcome="log_wage", regressors=("log_density",), fixed_effects=("year",),
               name="sim_ols")  # fmt: skip
    results = estimate_variances(
        ols, df, [Variance("cluster", cluster=["region"]), Variance("iid")]
    )
    iv = Spec(outcome="log_wage", fixed_effects=("year",), estimator="iv",
              endogenous=("log_density",), instruments=("iv_z",),
              variance=Variance("cluster", cluster=["region"]), name="sim_iv")  # fmt: skip
    results.append(estimate(iv, df))
    registry = pd.concat([r.table for r in results], ignore_index=True)
    text = """
[table]
name = "sim"
digits = 4
terms = ["log_density"]
rows = ["fixed_effects", "n_obs", "n_clusters", "r2", "first_stage_f"]
[table.fixed_effects]
year = "Year FE"
[[table.panels]]
columns = [
  {spec = "sim_ols", header = "(1)", variance = {type = "cluster", cluster = "region"}},
  {spec = "sim_ols", header = "(2)", variance = {type = "iid"}},
  {spec = "sim_iv", header = "(3)"},
]
"""
    (p,) = build_table(_spec(text), registry).panels
    ref_cl = pf.feols("log_wage ~ log_density | year", df, vcov={"CRV1": "region"})
    ref_iid = pf.feols("log_wage ~ log_density | year", df, vcov="iid")
    ref_iv = pf.feols("log_wage ~ 1 | year | log_density ~ iv_z", df, vcov={"CRV1": "region"})
    b = [float(r.coef()["log_density"]) for r in (ref_cl, ref_iid, ref_iv)]
    se = [float(r.se()["log_density"]) for r in (ref_cl, ref_iid, ref_iv)]
    assert [c.text for c in p.coef_rows[0].cells] == [f"{x:.4f}" for x in b]
    assert [c.text for c in p.coef_rows[1].cells] == [f"({x:.4f})" for x in se]
    model = {r.label: [c.text for c in r.cells] for r in p.model_rows}
    assert model["Observations"] == [f"{len(df):,}"] * 3
    assert model["Clusters"] == ["120", "", "120"]
    assert model["Year FE"] == ["Yes"] * 3
    assert model["R²"][:2] == [f"{ref_cl._r2:.3f}"] * 2
    assert model["First-stage F"][:2] == ["", ""] and model["First-stage F"][2] != ""


def test_stars_off_and_intervals_below(registry):
    text = SPEC.replace("digits = 3", 'digits = 3\nstars = false\nbelow = "conf_int"', 1)
    t = build_table(_spec(text), registry)
    est, below = t.panels[0].coef_rows[:2]
    assert [c.stars for c in est.cells] == ["", "", ""]
    # 0.0738 -/+ 1.96 x 0.00551 = [0.063, 0.085] (hand-computed)
    assert below.cells[0].text == "[0.063, 0.085]" and not below.cells[0].numeric
    assert t.notes_text == "Outcome: log pay per employee (100% of counties)."
    assert "p$<$0.10, **" not in t.to_latex()
