"""Step `risk`: shift-share regressions with AKM inference (issue "Evidence on ...", item 6).

Reads: analysis/specs/risk.toml (its ``[[shift_share]]`` tables), the shock panels
bld/panels/<data>.parquet and their share and shock tables bld/panels/<table>.parquet
(:data:`agglomeration.panels.SHOCK_TABLES`).
Produces: bld/estimates/risk.csv (registry rows with the columns of estimates.csv, one per
shift-share spec x variance: the coefficient on the shift-share variable with Adao, Kolesar &
Morales (2019) AKM and AKM0 standard errors and EHW), bld/estimates/risk_dropped.csv (regions
each regression left out, and why).

A ``[[shift_share]]`` table declares one regression ``outcome ~ exposure + controls (+ fixed
effects as dummies)`` and its variances; it stands for one :class:`ShiftShareSpec` per variance,
each with its own id (the first 12 hex digits of the SHA-256 of its canonical JSON, every field
but ``name``, as :attr:`agglomeration.estimation.Spec.id`). The exposure is rebuilt from the
share and shock tables by :func:`agglomeration.inference.shift_share_regression` and must equal
the panel's column (the build and this step use the same shares and shocks).
"""

from __future__ import annotations

import hashlib
import json
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from agglomeration.errors import DataIntegrityError, SpecError
from agglomeration.estimation.result import REGISTRY_COLUMNS
from agglomeration.inference import ShiftShareResult, shift_share_regression
from agglomeration.panels import SHOCK_TABLES

from project_paths import ESTIMATES, PANELS, SPECS, write_csv
from step import Step, run_main

SPEC_FILE = SPECS / "risk.toml"
VARIANCES = ("akm", "akm0", "hetero")
SHOCK_PANELS = ("county_shock", "metro_shock", "state_shock")

STEP = Step(
    "risk",
    reads=(
        SPEC_FILE,
        *(PANELS / f"{p}.parquet" for p in SHOCK_PANELS),
        *(PANELS / f"{t}.parquet" for t in SHOCK_TABLES),
    ),
    produces=(ESTIMATES / "risk.csv", ESTIMATES / "risk_dropped.csv"),
    summary="shift-share regressions of the shock panels with AKM, AKM0 and EHW inference",
)


@dataclass(frozen=True)
class ShiftShareSpec:
    """One shift-share regression with one variance (a ``[[shift_share]]`` table, expanded).

    Attributes
    ----------
    outcome, exposure : str
        Outcome column and shift-share column of the panel (``exposure`` must equal the
        shares x shocks of the tables; its coefficient is reported).
    data, region : str
        Panel (bld/panels/<data>.parquet) and its region column.
    shares, shocks : str
        Build tables with ``region``, ``industry``, ``share`` and ``industry``, ``shock``.
    controls, fixed_effects : tuple of str
        Regional controls; fixed effects entered as dummies (singleton groups dropped).
    sample : str, optional
        pandas query selecting the regions.
    industry_cluster : str, optional
        Column of the shock table grouping industries whose shocks may be correlated.
    variance : {"akm", "akm0", "hetero"}
    name : str
        Label (not part of :attr:`id`).
    """

    outcome: str
    exposure: str
    data: str
    region: str
    shares: str
    shocks: str
    controls: tuple[str, ...] = ()
    fixed_effects: tuple[str, ...] = ()
    sample: str | None = None
    industry_cluster: str | None = None
    variance: str = "akm"
    name: str = ""

    def __post_init__(self) -> None:
        for f in ("controls", "fixed_effects"):
            v = getattr(self, f)
            object.__setattr__(self, f, (v,) if isinstance(v, str) else tuple(v))
        if self.variance not in VARIANCES:
            raise SpecError(f"variance must be one of {VARIANCES}, got {self.variance!r}.")
        if self.industry_cluster is not None and self.variance == "hetero":
            raise SpecError("industry_cluster applies to AKM and AKM0 only, not to 'hetero'.")
        for col in (self.outcome, self.exposure, *self.controls, *self.fixed_effects):
            if not isinstance(col, str) or not col.isidentifier():
                raise SpecError(f"{col!r} is not a column name.")

    def canonical_json(self) -> str:
        """Canonical JSON of every field but ``name``: sorted keys, lists for tuples."""
        d = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "name"}
        d = {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}
        return json.dumps(d, sort_keys=True, separators=(",", ":"), ensure_ascii=True)

    @property
    def id(self) -> str:
        """First 12 hex digits of the SHA-256 of :meth:`canonical_json`."""
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()[:12]

    @property
    def variance_label(self) -> str:
        """``akm``, ``akm0`` (with the industry cluster in brackets) or ``hetero (HC1)``."""
        if self.variance == "hetero":
            return "hetero (HC1)"
        return self.variance + (f"({self.industry_cluster})" if self.industry_cluster else "")

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> list[ShiftShareSpec]:
        """One spec per entry of the table's ``variances`` (or its one ``variance``)."""
        known = {f.name for f in fields(cls)}
        t = dict(table)
        variances = t.pop("variances", None)
        unknown = sorted(set(t) - known)
        if unknown:
            raise SpecError(f"unknown field(s) {unknown}; allowed: {sorted(known | {'variances'})}.")
        if variances is not None and "variance" in t:
            raise SpecError("give either variance or variances, not both.")
        try:
            if variances is None:
                return [cls(**t)]
            return [cls(**{**t, "variance": v}) for v in variances]
        except TypeError as e:
            raise SpecError(str(e)) from None


