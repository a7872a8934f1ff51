"""Shock panels (county, metro, state) against values recomputed from the raw files.

The independent side reads the raw CSVs with the csv module (never the project's readers or
measures) and recomputes, for a few regions, the employment change, the shares of disclosed
industry employment, the Herfindahl index, the largest share, the disclosed share and the Bartik
shift ``sum_s w_rs log(E_s,t1 / E_s,t0)``. Bad shares (negative, or summing to more than one)
must raise an error naming the region.
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from agglomeration.data import RawData
from agglomeration.data.readers import FILES
from agglomeration.errors import InputError
from agglomeration.panels import (
    PANELS,
    SHOCK_TABLES,
    PanelSchemaError,
    build_county_shock,
    build_metro_shock,
    build_state_shock,
)
from agglomeration.panels._build import DropLog
from agglomeration.panels.schemas import shock_schema, validate
from agglomeration.panels.shocks import (
    bartik_exposure,
    census_region,
    disclosed_shares,
    national_log_growth,
)

TOL = 1e-10


def _rows(raw_dir: Path, key: str) -> list[dict[str, str]]:
    with open(raw_dir / FILES[key], newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def raw(raw_dir: Path) -> RawData:
    return RawData(raw_dir)


@pytest.fixture(scope="module")
def county(raw):
    return build_county_shock(raw)


@pytest.fixture(scope="module")
def metro(raw):
    return build_metro_shock(raw)


@pytest.fixture(scope="module")
def state(raw):
    return build_state_shock(raw)


def _summary(values: dict[str, float]) -> tuple[dict[str, float], float, float, float]:
    """Shares of the positive values, their Herfindahl index, the top share and the total."""
    pos = {k: v for k, v in values.items() if v > 0}
    total = sum(pos.values())
    shares = {k: v / total for k, v in pos.items()}
    return shares, sum(s * s for s in shares.values()), max(shares.values()), total


def _bartik(shares: dict[str, float], growth: dict[str, float]) -> float:
    return sum(s * growth[k] for k, s in shares.items())


# ------------------------------------------------------------------------------------ county
_SECTOR = {"31": "31-33", "32": "31-33", "33": "31-33", "44": "44-45", "45": "44-45"}
_SECTOR |= {"48": "48-49", "49": "48-49"}


def test_county_shock_recomputed_from_raw(county, raw_dir):
    """Three counties: one with most sectors disclosed, Los Angeles, one with many withheld."""
    cbp = {
        (r["state_fips"].zfill(2) + r["county_fips"].zfill(3), r["year"]): float(
            r["employment_march"]
        )
        for r in _rows(raw_dir, "cbp_county")
        if r["year"] in ("2019", "2021")
    }
    nat: dict[tuple[str, str], float] = defaultdict(float)
    for r in _rows(raw_dir, "cbp_national_naics3"):
        if r["year"] in ("2019", "2021"):
            sec = _SECTOR.get(r["naics"][:2], r["naics"][:2])
            nat[sec, r["year"]] += float(r["employment_march"])
    growth = {s: math.log(nat[s, "2021"] / nat[s, "2019"]) for s, y in nat if y == "2019"}
    abs_rows: dict[str, dict[str, float]] = defaultdict(dict)
    for r in _rows(raw_dir, "abs_county_naics2"):
        abs_rows[r["stco_code"]][r["NAICS2017"]] = float(r["EMP"])
    d = county.data.set_index("fips")
    for fips in ("01001", "06037", "48301"):
        row = d.loc[fips]
        e0, e1 = cbp[fips, "2019"], cbp[fips, "2021"]
        assert row["employment_2019"] == e0
        assert row["emp_change"] == pytest.approx(math.log(e1 / e0), abs=TOL)
        assert row["log_employment_2019"] == pytest.approx(math.log(e0), abs=TOL)
        sectors = {k: v for k, v in abs_rows[fips].items() if k not in ("00", "99")}
        if not any(v > 0 for v in sectors.values()):
            assert np.isnan(row["herfindahl"]) and np.isnan(row["bartik"])
            assert row["n_sectors"] == 0
            continue
        shares, hhi, top, disclosed = _summary(sectors)
        assert row["herfindahl"] == pytest.approx(hhi, abs=TOL)
        assert row["top_share"] == pytest.approx(top, abs=TOL)
        assert row["top_sector"] == max(shares, key=lambda k: (shares[k], k))
        assert row["n_sectors"] == len(shares)
        assert row["disclosed_share"] == pytest.approx(disclosed / abs_rows[fips]["00"], abs=TOL)
        assert row["bartik"] == pytest.approx(_bartik(shares, growth), abs=TOL)


def test_county_shock_counts(county, raw_dir):
    d = county.data
    # one row per CBP 2019 county (statewide 'county unknown' rows 999 are not counties)
    n_cbp = sum(
        1
        for r in _rows(raw_dir, "cbp_county")
        if r["year"] == "2019" and r["county_fips"] != "999"
    )
    assert len(d) == n_cbp
    # counties without any disclosed ABS sector: counted from the raw file
    pos: dict[str, bool] = defaultdict(bool)
    for r in _rows(raw_dir, "abs_county_naics2"):
        if r["NAICS2017"] not in ("00", "99"):
            pos[r["stco_code"]] |= float(r["EMP"]) > 0
    no_mix = sum(1 for f in d["fips"] if not pos.get(f, False))
    assert d["herfindahl"].isna().sum() == no_mix
    rep = county.report.set_index("reason")["rows"]
    assert rep.filter(like="without a disclosed 2017 sector").iloc[0] == no_mix


# ------------------------------------------------------------------------------------- metro
def test_metro_shock_recomputed_from_raw(metro, raw_dir):
    """Abilene (3 counties), Los Angeles (2), a micro area and an area with a cluster of unknown
    employment: change, shares, largest known cluster share."""
    xw = defaultdict(list)
    for r in _rows(raw_dir, "county_cbsa"):
        if r["cbsa_code"]:
            xw[r["cbsa_code"]].append(r["stco_code"].zfill(5))
    cbp = {
        (r["state_fips"].zfill(2) + r["county_fips"].zfill(3), r["year"]): float(
            r["employment_march"]
        )
        for r in _rows(raw_dir, "cbp_county")
        if r["year"] in ("2019", "2021")
    }
    nat = {
        (r["naics"], r["year"]): float(r["employment_march"])
        for r in _rows(raw_dir, "cbp_national_naics6")
        if r["year"] in ("2019", "2021")
    }
    traded = {
        r["naics"]: r["cluster"]
        for r in _rows(raw_dir, "cluster_crosswalk")
        if r["traded_local"] == "Traded" and r["emsi_specific_nonstandard"] != "True"
    }
    six: dict[str, dict[str, tuple[float, float]]] = defaultdict(dict)
    for r in _rows(raw_dir, "cbp_cbsa_naics6"):
        six[r["cbsa_code"]][r["naics_code"]] = (float(r["EMP"]), float(r["ESTAB"]))
    d = metro.data.set_index("cbsa")
    incomplete = d.index[~d["clusters_complete"]][0]  # a cluster with a suppressed industry
    for cbsa in ("10180", "31080", "10100", incomplete):
        row = d.loc[cbsa]
        e0 = sum(cbp[f, "2019"] for f in xw[cbsa])
        e1 = sum(cbp[f, "2021"] for f in xw[cbsa])
        assert row["n_counties"] == len(xw[cbsa])
        assert row["employment_2019"] == e0
        assert row["emp_change"] == pytest.approx(math.log(e1 / e0), abs=TOL)
        cells = six[cbsa]
        shares, hhi, top, disclosed = _summary({k: e for k, (e, _) in cells.items()})
        assert row["herfindahl"] == pytest.approx(hhi, abs=TOL)
        assert row["top_industry_share"] == pytest.approx(top, abs=TOL)
        assert row["disclosed_share"] == pytest.approx(disclosed / e0, abs=TOL)
        growth = {k: math.log(nat[k, "2021"] / nat[k, "2019"]) for k in shares}
        assert row["bartik"] == pytest.approx(_bartik(shares, growth), abs=TOL)
        sh4: dict[str, float] = defaultdict(float)
        for k, w in shares.items():
            sh4[k[:4]] += w
        g4 = {
            p: math.log(
                sum(v for (k, y), v in nat.items() if k[:4] == p and y == "2021")
                / sum(v for (k, y), v in nat.items() if k[:4] == p and y == "2019")
            )
            for p in sh4
        }
        assert row["bartik_naics4"] == pytest.approx(_bartik(sh4, g4), abs=TOL)
        # largest traded cluster among clusters with no suppressed industry
        cl: dict[str, float] = defaultdict(float)
        unknown = set()
        for k, (e, est) in cells.items():
            if k in traded:
                cl[traded[k]] += e
                if e == 0 and est > 0:
                    unknown.add(traded[k])
        known = {c: v for c, v in cl.items() if c not in unknown}
        best = max(known, key=lambda c: (known[c], c))
        assert row["clusters_complete"] == (not unknown)
        assert row["top_cluster"] == best
        assert row["top_share"] == pytest.approx(known[best] / disclosed, abs=TOL)


def test_metro_shock_rejects_another_base_year(raw):
    with pytest.raises(InputError, match="CBP 2019"):
        build_metro_shock(raw, t0=2018)


# ------------------------------------------------------------------------------------- state
_POOL = {c: "23" for c in ("233", "234", "235", "236", "237", "238")}
_POOL |= {c: "42" for c in ("421", "422", "423", "424", "425")}
_POOL |= {c: "515-519" for c in ("513", "514", "515", "516", "517", "518", "519")}


def test_state_shock_recomputed_from_raw(state, raw_dir):
    """California, DC and North Dakota: totals from counties, 2006 mix, Bartik and its LOO."""
    years = ("2006", "2007", "2010")
    county = [r for r in _rows(raw_dir, "cbp_county") if r["year"] in years]
    bad = {
        (r["state_fips"], r["county_fips"])
        for r in county
        if r["employment_march"] in ("", "NA")
        or (float(r["employment_march"]) == 0 and float(r["establishments"]) > 0)
    }
    tot: dict[tuple[str, str], float] = defaultdict(float)
    for r in county:
        if (r["state_fips"], r["county_fips"]) not in bad:
            tot[r["state_fips"].zfill(2), r["year"]] += float(r["employment_march"])
    cells: dict[tuple[str, str, str], float] = defaultdict(float)  # NaN if a part suppressed
    for r in _rows(raw_dir, "cbp_state_naics3"):
        if r["year"] in years:
            e, est = float(r["employment_march"]), float(r["establishments"])
            key = (r["state_fips"].zfill(2), r["year"], _POOL.get(r["naics"], r["naics"]))
            cells[key] += math.nan if (e == 0 and est > 0) else e
    nat: dict[tuple[str, str], float] = defaultdict(float)
    for r in _rows(raw_dir, "cbp_national_naics3"):
        if r["year"] in ("2007", "2010"):
            nat[_POOL.get(r["naics"], r["naics"]), r["year"]] += float(r["employment_march"])
    growth = {s: math.log(nat[s, "2010"] / nat[s, "2007"]) for s, y in nat if y == "2007"}
    d = state.data.set_index("state_fips")
    assert len(d) == 51
    for st in ("06", "11", "38"):
        row = d.loc[st]
        assert row["employment_2007"] == tot[st, "2007"]
        assert row["emp_change"] == pytest.approx(
            math.log(tot[st, "2010"] / tot[st, "2007"]), abs=TOL
        )
        mix = {s: v for (r, y, s), v in cells.items() if r == st and y == "2006" and v == v}
        shares, hhi, top, disclosed = _summary(mix)
        assert row["herfindahl"] == pytest.approx(hhi, abs=TOL)
        assert row["top_share"] == pytest.approx(top, abs=TOL)
        assert row["disclosed_share"] == pytest.approx(disclosed / tot[st, "2006"], abs=TOL)
        assert row["bartik"] == pytest.approx(_bartik(shares, growth), abs=TOL)
        loo = 0.0
        for s, w in shares.items():
            own0, own1 = cells.get((st, "2007", s), math.nan), cells.get((st, "2010", s), math.nan)
            if own0 == own0 and own1 == own1:
                loo += w * math.log((nat[s, "2010"] - own1) / (nat[s, "2007"] - own0))
            else:
                loo += w * growth[s]
        assert row["bartik_loo"] == pytest.approx(loo, abs=TOL)
        sec: dict[str, float] = defaultdict(float)
        for k, w in shares.items():
            sec[_SECTOR.get(k[:2], k[:2])] += w
        nat_sec: dict[tuple[str, str], float] = defaultdict(float)
        for (k, y), v in nat.items():
            nat_sec[_SECTOR.get(k[:2], k[:2]), y] += v
        g_sec = {k: math.log(nat_sec[k, "2010"] / nat_sec[k, "2007"]) for k in sec}
        assert row["bartik_sector"] == pytest.approx(_bartik(sec, g_sec), abs=TOL)


# ------------------------------------------------------------------- shares, tables, errors
@pytest.mark.parametrize(
    ("name", "level", "column"),
    [
        ("county", "", "bartik"),
        ("metro", "", "bartik"),
        ("metro", "_naics4", "bartik_naics4"),
        ("state", "", "bartik"),
        ("state", "_sector", "bartik_sector"),
    ],
)
def test_tables_reproduce_bartik_and_shares_sum_to_one(name, level, column, county, metro, state):
    build = {"county": county, "metro": metro, "state": state}[name]
    region = {"county": "fips", "metro": "cbsa", "state": "state_fips"}[name]
    shares = build.tables[f"{name}_shock_shares{level}"]
    shocks = build.tables[f"{name}_shock_shocks{level}"].set_index("industry")["shock"]
    assert set(build.tables) <= set(SHOCK_TABLES)
    assert (shares["share"] > 0).all()
    sums = shares.groupby("region")["share"].sum()
    assert (sums <= 1 + 1e-12).all()
    np.testing.assert_allclose(sums, 1.0, atol=1e-12)  # shares of disclosed employment
    # the Bartik column is shares x shocks, dense, region by region
    wide = shares.pivot(index="region", columns="industry", values="share").fillna(0.0)
    x = wide.to_numpy() @ shocks.reindex(wide.columns).to_numpy()
    d = build.data.set_index(region)
    np.testing.assert_allclose(d.loc[wide.index, column], x, atol=1e-12)
    assert d[column].notna().sum() == len(wide)
    if not level:  # the Herfindahl index is the sum of the table's squared shares
        np.testing.assert_allclose(
            d.loc[wide.index, "herfindahl"], (wide.to_numpy() ** 2).sum(axis=1), atol=1e-12
        )


def test_shock_panels_are_built_by_build_panels():
    assert {"county_shock", "metro_shock", "state_shock"} <= set(PANELS)
    assert len(SHOCK_TABLES) == 10


def _toy():
    shares = pd.DataFrame(
        {
            "region": ["A", "A", "B", "B"],
            "industry": ["x", "y", "x", "y"],
            "share": [0.5, 0.5, 0.25, 0.75],
        }
    )
    shocks = pd.DataFrame({"industry": ["x", "y"], "shock": [0.1, -0.2]})
    return shares, shocks


def test_bartik_by_hand():
    shares, shocks = _toy()
    ex = bartik_exposure(shares, shocks, DropLog("t"), "toy")
    assert ex.exposure["A"] == pytest.approx(0.5 * 0.1 - 0.5 * 0.2, abs=1e-15)
    assert ex.exposure["B"] == pytest.approx(0.25 * 0.1 - 0.75 * 0.2, abs=1e-15)


def test_bad_shares_raise_naming_the_region():
    shares, shocks = _toy()
    over = shares.assign(share=[0.5, 0.5, 0.5, 0.75])
    with pytest.raises(InputError, match=r"more than 1.*'B': 1\.25"):
        bartik_exposure(over, shocks, DropLog("t"), "toy")
    neg = shares.assign(share=[0.5, 0.5, -0.25, 0.75])
    with pytest.raises(InputError, match=r"non-negative.*'B': -0\.25"):
        bartik_exposure(neg, shocks, DropLog("t"), "toy")
    with pytest.raises(InputError, match=r"no shock: 'y'"):
        bartik_exposure(shares, shocks.iloc[:1], DropLog("t"), "toy")


def test_disclosed_shares_leave_out_withheld_cells_and_refuse_duplicates():
    cells = pd.DataFrame(
        {"r": ["A", "A", "A", "B"], "s": ["x", "y", "z", "x"], "e": [30.0, np.nan, 10.0, 0.0]}
    )
    out = disclosed_shares(cells, region="r", industry="s", value="e")
    assert out[["region", "industry"]].values.tolist() == [["A", "x"], ["A", "z"]]
    np.testing.assert_allclose(out["share"], [0.75, 0.25])
    with pytest.raises(InputError, match="duplicated"):
        disclosed_shares(pd.concat([cells, cells.iloc[:1]]), region="r", industry="s", value="e")


def test_national_growth_refuses_zero_or_missing_employment():
    nat = pd.DataFrame(
        {"ind": ["a", "a", "b", "b", "c"], "year": [1, 2, 1, 2, 1], "employment": [1, 2, 3, 0, 4]}
    )
    with pytest.raises(InputError, match=r"\['b', 'c'\]"):
        national_log_growth(nat, industry="ind", t0=1, t1=2)
    ok = national_log_growth(nat.iloc[:2], industry="ind", t0=1, t1=2)
    assert ok["shock"].iloc[0] == pytest.approx(math.log(2.0))


def test_census_region_refuses_unknown_states():
    assert census_region(pd.Series(["06", "36", "48", "17"])).tolist() == [
        "West",
        "Northeast",
        "South",
        "Midwest",
    ]
    with pytest.raises(InputError, match="72"):
        census_region(pd.Series(["72"]))


def test_schema_catches_an_inconsistent_top_share(state):
    bad = state.data.copy()
    bad.loc[0, "top_share"] = 0.99  # herfindahl > top_share**2 still, but not <= top_share?
    bad.loc[0, "herfindahl"] = 0.999
    with pytest.raises(PanelSchemaError, match="herfindahl"):
        validate(bad, shock_schema("state_fips", r"^\d{2}$", 2007, 2010), "state shock")
    bad = state.data.copy()
    bad.loc[0, "emp_change"] = 0.5
    with pytest.raises(PanelSchemaError, match="emp_change"):
        validate(bad, shock_schema("state_fips", r"^\d{2}$", 2007, 2010), "state shock")
