"""The state x industry x period growth panel (panels.state_growth) against the raw CBP file.

Growth and related employment of a few state-industry cells are recomputed from the raw state
CBP file with the csv module (not the project's readers), with the NAICS concordance and the
suppression rule written out here, and the industry relatedness the builder used.
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict

import numpy as np
import pytest

from agglomeration.panels import PANELS, build_state_growth_panel

# the vintage concordance, written out independently of agglomeration.data.concordance
POOLED = {
    **{c: "23" for c in ("233", "234", "235", "236", "237", "238")},
    **{c: "42" for c in ("421", "422", "423", "424", "425")},
    **{c: "515-519" for c in ("513", "514", "515", "516", "517", "518", "519")},
}
MEASURES = ("colocation", "input_output", "occupation")


@pytest.fixture(scope="module")
def built(raw_dir):
    return build_state_growth_panel(raw_dir)


@pytest.fixture(scope="module")
def raw_state(raw_dir):
    """(state, year) -> industry -> employment (None when any pooled part is suppressed)."""
    parts: dict[tuple[str, int], dict[str, list[float | None]]] = defaultdict(
        lambda: defaultdict(list)
    )
    with (raw_dir / "cbp_state_naics3_2001_2021.csv").open(newline="") as fh:
        for row in csv.DictReader(fh):
            year = int(row["year"])
            if year not in (2001, 2010, 2019):
                continue
            emp, estab = float(row["employment_march"]), float(row["establishments"])
            ind = POOLED.get(row["naics"], row["naics"])
            value = None if emp == 0 and estab > 0 else emp
            parts[(row["state_fips"].zfill(2), year)][ind].append(value)
    return {
        k: {i: (None if any(v is None for v in vs) else sum(vs)) for i, vs in inds.items()}
        for k, inds in parts.items()
    }


CELLS = [("06", "334", 2001, 2010), ("26", "336", 2010, 2019), ("48", "42", 2001, 2010)]


@pytest.mark.parametrize(("state", "industry", "start", "end"), CELLS)
def test_growth_and_related_employment_from_the_raw_file(
    built, raw_state, state, industry, start, end
):
    d = built.data
    row = d.loc[
        d["state_fips"].eq(state) & d["industry"].eq(industry) & d["period"].eq(f"{start}-{end}")
    ]
    assert len(row) == 1
    row = row.iloc[0]
    e0, e1 = raw_state[(state, start)][industry], raw_state[(state, end)][industry]
    assert e0 and e1
    assert row["employment_start"] == e0 and row["employment_end"] == e1
    assert row["growth"] == pytest.approx(math.log(e1 / e0), abs=1e-12)
    assert row["log_employment_start"] == pytest.approx(math.log(e0), abs=1e-12)
    rel = built.tables["relatedness"]
    base = raw_state[(state, start)]
    for m in MEASURES:
        r = rel.loc[rel["measure"].eq(m) & rel["industry_i"].eq(industry)]
        weighted = sum(
            w * (base.get(j) or 0.0) for j, w in zip(r["industry_j"], r["relatedness"], strict=True)
        )
        # top decile of i's 59 links: at or above the 90th percentile (ties included)
        q = np.quantile(r["relatedness"].to_numpy(), 0.9)
        related = r.loc[r["relatedness"] >= q, "industry_j"]
        assert 6 <= len(related) <= 8 and set(related) == set(r.loc[r["related_top"], "industry_j"])
        top = sum(base.get(j) or 0.0 for j in related)
        assert row[f"related_employment_{m}_start"] == pytest.approx(weighted, rel=1e-12)
        assert row[f"related_employment_{m}_top10_start"] == pytest.approx(top, rel=1e-12)
        assert row[f"log_related_employment_{m}_top10_start"] == pytest.approx(
            math.log(top), abs=1e-12
        )


def test_suppressed_cells_have_no_growth_and_every_missing_row_is_reported(built, raw_state):
    d = built.data
    sup = [(s, i) for (s, y), inds in raw_state.items() if y == 2001 for i, v in inds.items()
           if v is None]
    assert len(sup) > 100
    p1 = d.loc[d["period"].eq("2001-2010")].set_index(["state_fips", "industry"])
    assert p1.loc[sup, "growth"].isna().all()
    assert p1.loc[sup, "employment_start"].isna().all()
    rep = built.report
    growth_missing = rep.loc[rep["step"].eq("growth") & rep["action"].eq("missing"), "rows"].sum()
    assert growth_missing == d["growth"].isna().sum() > 0
    no_rel = rep.loc[rep["reason"].str.startswith("related employment missing"), "rows"].sum()
    for m in MEASURES:
        for kind in ("", "_top10", "_placebo", "_top10_placebo"):
            col = f"related_employment_{m}{kind}_start"
            assert d[col].isna().sum() == no_rel
            zero = rep.loc[rep["reason"].str.startswith(f"log_{col} missing"), "rows"].sum()
            assert d[f"log_{col}"].isna().sum() == no_rel + zero


def test_panel_shape_keys_and_relatedness_table(built):
    d = built.data
    assert "state_growth" in PANELS
    assert set(d["period"]) == {"2001-2010", "2010-2019"}
    assert d["state_fips"].nunique() == 51 and not d[["lat", "lon"]].isna().any().any()
    assert not d.duplicated(["state_fips", "industry", "period"]).any()
    # industries without traded employment: retail, health care, restaurants, ...; wholesale
    # (42) and information (515-519) have relatedness with the 2017 weights
    without = set(d.loc[d["related_employment_input_output_start"].isna(), "industry"])
    assert {"445", "622", "722"} <= without and not {"42", "515-519", "334"} & without
    rel = built.tables["relatedness"]
    n = rel["industry_i"].nunique()
    assert len(rel) == 3 * n * (n - 1)
    w = built.tables["cluster_weights"].groupby("industry")["weight"].sum()
    assert (w <= 1 + 1e-12).all() and w.loc["334"] == pytest.approx(1.0)


def test_placebo_is_a_relabelling_of_the_same_pools(built):
    """Placebo pools have the same link distribution, attached to other industries."""
    d = built.data
    for m in MEASURES:
        real = d[f"related_employment_{m}_top10_start"]
        fake = d[f"related_employment_{m}_top10_placebo_start"]
        assert real.notna().sum() == fake.notna().sum()
        assert not np.allclose(real.dropna(), fake.dropna())