def load_shift_share_specs(path: Path) -> list[ShiftShareSpec]:
    """Read the ``[[shift_share]]`` tables of a spec file (other tables are ignored)."""
    try:
        with path.open("rb") as fh:
            doc = tomllib.load(fh)
    except tomllib.TOMLDecodeError as e:
        raise SpecError(f"{path}: not valid TOML ({e}).") from None
    out: list[ShiftShareSpec] = []
    for t in doc.get("shift_share", []):
        try:
            out += ShiftShareSpec.from_table(t)
        except SpecError as e:
            raise SpecError(f"{path}: invalid [[shift_share]] {t.get('name', '')!r}: {e}") from None
    ids = [s.id for s in out]
    if len(set(ids)) != len(ids):
        raise SpecError(f"{path}: two [[shift_share]] tables declare the same regression.")
    return out


def regional_sample(
    spec: ShiftShareSpec, panel: pd.DataFrame, shares: pd.DataFrame
) -> tuple[pd.DataFrame, list[tuple[str, int]]]:
    """Regions of the regression, and how many each rule removed (nothing silently dropped).

    Rules, in order: the ``sample`` query; a missing outcome, exposure, control or fixed
    effect; no row in the share table; singleton fixed-effect groups (repeated until none).
    """
    df = panel
    dropped: list[tuple[str, int]] = []
    if spec.sample:
        keep = df.eval(spec.sample).astype(bool)
        dropped.append((f"sample: not {spec.sample}", int((~keep).sum())))
        df = df.loc[keep]
    cols = [spec.outcome, spec.exposure, *spec.controls, *spec.fixed_effects]
    for c in cols:
        miss = df[c].isna()
        dropped.append((f"missing {c}", int(miss.sum())))
        df = df.loc[~miss]
    has = df[spec.region].astype(str).isin(set(shares["region"].astype(str)))
    dropped.append(("no shares in the share table", int((~has).sum())))
    df = df.loc[has]
    while spec.fixed_effects:
        single = np.zeros(len(df), dtype=bool)
        for fe in spec.fixed_effects:
            single |= (df.groupby(fe)[fe].transform("size") == 1).to_numpy()
        if not single.any():
            break
        dropped.append((f"singleton in fixed effect(s) {'+'.join(spec.fixed_effects)}", int(single.sum())))
        df = df.loc[~single]
    return df, [(r, n) for r, n in dropped if n]


def fit(
    spec: ShiftShareSpec, panel: pd.DataFrame, shares: pd.DataFrame, shocks: pd.DataFrame
) -> tuple[ShiftShareResult, list[tuple[str, int]]]:
    """Fit ``spec`` by :func:`agglomeration.inference.shift_share_regression`.

    Returns the result (with ``spec.variance``) and the regions dropped, by rule. Raises
    :class:`SpecError` for AKM/AKM0 when the shares have at least as many industries as there
    are regions, and :class:`DataIntegrityError` when the shares x shocks differ from the
    panel's exposure.
    """
    df, dropped = regional_sample(spec, panel, shares)
    region = df[spec.region].astype(str).to_numpy()
    used = shares.loc[shares["region"].astype(str).isin(set(region)) & shares["share"].gt(0)]
    n_ind = used["industry"].nunique()
    if spec.variance != "hetero" and n_ind >= len(region):
        raise SpecError(
            f"{spec.name or spec.id}: the shares {spec.shares!r} have {n_ind} industries for "
            f"{len(region)} regions; AKM needs fewer industries than regions (the shocks net of "
            "the controls are a regression of the exposure on the shares, AKM 2019 eq. (36)). "
            "Use coarser industries (e.g. the _naics4 or _sector tables)."
        )
    y = pd.Series(df[spec.outcome].to_numpy(dtype=float), index=region, name=spec.outcome)
    ctrl = df[list(spec.controls)].astype(float).set_axis(region)
    for fe in spec.fixed_effects:
        dummies = pd.get_dummies(df[fe].astype(str), prefix=fe, drop_first=True, dtype=float)
        ctrl = ctrl.join(dummies.set_axis(region))
    cluster = None
    if spec.industry_cluster:
        cluster = shocks.set_index("industry")[spec.industry_cluster]
    res = shift_share_regression(
        y,
        shares[["region", "industry", "share"]].astype({"region": str, "industry": str}),
        shocks[["industry", "shock"]].astype({"industry": str}),
        ctrl if len(ctrl.columns) else None,
        industry_cluster=cluster,
        variance=spec.variance,  # type: ignore[arg-type]
        term=spec.exposure,
    )
    gap = np.abs(res.exposure.to_numpy() - df[spec.exposure].to_numpy(dtype=float))
    if gap.max() > 1e-10:
        worst = region[int(gap.argmax())]
        raise DataIntegrityError(
            f"{spec.name or spec.id}: shares x shocks of {spec.shares}/{spec.shocks} differ from "
            f"the panel's {spec.exposure!r} by up to {gap.max():.3g} (region {worst}); rebuild "
            "the panels (the tables and the panel come from one build)."
        )
    return res, dropped


