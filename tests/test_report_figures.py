"""Figures: the data each figure draws, checked against independent computations; files."""

import numpy as np
import pandas as pd
import pytest

from agglomeration.errors import ColumnMissingError, InputError, SpecError
from agglomeration.explorer import cluster_links, cluster_nodes
from agglomeration.report import ColumnSpec, VarianceSelector, select_estimates
from agglomeration.report.figures import (
    binned_scatter,
    binned_scatter_data,
    cluster_network_plot,
    coefficient_plot,
    county_map,
    demean,
    partial_out,
    quantile_bins,
    ring_decay_plot,
    save_figure,
    specification_curve_plot,
)
from agglomeration.simulate.geography import albers_us_km


def _panel(n_groups=20, n_years=20, seed=0):
    """400 rows: y = 0.3 x + 0.5 c + group effect + year effect + noise; x correlated with FEs."""
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(n_groups), n_years)
    t = np.tile(np.arange(n_years), n_groups)
    a, b = rng.normal(size=n_groups), rng.normal(size=n_years)
    c = rng.normal(size=len(g))
    x = a[g] + 0.5 * b[t] + rng.normal(size=len(g))
    y = 0.3 * x + 0.5 * c + 2 * a[g] - b[t] + rng.normal(size=len(g))
    w = rng.uniform(0.5, 2.0, size=len(g))
    return pd.DataFrame({"y": y, "x": x, "c": c, "g": g, "t": t, "w": w})


def _dense_residuals(df, cols, fes, controls=(), weights=None):
    """Brute force: weighted least squares on a constant, FE dummies and controls."""
    parts = [np.ones((len(df), 1))]
    for fe in fes:
        parts.append(pd.get_dummies(df[fe], drop_first=True).to_numpy(dtype=float))
    parts += [df[[c]].to_numpy(dtype=float) for c in controls]
    z = np.hstack(parts)
    sw = np.sqrt(df[weights].to_numpy()) if weights else np.ones(len(df))
    out = {}
    for col in cols:
        v = df[col].to_numpy(dtype=float)
        coef, *_ = np.linalg.lstsq(z * sw[:, None], v * sw, rcond=None)
        out[col] = v - z @ coef
    return pd.DataFrame(out, index=df.index)


# -- partialling out ---------------------------------------------------------------------------


@pytest.mark.parametrize("fes", [["g"], ["g", "t"]])
def test_demean_matches_dense_least_squares(fes):
    df = _panel()
    codes = [pd.factorize(df[f], sort=True)[0] for f in fes]
    got = demean(df[["y", "x"]].to_numpy(), codes, df["w"].to_numpy())
    ref = _dense_residuals(df, ["y", "x"], fes, weights="w")
    np.testing.assert_allclose(got, ref.to_numpy(), atol=1e-10)


def test_partial_out_with_controls_matches_dense_least_squares():
    df = _panel()
    po = partial_out(df, ["y", "x"], absorb=["g", "t"], controls=["c"])
    ref = _dense_residuals(df, ["y", "x"], ["g", "t"], controls=["c"])
    np.testing.assert_allclose(po.residuals.to_numpy(), ref.to_numpy(), atol=1e-10)
    assert po.dropped["n_rows"].tolist() == [0, 0]


