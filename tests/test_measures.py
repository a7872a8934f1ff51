"""Hand-computed small cases, identities, invariances and bad input for agglomeration.measures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import agglomeration.measures as m

# The worked example used throughout (E = employment):
#
#   region  industry  E        region totals: E_A = 40, E_B = 20, E_C = 40, E = 100
#   A       x         10       industry totals: E_x = 70, E_y = 30
#   A       y         30       national shares: s_x = 0.7, s_y = 0.3
#   B       x         20       region shares:  x_A = 0.4, x_B = 0.2, x_C = 0.4
#   B       y          0       (an explicit zero cell)
#   C       x         40       (C,y is absent, i.e. zero)


@pytest.fixture
def ex() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "reg": ["A", "A", "B", "B", "C"],
            "ind": ["x", "y", "x", "y", "x"],
            "emp": [10.0, 30.0, 20.0, 0.0, 40.0],
        }
    )


KW = {"region": "reg", "industry": "ind", "value": "emp"}


def by(table: pd.DataFrame, *keys: str) -> pd.DataFrame:
    return table.set_index(list(keys))


# ------------------------------------------------------------------------------- hand examples
def test_location_quotient_hand(ex: pd.DataFrame) -> None:
    res = m.location_quotient(ex, **KW)
    lq = res.table["lq"].to_numpy()
    # A,x: (10/40)/(70/100) = 0.25/0.7 = 5/14;  A,y: (30/40)/0.3 = 2.5
    # B,x: (20/20)/0.7 = 10/7;  B,y: 0;  C,x: (40/40)/0.7 = 10/7
    np.testing.assert_allclose(lq, [5 / 14, 2.5, 10 / 7, 0.0, 10 / 7], rtol=1e-12)
    assert res.n_missing == 0 and res.dropped.empty
    # identity: sum_r (E_r/E) LQ_rx = 0.4*5/14 + 0.2*10/7 + 0.4*10/7 = 1/7 + 2/7 + 4/7 = 1
    np.testing.assert_allclose(0.4 * lq[0] + 0.2 * lq[2] + 0.4 * lq[4], 1.0, rtol=1e-12)


def test_location_quotient_benchmark(ex: pd.DataFrame) -> None:
    # national benchmark: x 100, y 100, z 200 (z not in the regional data) -> E = 400,
    # s_x = 0.25, s_y = 0.25.  A,x: 0.25/0.25 = 1; A,y: 0.75/0.25 = 3; B,x: 1/0.25 = 4
    bench = pd.DataFrame({"ind": ["x", "y", "z"], "emp": [100.0, 100.0, 200.0]})
    lq = m.location_quotient(ex, **KW, benchmark=bench).table["lq"].to_numpy()
    np.testing.assert_allclose(lq, [1.0, 3.0, 4.0, 0.0, 4.0], rtol=1e-12)
    with pytest.raises(ValueError, match="1 industry cells of the data are not in the benchmark"):
        m.location_quotient(ex, **KW, benchmark=bench.iloc[[0, 2]])


def test_region_herfindahl_hand(ex: pd.DataFrame) -> None:
    t = by(m.region_herfindahl(ex, **KW).table, "reg")
    # A: 0.25^2 + 0.75^2 = 0.0625 + 0.5625 = 0.625; B: 1^2 + 0^2 = 1; C: 1
    np.testing.assert_allclose(t["herfindahl"], [0.625, 1.0, 1.0], rtol=1e-12)
    assert t["n_industries"].tolist() == [2, 1, 1]
    np.testing.assert_allclose(t["employment"], [40, 20, 40])


def test_krugman_hand(ex: pd.DataFrame) -> None:
    t = by(m.krugman_specialisation(ex, **KW).table, "reg")
    # A: |0.25-0.7| + |0.75-0.3| = 0.45 + 0.45 = 0.9
    # B: |1-0.7| + |0-0.3| = 0.6 (y is an explicit zero); C: 0.3 + 0.3 = 0.6 (y absent)
    np.testing.assert_allclose(t["krugman"], [0.9, 0.6, 0.6], rtol=1e-12)


def test_hoover_and_gini_hand(ex: pd.DataFrame) -> None:
    h = by(m.hoover_localisation(ex, **KW).table, "ind")["hoover"]
    # x: s = (10, 20, 40)/70 = (5, 10, 20)/35 against x_r = (14, 7, 14)/35:
    #    0.5 * (9 + 3 + 6)/35 = 9/35
    # y: s = (1, 0, 0): 0.5 * (0.6 + 0.2 + 0.4) = 0.6
    np.testing.assert_allclose(h, [9 / 35, 0.6], rtol=1e-12)
    g = by(m.locational_gini(ex, **KW).table, "ind")["gini"]
    # x, regions by LQ: A (5/14), B and C (10/7). X steps 0.4, 0.2, 0.4; S = 5/35, 15/35, 1:
    #   sum dX (S_k + S_k-1) = 0.4*5/35 + 0.2*20/35 + 0.4*50/35 = (2 + 4 + 20)/35 = 26/35
    #   Gini = 1 - 26/35 = 9/35
    # y: B, C first with S = 0, then A: 0.4 * (1 + 0) = 0.4 -> Gini 0.6
    np.testing.assert_allclose(g, [9 / 35, 0.6], rtol=1e-12)


def test_gini_differs_from_hoover_hand() -> None:
    # industry q in regions R1..R3 (a second industry o fills the rest):
    #   R1: q 1, o 9 (E=10)  R2: q 2, o 8 (E=10)  R3: q 7, o 13 (E=20)     E = 40, E_q = 10
    #   x = (0.25, 0.25, 0.5); s = (0.1, 0.2, 0.7); LQ = (0.4, 0.8, 1.4) already ascending
    #   S = 0.1, 0.3, 1.0: sum = 0.25*0.1 + 0.25*0.4 + 0.5*1.3 = 0.025 + 0.1 + 0.65 = 0.775
    #   Gini = 0.225; Hoover = 0.5*(0.15 + 0.05 + 0.2) = 0.2
    df = pd.DataFrame({"reg": ["R1", "R1", "R2", "R2", "R3", "R3"],
                       "ind": ["q", "o"] * 3, "emp": [1.0, 9, 2, 8, 7, 13]})
    g = by(m.locational_gini(df, **KW).table, "ind").loc["q", "gini"]
    h = by(m.hoover_localisation(df, **KW).table, "ind").loc["q", "hoover"]
    assert g == pytest.approx(0.225, abs=1e-12)
    assert h == pytest.approx(0.2, abs=1e-12)


def test_ellison_glaeser_hand(ex: pd.DataFrame) -> None:
    est = ex.assign(n=[2, 3, 1, 0, 4])
    ph = m.plant_herfindahl_from_counts(est, industry="ind", establishments="n", value="emp",
                                        region="reg")
    h = by(ph.table, "ind")
    # equal plants within cells: H_x = (10^2/2 + 20^2/1 + 40^2/4)/70^2 = (50+400+400)/4900
    #                            H_y = (30^2/3)/30^2 = 1/3 (B,y has no plants, no employment)
    np.testing.assert_allclose(h["herfindahl"], [850 / 4900, 1 / 3], rtol=1e-12)
    np.testing.assert_allclose(h["herfindahl_equal_size"], [1 / 7, 1 / 3], rtol=1e-12)
    g = by(m.ellison_glaeser_gamma(ex, **KW, plant_herfindahl=ph.table).table, "ind")
    # x: G = (9/35)^2 + (3/35)^2 + (6/35)^2 = 126/1225; sum x^2 = 0.16+0.04+0.16 = 0.36
    #    gamma = (G/0.64 - 850/4900) / (1 - 850/4900)
    gx = ((126 / 1225) / 0.64 - 850 / 4900) / (1 - 850 / 4900)
    # y: G = 0.6^2 + 0.2^2 + 0.4^2 = 0.56; gamma = (0.56/0.64 - 1/3)/(2/3) = 0.8125
    np.testing.assert_allclose(g["G"], [126 / 1225, 0.56], rtol=1e-12)
    np.testing.assert_allclose(g["gamma"], [gx, 0.8125], rtol=1e-12)
    assert gx == pytest.approx(-0.015432, abs=1e-6)
    np.testing.assert_allclose(g["sum_x2"], 0.36)
    assert g["n_regions"].tolist() == [3, 1]


def test_plant_herfindahl_hand() -> None:
    plants = pd.DataFrame({"ind": ["a", "a", "a", "b"], "emp": [1.0, 2, 3, 5]})
    t = by(m.plant_herfindahl(plants, industry="ind", value="emp").table, "ind")
    # a: (1^2 + 2^2 + 3^2)/6^2 = 14/36; b: one plant -> 1
    np.testing.assert_allclose(t["herfindahl"], [14 / 36, 1.0])
    assert t["n_plants"].tolist() == [3, 1]
    # without regions: 1/N
    counts = pd.DataFrame({"ind": ["a", "b"], "n": [4, 10]})
    t2 = by(m.plant_herfindahl_from_counts(counts, industry="ind", establishments="n").table, "ind")
    np.testing.assert_allclose(t2["herfindahl"], [0.25, 0.1])


def test_gamma_single_plant_is_undefined(ex: pd.DataFrame) -> None:
    ph = pd.DataFrame({"ind": ["x", "y"], "herfindahl": [0.1, 1.0]})
    res = m.ellison_glaeser_gamma(ex, **KW, plant_herfindahl=ph)
    assert np.isnan(by(res.table, "ind").loc["y", "gamma"]) and res.info["n_undefined"] == 1


def test_coagglomeration_hand(ex: pd.DataFrame) -> None:
    t = m.coagglomeration(ex, **KW).table
    # D_x = s_x - x = (5-14, 10-7, 20-14)/35 = (-9, 3, 6)/35; D_y = (0.6, -0.2, -0.4)
    # D_x . D_y = (-5.4 - 0.6 - 2.4)/35 = -0.24; / (1 - 0.36) = -0.375
    assert len(t) == 2
    np.testing.assert_allclose(t["coagglomeration"], [-0.375, -0.375], rtol=1e-12)
    assert t[["ind_i", "ind_j"]].values.tolist() == [["x", "y"], ["y", "x"]]
    assert len(m.coagglomeration(ex, **KW, pairs="upper").table) == 1


def test_colocation_relatedness_hand() -> None:
    # 3 regions, 3 industries, all regions of equal size 10:
    #   R1: a 5, b 5, c 0;  R2: a 5, b 5, c 0;  R3: a 0, b 0, c 10
    #   E = 30, shares a = b = 1/3, c = 1/3.  LQ_a = (1.5, 1.5, 0) = LQ_b; LQ_c = (0, 0, 3)
    #   corr(a, b) = 1; corr(a, c) = -1
    df = pd.DataFrame({"reg": ["R1", "R1", "R2", "R2", "R3"], "ind": ["a", "b", "a", "b", "c"],
                       "emp": [5.0, 5, 5, 5, 10]})
    t = by(m.colocation_relatedness(df, **KW).table, "ind_i", "ind_j")["relatedness"]
    assert t.loc[("a", "b")] == pytest.approx(1.0)
    assert t.loc[("a", "c")] == pytest.approx(-1.0)
    assert t.loc[("c", "b")] == pytest.approx(-1.0)


def test_related_employment_hand() -> None:
    df = pd.DataFrame({"reg": ["R"] * 3 + ["S"], "ind": ["a", "b", "c", "a"],
                       "emp": [1.0, 2, 4, 8]})
    rel = pd.DataFrame({"ind_i": ["a", "a", "b", "c"], "ind_j": ["b", "c", "a", "a"],
                        "relatedness": [0.5, 0.1, 0.5, 0.1]})
    # threshold 0.3: a <- {b}, b <- {a}, c <- {}:  R: a 2, b 1, c 0;  S: a 0 (no b in S)
    t = m.related_employment(df, rel, **KW, threshold=0.3).table
    np.testing.assert_allclose(t["related_employment"], [2, 1, 0, 0])
    np.testing.assert_allclose(t["n_related"], [1, 1, 0, 1])
    # weighted: a = 0.5*2 + 0.1*4 = 1.4; b = 0.5*1 = 0.5; c = 0.1*1 = 0.1; S,a = 0
    t = m.related_employment(df, rel, **KW).table
    np.testing.assert_allclose(t["related_employment"], [1.4, 0.5, 0.1, 0.0])


def test_employment_density_hand() -> None:
    df = pd.DataFrame({"c": ["01001", "01003"], "emp": [100.0, np.nan], "area": [4.0, 2.0]})
    res = m.employment_density(df, region="c", value="emp", area="area")
    np.testing.assert_allclose(res.table["density"], [25.0, np.nan])
    assert res.n_missing == 1
    with pytest.raises(ValueError, match="'area' has 1 non-positive"):
        m.employment_density(df.assign(area=[0.0, 2.0]), region="c", value="emp", area="area")


# ------------------------------------------------------------------------------- time dimension
def test_time_periods_are_separate(ex: pd.DataFrame) -> None:
    other = ex.assign(emp=[5.0, 1, 7, 3, 2])
    panel = pd.concat([ex.assign(yr=2001), other.assign(yr=2002)], ignore_index=True)
    for fn in (m.location_quotient, m.krugman_specialisation, m.region_herfindahl,
               m.hoover_localisation, m.locational_gini, m.ellison_glaeser_gamma,
               m.coagglomeration, m.colocation_relatedness):
        both = fn(panel, **KW, time="yr").table
        for yr, part in ((2001, ex), (2002, other)):
            single = fn(part, **KW).table
            got = both.loc[both["yr"] == yr].drop(columns="yr").reset_index(drop=True)
            pd.testing.assert_frame_equal(got, single, check_dtype=False, rtol=1e-12)


# ------------------------------------------------------------------------------- missing rule
def test_missing_rule_counts_and_semantics(ex: pd.DataFrame) -> None:
    sup = ex.copy()
    sup.loc[0, "emp"] = np.nan  # A,x suppressed
    res = m.location_quotient(sup, **KW)
    assert res.n_missing == 1 and res.dropped["reg"].tolist() == ["A"]
    assert np.isnan(res.table.loc[0, "lq"])
    # drop = totals from observed cells = the frame without the row (E = 90, E_x = 60)
    # A,y: (30/30)/(30/90) = 3
    ref = m.location_quotient(ex.drop(index=0), **KW).table["lq"].to_numpy()
    np.testing.assert_allclose(res.table["lq"].drop(index=0), ref, rtol=1e-12)
    assert res.table.loc[1, "lq"] == pytest.approx(3.0)
    # aggregate measures under drop equal those on the frame without the row
    for fn in (m.krugman_specialisation, m.hoover_localisation, m.locational_gini,
               m.region_herfindahl, m.ellison_glaeser_gamma, m.coagglomeration):
        a = fn(sup, **KW).table.drop(columns=["n_regions", "n_industries"], errors="ignore")
        b = fn(ex.drop(index=0), **KW).table.drop(columns=["n_regions", "n_industries"],
                                                  errors="ignore")
        pd.testing.assert_frame_equal(a, b, rtol=1e-12, obj=fn.__name__)
    z = m.location_quotient(sup, **KW, missing="zero")
    assert z.n_missing == 1 and z.table.loc[0, "lq"] == 0.0
    with pytest.raises(ValueError, match="1 missing"):
        m.location_quotient(sup, **KW, missing="raise")


def test_group_emptied_by_drop_gives_nan_not_error(ex: pd.DataFrame) -> None:
    sup = ex.copy()
    sup.loc[2, "emp"] = np.nan  # B,x suppressed: B's only other cell is a zero
    t = m.location_quotient(sup, **KW).table
    assert t["lq"].isna().tolist() == [False, False, True, True, False]
    k = by(m.krugman_specialisation(sup, **KW).table, "reg")["krugman"]
    assert np.isnan(k["B"]) and np.isfinite(k["A"])
    # the same zero region without a dropped cell is an error
    with pytest.raises(ValueError, match="1 regions have zero total"):
        m.location_quotient(sup.assign(emp=sup["emp"].fillna(0.0)), **KW)


def test_mark_suppressed() -> None:
    df = pd.DataFrame({"emp": [0, 0, 5], "n": [3, 0, 1]})
    res = m.mark_suppressed(df, value="emp", establishments="n")
    # row 0: 0 employees in 3 establishments -> suppressed; row 1: a true zero
    assert res.n_missing == 1
    assert np.isnan(res.table.loc[0, "emp"]) and res.table.loc[1, "emp"] == 0


# ------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("change", "pattern"),
    [
        (lambda d: d.rename(columns={"emp": "jobs"}), r"value='emp'"),
        (lambda d: d.assign(emp=[10.0, -1, -2, 0, 40]), r"'emp' has 2 negative"),
        (lambda d: d.assign(emp=["1", "2", "3", "4", "5"]), r"'emp' has dtype"),
        (lambda d: pd.concat([d, d.iloc[:1]]), r"1 rows duplicate"),
        (lambda d: d.assign(reg=["A", None, "B", "B", "C"]), r"'reg' has 1 missing"),
        (lambda d: d.assign(emp=[10.0, 0, 20, 0, 40]), r"1 industries have zero total .* 'emp'"),
        (lambda d: d.assign(emp=[10.0, 30, 0, 0, 40]), r"1 regions have zero total"),
    ],
)
def test_bad_input(ex: pd.DataFrame, change, pattern) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=pattern):
        m.location_quotient(change(ex), **KW)


def test_bad_input_gamma(ex: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match=r"1 industries have zero total employment in column"):
        m.ellison_glaeser_gamma(ex.assign(emp=[10.0, 0, 20, 0, 40]), **KW)
    ph = pd.DataFrame({"ind": ["x"], "herfindahl": [0.2]})
    with pytest.raises(ValueError, match="1 industries .* have no 'herfindahl'"):
        m.ellison_glaeser_gamma(ex, **KW, plant_herfindahl=ph)
    with pytest.raises(ValueError, match="outside"):
        m.ellison_glaeser_gamma(ex, **KW, plant_herfindahl=ph.assign(herfindahl=1.5))
    with pytest.raises(ValueError, match="missing="):
        m.ellison_glaeser_gamma(ex, **KW, missing="ignore")
    with pytest.raises(ValueError, match="positive 'emp' but no establishments"):
        m.plant_herfindahl_from_counts(ex.assign(n=[1, 1, 0, 0, 1]), industry="ind",
                                       establishments="n", value="emp", region="reg")


# ------------------------------------------------------------------------------- invariances
def test_scaling_invariance(ex: pd.DataFrame) -> None:
    ph = pd.DataFrame({"ind": ["x", "y"], "herfindahl": [0.1, 0.3]})
    big = ex.assign(emp=ex["emp"] * 37.5)
    for fn, col, extra in (
        (m.location_quotient, "lq", {}),
        (m.krugman_specialisation, "krugman", {}),
        (m.region_herfindahl, "herfindahl", {}),
        (m.hoover_localisation, "hoover", {}),
        (m.locational_gini, "gini", {}),
        (m.ellison_glaeser_gamma, "gamma", {"plant_herfindahl": ph}),
        (m.coagglomeration, "coagglomeration", {}),
    ):
        a = fn(ex, **KW, **extra).table[col].to_numpy()
        b = fn(big, **KW, **extra).table[col].to_numpy()
        np.testing.assert_allclose(a, b, rtol=1e-12, err_msg=fn.__name__)


def test_integer_and_categorical_keys() -> None:
    df = pd.DataFrame({"reg": [1, 1, 2], "ind": pd.Categorical(["b", "a", "a"]),
                       "emp": [1, 3, 4]})
    t = m.location_quotient(df, **KW).table
    # E = 8; s_a = 7/8, s_b = 1/8. reg1,b: (1/4)/(1/8) = 2; reg1,a: (3/4)/(7/8) = 6/7; reg2,a: 8/7
    np.testing.assert_allclose(t["lq"], [2.0, 6 / 7, 8 / 7])