def registry_rows(specs: list[ShiftShareSpec], res: ShiftShareResult) -> pd.DataFrame:
    """Registry rows (columns of estimates.csv, then extras), one per spec of one fit."""
    table = res.inference_table(0.95).set_index("variance")
    rows = []
    for s in specs:
        r = table.loc[s.variance]
        est, se = float(r["estimate"]), float(r["std_error"])
        stat = est / res.se_akm0(0.0) if s.variance == "akm0" else est / se
        rows.append(
            {
                "spec_id": s.id,
                "spec_name": s.name,
                "term": s.exposure,
                "estimate": est,
                "std_error": se,
                "statistic": stat,
                "p_value": float(r["p_value"]),
                "conf_low": float(r["conf_low"]),
                "conf_high": float(r["conf_high"]),
                "df": np.nan,
                "n_obs": res.n_regions,
                "n_clusters": res.n_clusters if s.variance != "hetero" else None,
                "fixed_effects": " + ".join(s.fixed_effects),
                "variance": s.variance_label,
                "variance_type": s.variance,
                "cluster": s.industry_cluster or "" if s.variance != "hetero" else "",
                "cutoff_km": np.nan,
                "kernel": "",
                "lags": np.nan,
                "estimator": "shift_share_ols",
                "n_industries": res.n_industries,
                "n_industries_collinear": int(
                    res.industries_dropped["reason"].eq("collinear shares").sum()
                ),
                "ci_kind": r["ci_kind"],
                "controls": " + ".join(s.controls),
                "share_sum_spanned": res.share_sum_spanned,
                "outcome": s.outcome,
                "data": s.data,
            }
        )
    out = pd.DataFrame(rows)
    out["n_clusters"] = out["n_clusters"].astype("Int64")
    return out[list(REGISTRY_COLUMNS) + [c for c in out.columns if c not in REGISTRY_COLUMNS]]


def run(
    specs: list[ShiftShareSpec], panels_dir: Path
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fit every spec (one fit per spec without its variance); registry rows and drops."""
    groups: dict[str, list[ShiftShareSpec]] = {}
    for s in specs:
        groups.setdefault(replace(s, variance="akm").id, []).append(s)
    cache: dict[str, pd.DataFrame] = {}

    def load(name: str) -> pd.DataFrame:
        if name not in cache:
            cache[name] = pd.read_parquet(panels_dir / f"{name}.parquet")
        return cache[name]

    rows, drops = [], []
    for group in groups.values():
        s = group[0]
        res, dropped = fit(s, load(s.data), load(s.shares), load(s.shocks))
        rows.append(registry_rows(group, res))
        for g in group:
            drops += [
                {"spec_id": g.id, "spec_name": g.name, "reason": r, "rows": n} for r, n in dropped
            ]
    drop_cols = ["spec_id", "spec_name", "reason", "rows"]
    return pd.concat(rows, ignore_index=True), pd.DataFrame(drops, columns=drop_cols)


def main(argv: list[str] | None = None) -> None:
    specs = load_shift_share_specs(SPEC_FILE)
    if not specs:
        raise SpecError(f"{SPEC_FILE}: no [[shift_share]] table.")
    out, dropped = run(specs, PANELS)
    write_csv(ESTIMATES / "risk.csv", out)
    write_csv(ESTIMATES / "risk_dropped.csv", dropped)
    for _, r in out.iterrows():
        print(
            f"{r['spec_name']:<18} {r['variance']:<14} {r['term']} = {r['estimate']:.4f} "
            f"(SE {r['std_error']:.4f}; 95% [{r['conf_low']:.4f}, {r['conf_high']:.4f}] "
            f"{r['ci_kind']}); N = {r['n_obs']}, industries = {r['n_industries']}"
        )
    print(f"risk: {len(out)} registry rows -> {ESTIMATES / 'risk.csv'}")


if __name__ == "__main__":
    sys.exit(run_main(STEP, main))