# -- binned scatter ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fes", "controls", "weights"),
    [((), (), None), (("g",), (), None), (("g", "t"), ("c",), None), (("g^t",), (), None),
     (("g", "t"), (), "w")],
)  # fmt: skip
def test_binned_scatter_slope_is_the_regression_coefficient(fes, controls, weights):
    import pyfixest as pf

    df = _panel()
    if fes == ("g^t",):  # an interacted effect with groups of 4: g x (t // 5)
        df = df.assign(t=df["t"] // 5)
    data = binned_scatter_data(df, "y", "x", fes, controls, n_bins=20, weights=weights)
    rhs = " + ".join(["x", *controls])
    formula = f"y ~ {rhs}" + (f" | {' + '.join(fes)}" if fes else "")
    kw = {"weights": weights} if weights else {}
    ref = pf.feols(formula, df, demeaner=pf.MapDemeaner(fixef_tol=1e-12), **kw)
    assert data.slope == pytest.approx(float(ref.coef()["x"]), rel=1e-9, abs=1e-12)
    assert data.n_obs == ref._N == len(df)
    # the line passes through the (weighted) means
    w = df[weights].to_numpy() if weights else np.ones(len(df))
    mx, my = np.average(df["x"], weights=w), np.average(df["y"], weights=w)
    assert data.intercept + data.slope * mx == pytest.approx(my, abs=1e-12)


def test_binned_means_recomputed_with_numpy():
    df = _panel()  # 400 rows, 20 bins of exactly 20
    data = binned_scatter_data(df, "y", "x", ["g", "t"], n_bins=20)
    res = _dense_residuals(df, ["y", "x"], ["g", "t"])
    order = np.argsort(res["x"].to_numpy())
    rx = res["x"].to_numpy()[order] + df["x"].mean()
    ry = res["y"].to_numpy()[order] + df["y"].mean()
    assert data.bins["n"].tolist() == [20] * 20
    np.testing.assert_allclose(data.bins["x"], rx.reshape(20, 20).mean(axis=1), atol=1e-10)
    np.testing.assert_allclose(data.bins["y"], ry.reshape(20, 20).mean(axis=1), atol=1e-10)
    np.testing.assert_allclose(data.bins["x_min"], rx.reshape(20, 20).min(axis=1), atol=1e-10)


def test_quantile_bins_equal_counts_and_weights():
    rng = np.random.default_rng(1)
    x = rng.normal(size=1003)
    b = quantile_bins(x, 10)
    counts = np.bincount(b)
    assert len(counts) == 10 and counts.min() >= 100 and counts.max() <= 101
    # bins are ordered: every value of bin k is below every value of bin k + 1
    assert all(x[b == k].max() < x[b == k + 1].min() for k in range(9))
    w = rng.uniform(0, 3, size=1003)
    bw = quantile_bins(x, 10, w)
    totals = np.bincount(bw, weights=w)
    assert np.abs(totals - w.sum() / 10).max() <= w.max()


def test_binned_scatter_reports_missing_and_singletons():
    import pyfixest as pf

    df = _panel()
    df.loc[3, "y"] = np.nan
    extra = pd.DataFrame({"y": [1.0], "x": [2.0], "c": [0.0], "g": [99], "t": [0], "w": [1.0]})
    df = pd.concat([df, extra], ignore_index=True)  # group 99 is a singleton
    data = binned_scatter_data(df, "y", "x", ["g", "t"])
    assert data.dropped.set_index("reason")["n_rows"].tolist() == [1, 1]
    assert data.n_obs == len(df) - 2
    with pytest.warns(UserWarning, match="singleton"):  # pyfixest drops the singleton too
        ref = pf.feols("y ~ x | g + t", df, demeaner=pf.MapDemeaner(fixef_tol=1e-12))
    assert data.slope == pytest.approx(float(ref.coef()["x"]), rel=1e-9)
    with pytest.raises(ColumnMissingError, match=r"\['z'\]"):
        binned_scatter_data(df, "y", "z")
    with pytest.raises(InputError, match="no variation left"):
        binned_scatter_data(df.assign(x=df["g"]), "y", "x", ["g"])


# -- coefficient plots -------------------------------------------------------------------------


def _registry():
    rows = []
    for sid, vt, cl, cut, se in [
        ("s1", "cluster", "state_fips", np.nan, 0.0055),
        ("s2", "iid", np.nan, np.nan, 0.0005),
        ("s3", "conley", np.nan, 100.0, 0.0008),
    ]:
        for term, est in [("log_density", 0.0738), ("share_degree", 0.5)]:
            rows.append({"spec_id": sid, "spec_name": "base", "term": term, "estimate": est,
                         "std_error": se, "p_value": 0.0, "conf_low": est - 1.96 * se,
                         "conf_high": est + 1.96 * se, "variance_type": vt, "cluster": cl,
                         "cutoff_km": cut, "kernel": "uniform" if vt == "conley" else np.nan,
                         "lags": 0 if vt == "conley" else np.nan})  # fmt: skip
    return pd.DataFrame(rows)


def test_coefficient_plot_across_variances():
    reg = _registry()
    sel = [
        ColumnSpec("state clusters", "base", variance=VarianceSelector("cluster", ("state_fips",))),
        ColumnSpec("Conley 100 km", "base", variance=VarianceSelector("conley", cutoff_km=100)),
        ColumnSpec("iid", "base", variance=VarianceSelector("iid")),
    ]
    rows = select_estimates(reg, "log_density", sel)
    assert rows["spec_id"].tolist() == ["s1", "s3", "s2"]
    fig, data = coefficient_plot(rows)
    assert data["label"].tolist() == ["state clusters", "Conley 100 km", "iid"]
    assert data["position"].tolist() == [0, 1, 2]
    np.testing.assert_allclose(data["conf_high"] - data["conf_low"],
                               [2 * 1.96 * 0.0055, 2 * 1.96 * 0.0008, 2 * 1.96 * 0.0005])  # fmt: skip
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == data["label"].tolist()
    with pytest.raises(SpecError, match="has no term 'log_pop'"):
        select_estimates(reg, "log_pop", sel)


def test_ring_decay_plot_orders_rings():
    frame = pd.DataFrame(
        {
            "term": ["ring_100_200", "ring_0_50", "ring_50_100"],
            "estimate": [0.004, 0.03, 0.015],
            "conf_low": [-0.004, 0.02, 0.005],
            "conf_high": [0.012, 0.04, 0.025],
        }
    )
    rings = {"ring_0_50": (0, 50), "ring_50_100": (50, 100), "ring_100_200": (100, 200)}
    _, data = ring_decay_plot(frame, rings)
    assert data["term"].tolist() == ["ring_0_50", "ring_50_100", "ring_100_200"]
    assert data["midpoint_km"].tolist() == [25.0, 75.0, 150.0]
    assert data["estimate"].tolist() == [0.03, 0.015, 0.004]
    with pytest.raises(InputError, match=r"terms \['ring_100_200'\] have no ring"):
        ring_decay_plot(frame, {k: v for k, v in rings.items() if k != "ring_100_200"})
    with pytest.raises(InputError, match="inner < outer"):
        ring_decay_plot(frame, {**rings, "ring_0_50": (50, 0)})


# -- specification curve -----------------------------------------------------------------------


def _curve(n=30, seed=2):
    rng = np.random.default_rng(seed)
    ids = [f"spec{k:02d}" for k in range(n)]
    est = rng.normal(0.05, 0.03, n)
    curve = pd.DataFrame({"spec_id": ids, "estimate": est, "conf_low": est - 0.04,
                          "conf_high": est + 0.04})  # fmt: skip
    choices = pd.DataFrame(
        {
            "spec_id": ids[::-1],  # any order
            "fixed_effects": pd.Categorical(
                rng.choice(["state x year", "county + year"], n),
                categories=["state x year", "county + year", "year"],
            ),
            "sample": rng.choice(["all", "metro"], n),
            "weighted": rng.random(n) > 0.5,
        }
    )
    return curve, choices


def test_specification_curve_data():
    curve, choices = _curve()
    _, d = specification_curve_plot(curve, choices)
    # rank: ascending estimate, computed independently
    assert d.curve["spec_id"].tolist() == curve["spec_id"].to_numpy()[
        np.argsort(curve["estimate"].to_numpy())].tolist()  # fmt: skip
    assert d.curve["rank"].tolist() == list(range(1, 31))
    sig = (curve["conf_low"] > 0) | (curve["conf_high"] < 0)
    assert d.curve.set_index("spec_id")["significant"].equals(
        sig.set_axis(curve["spec_id"]).loc[d.curve["spec_id"]].rename("significant")
    )
    # rows: categories in declared order (the unused level "year" is not drawn), strings
    # sorted, the boolean axis as one row
    assert d.rows["label"].tolist() == [
        "fixed_effects: state x year", "fixed_effects: county + year", "sample: all",
        "sample: metro", "weighted",
    ]  # fmt: skip
    # one mark per spec on each categorical axis; boolean marks where True
    per_axis = d.indicators.groupby("axis")["spec_id"].nunique()
    assert per_axis["fixed_effects"] == 30 and per_axis["sample"] == 30
    assert per_axis["weighted"] == int(choices["weighted"].sum())
    ch = choices.set_index("spec_id")
    for r in d.indicators.itertuples():
        if r.axis != "weighted":
            assert str(ch.loc[r.spec_id, r.axis]) == r.option


def test_specification_curve_contract_errors():
    curve, choices = _curve()
    with pytest.raises(InputError, match=r"\['spec00'\] have no choices"):
        specification_curve_plot(curve, choices.loc[choices["spec_id"] != "spec00"])
    with pytest.raises(InputError, match="permutation of 1..30"):
        specification_curve_plot(curve.assign(rank=1), choices)
    with pytest.raises(ColumnMissingError, match="conf_low"):
        specification_curve_plot(curve.drop(columns="conf_low"), choices)


# -- county map --------------------------------------------------------------------------------


def _counties():
    return pd.DataFrame(
        {
            "fips": ["01001", "06037", "36061", "02020", "15003", "48201"],
            "lat": [32.53, 34.20, 40.78, 61.17, 21.46, 29.86],
            "lon": [-86.64, -118.26, -73.97, -149.28, -157.97, -95.39],
            "land_area_km2": [1539.6, 10510.0, 59.0, 4420.0, 1555.0, 4412.0],
            "density": [5.0, 400.0, 20000.0, 50.0, 300.0, 600.0],
        }
    ).set_index("fips")


def test_county_map_projection_sizes_and_drops():
    df = _counties()
    fig, m = county_map(df, "density", log=True)
    # Alaska and Hawaii are reported, not drawn
    assert m.dropped.set_index("reason")["n_rows"].iloc[1] == 2
    assert list(m.points.index) == ["01001", "06037", "36061", "48201"]
    keep = df.loc[m.points.index]
    x, y = albers_us_km(keep["lat"], keep["lon"])
    np.testing.assert_allclose(m.points["x_km"], x)
    np.testing.assert_allclose(m.points["y_km"], y)
    # the drawn scale: points of page per km, measured from the axes' transform
    ax = fig.axes[0]
    fig.canvas.draw()
    px = ax.transData.transform([[0.0, 0.0], [1000.0, 1000.0]])
    pt_per_km = (px[1] - px[0]) / 1000.0 * 72.0 / fig.dpi
    np.testing.assert_allclose(pt_per_km, [m.pt_per_km, m.pt_per_km], rtol=1e-9)
    # a dot's area on the page equals the county's land area at that scale
    dot_area_pt2 = np.pi / 4 * m.points["marker_area_pt2"]
    np.testing.assert_allclose(dot_area_pt2, keep["land_area_km2"] * m.pt_per_km**2)
    with pytest.raises(ColumnMissingError, match="lq"):
        county_map(df, "lq")


# -- cluster network ---------------------------------------------------------------------------


def _explorer_inputs():
    clusters = ["Apparel", "Biopharma", "Coal", "Dairy", "Energy"]
    rng = np.random.default_rng(5)
    panel = pd.DataFrame(
        [
            {"cbsa": m, "cluster": c, "employment": float(rng.integers(100, 5000)),
             "strong": bool(rng.random() > 0.5), "cluster_lq": float(rng.uniform(0.2, 3))}
            for m in ("10180", "10420", "10500") for c in clusters
        ]
    )  # fmt: skip
    pairs = [(a, b) for a in clusters for b in clusters if a != b]
    val = {tuple(sorted(p)): float(rng.normal()) for p in pairs}
    related = pd.DataFrame(
        [{"cluster_a": a, "cluster_b": b, **{m: val[tuple(sorted((a, b)))] + k
          for k, m in enumerate(["cr_io", "cr_occ", "cr_lc", "cr_all"])}} for a, b in pairs]
    )  # fmt: skip
    links = cluster_links(related)
    return cluster_nodes(panel, links), links


def test_cluster_network_draws_the_explorer_data(tmp_path):
    nodes, links = _explorer_inputs()
    fig, net = cluster_network_plot(nodes, links, min_percentile=60, n_labels=3)
    # 10 pairs; percentile = 10 x (pairs with a lower value): >= 60 keeps the 4 largest
    top4 = links.sort_values("cr_all", ascending=False).head(4)
    assert set(zip(net.edges["cluster_a"], net.edges["cluster_b"], strict=True)) == set(
        zip(top4["cluster_a"], top4["cluster_b"], strict=True)
    )
    assert net.nodes["cluster"].tolist() == sorted(nodes["cluster"])
    np.testing.assert_allclose(net.nodes["y"], -nodes.sort_values("cluster")["y"].to_numpy())
    biggest = set(nodes.nlargest(3, "employment")["cluster"])
    assert set(net.nodes.loc[net.nodes["labelled"], "cluster"]) <= biggest
    assert save_figure(fig, tmp_path / "net.pdf").stat().st_size > 1000
    with pytest.raises(InputError, match="not nodes"):
        cluster_network_plot(nodes.iloc[1:], links, min_percentile=0)


# -- files -------------------------------------------------------------------------------------


def test_every_figure_writes_a_deterministic_pdf(tmp_path):
    df = _panel()
    curve, choices = _curve()
    nodes, links = _explorer_inputs()
    ring = pd.DataFrame({"ring_low_km": [0, 50], "ring_high_km": [50, 100],
                         "estimate": [0.02, 0.01], "conf_low": [0.01, 0.0],
                         "conf_high": [0.03, 0.02]})  # fmt: skip
    coef = pd.DataFrame({"label": ["a", "b"], "estimate": [1.0, 2.0], "conf_low": [0.5, 1.5],
                         "conf_high": [1.5, 2.5], "family": ["x", "y"]})  # fmt: skip
    figures = {
        "binscatter": binned_scatter(df, "y", "x", ["g", "t"])[0],
        "coef": coefficient_plot(coef, group="family")[0],
        "rings": ring_decay_plot(ring)[0],
        "curve": specification_curve_plot(curve, choices)[0],
        "map": county_map(_counties(), "density", log=True)[0],
        "network": cluster_network_plot(nodes, links, min_percentile=50)[0],
    }
    for name, fig in figures.items():
        a = save_figure(fig, tmp_path / f"{name}.pdf").read_bytes()
        b = save_figure(fig, tmp_path / f"{name}_again.pdf").read_bytes()
        assert a[:5] == b"%PDF-" and len(a) > 1000, name
        assert a == b, name
        assert b"CreationDate" not in a and b"ModDate" not in a
    svg1 = save_figure(figures["coef"], tmp_path / "c1.svg").read_bytes()
    svg2 = save_figure(figures["coef"], tmp_path / "c2.svg").read_bytes()
    assert svg1 == svg2
    with pytest.raises(InputError, match=r"use a \.pdf, \.svg or \.png"):
        save_figure(figures["coef"], tmp_path / "c.jpg")
