r"""Checks a referee asks for, on one specification.

- :func:`leave_one_out`: the estimate with each group (state) left out in turn;
- :func:`permutation_placebo`: the estimate when a regressor is reassigned at random across
  units within groups (counties within a state), many times, and the rank of the real
  estimate among the placebo ones (Fisher's randomization inference);
- :func:`oster_bounds`: Oster (2019) coefficient-stability bounds;
- :func:`conley_cutoff_curve`: the Conley standard error as a function of the distance cutoff,
  so that the cutoff is not a choice hidden from the reader.

All of them run their specifications through :func:`~agglomeration.robustness.run.run_grid`,
so they share its fast path, and the placebo draws through
:func:`~agglomeration.robustness.runner.run_tasks` (seeded per draw; locally or on Dask).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from agglomeration.errors import EstimationError, InputError
from agglomeration.estimation.spec import Spec
from agglomeration.estimation.variance import Cluster, Hetero, Variance
from agglomeration.estimation.variance_geo import Conley
from agglomeration.robustness.run import run_grid
from agglomeration.robustness.runner import run_tasks

__all__ = [
    "OsterBounds",
    "PermutationPlacebo",
    "conley_cutoff_curve",
    "leave_one_out",
    "oster_bounds",
    "permutation_placebo",
]


def _focal(spec: Spec, term: str | None) -> str:
    t = term or spec.terms[0]
    if t not in spec.terms:
        raise InputError(f"term {t!r} is not a coefficient of the spec; choose from {spec.terms}.")
    return t


def _and(sample: str | None, cond: str) -> str:
    return cond if not sample else f"({sample}) and ({cond})"


def _row(result_table: pd.DataFrame, spec_id: str, term: str) -> pd.Series:
    t = result_table.loc[(result_table["spec_id"] == spec_id) & (result_table["term"] == term)]
    if t.empty:
        raise EstimationError(f"spec {spec_id} has no estimate of {term!r}.")
    return t.iloc[0]


def leave_one_out(
    spec: Spec, data: pd.DataFrame, *, by: str, term: str | None = None, **run: Any
) -> pd.DataFrame:
    """Estimate ``spec`` leaving out each value of ``by`` in turn (and once with all of them).

    Returns
    -------
    pandas.DataFrame
        ``left_out`` (empty string for the full sample), ``term``, ``estimate``, ``std_error``,
        ``conf_low``, ``conf_high``, ``p_value``, ``n_obs``, ``status``, ``reason``.
    """
    key = _focal(spec, term)
    if by not in data.columns:
        raise InputError(f"by={by!r} is not a column of the data.")
    values = sorted(data[by].dropna().unique().tolist())
    specs = [spec] + [
        replace(spec, sample=_and(spec.sample, f"{by} != {v!r}"), name=f"{spec.name}[-{by}={v}]")
        for v in values
    ]
    res = run_grid(specs, data, focal=key, **{"progress": False, **run})
    st = res.status.set_index("spec_id")
    rows = []
    for v, s in zip(["", *values], specs, strict=True):
        r = {
            "left_out": str(v),
            "term": key,
            "status": st.loc[s.id, "status"],
            "reason": st.loc[s.id, "reason"],
        }
        if r["status"] == "ok":
            x = _row(res.table, s.id, key)
            r.update(
                {
                    c: x[c]
                    for c in ("estimate", "std_error", "conf_low", "conf_high", "p_value", "n_obs")
                }
            )
        rows.append(r)
    cols = [
        "left_out",
        "term",
        "estimate",
        "std_error",
        "conf_low",
        "conf_high",
        "p_value",
        "n_obs",
        "status",
        "reason",
    ]
    return pd.DataFrame(rows).reindex(columns=cols)


@dataclass(frozen=True)
class PermutationPlacebo:
    """Placebo estimates with the regressor reassigned within groups, and the real one's rank.

    Attributes
    ----------
    observed : float
        The real estimate.
    draws : pandas.DataFrame
        ``draw, estimate, n_obs`` (NaN estimate where a draw could not be estimated).
    rank : int
        Rank of ``|observed|`` among ``|draws|`` and itself (1 = largest).
    p_value : float
        ``(1 + #{|b_draw| >= |observed|}) / (1 + n_draws)``.
    """

    observed: float
    draws: pd.DataFrame
    rank: int
    p_value: float


def _permute_within(
    units: np.ndarray, groups: np.ndarray, rng: np.random.Generator
) -> dict[Any, Any]:
    """Draw a random one-to-one reassignment of units within each group (unit -> partner)."""
    out: dict[Any, Any] = {}
    for g in pd.unique(groups):
        u = units[groups == g]
        out.update(zip(u, u[rng.permutation(u.size)], strict=True))
    return out


def _placebo_draw(
    task: dict[str, Any], *, shared: pd.DataFrame, rng: np.random.Generator
) -> tuple[float, int]:
    spec, column, unit, within, time = (
        task[k] for k in ("spec", "column", "unit", "within", "time")
    )
    d = shared
    pairs = d[[unit, within]].drop_duplicates(unit)
    partner = _permute_within(pairs[unit].to_numpy(), pairs[within].to_numpy(), rng)
    lookup = d.set_index([unit, time])[column]
    keys = pd.MultiIndex.from_arrays([d[unit].map(partner), d[time]])
    placebo = d.assign(**{column: lookup.reindex(keys).to_numpy()})
    res = run_grid([spec], placebo, focal=column, progress=False)
    if res.status["status"].iloc[0] != "ok":
        return float("nan"), 0
    r = _row(res.table, spec.id, column)
    return float(r["estimate"]), int(r["n_obs"])


def permutation_placebo(
    spec: Spec,
    data: pd.DataFrame,
    *,
    column: str,
    unit: str,
    within: str,
    time: str = "year",
    n_draws: int = 500,
    seed: int = 0,
    **run: Any,
) -> PermutationPlacebo:
    """Reassign ``column`` across units within groups at random and re-estimate, many times.

    Each draw gives every unit (county) the whole series of ``column`` of another unit of the
    same group (state), a uniformly random one-to-one reassignment; rows whose partner has no
    value in that period drop out of that draw's sample. Under the sharp null that the
    regressor has no effect, the real estimate is one draw from this distribution.

    Parameters
    ----------
    spec : Spec
        The specification (``column`` must be one of its regressors).
    data : pandas.DataFrame
        The panel.
    column, unit, within, time : str
        The reassigned regressor, the unit, the group within which units are reassigned, the
        period.
    n_draws : int
        Placebo draws.
    seed : int
        Root seed; draw ``i`` uses the ``i``-th child seed (results do not depend on workers).
    **run
        ``n_workers``, ``scheduler``, ``progress`` for :func:`run_tasks`.
    """
    if column not in spec.regressors:
        raise InputError(f"column {column!r} is not a regressor of the spec ({spec.regressors}).")
    for c in (unit, within, time):
        if c not in data.columns:
            raise InputError(f"{c!r} is not a column of the data.")
    if data.duplicated([unit, time]).any():
        raise InputError(f"the data must have one row per ({unit}, {time}).")
    base = run_grid([spec], data, focal=column, progress=False)
    if base.status["status"].iloc[0] != "ok":
        raise EstimationError(f"the specification itself fails: {base.status['reason'].iloc[0]}")
    observed = float(_row(base.table, spec.id, column)["estimate"])
    cols = list(
        dict.fromkeys([*spec.model_columns(), *spec.variance.columns(), unit, within, time])
    )
    if spec.sample:
        cols += [c for c in data.columns if c in spec.sample and c not in cols]
    task = {"spec": spec, "column": column, "unit": unit, "within": within, "time": time}
    out = run_tasks(
        _placebo_draw,
        [task] * n_draws,
        shared=data[cols],
        seed=seed,
        desc="permutation placebo",
        **{"progress": True, **run},
    )
    draws = pd.DataFrame(
        {"draw": np.arange(n_draws), "estimate": [b for b, _ in out], "n_obs": [n for _, n in out]}
    )
    b = np.abs(draws["estimate"].dropna().to_numpy())
    n_ge = int(np.sum(b >= abs(observed)))
    return PermutationPlacebo(observed, draws, 1 + n_ge, (1 + n_ge) / (1 + b.size))


@dataclass(frozen=True)
class OsterBounds:
    """Oster (2019) coefficient-stability quantities for one coefficient (see :func:`oster_bounds`)."""

    beta_short: float
    r2_short: float
    beta_long: float
    r2_long: float
    r_max: float
    delta: float
    beta_adjusted: float
    delta_for_zero: float

    def to_frame(self) -> pd.DataFrame:
        """One-row frame of the fields."""
        return pd.DataFrame([self.__dict__])


def oster_bounds(
    spec: Spec,
    data: pd.DataFrame,
    *,
    controls: Sequence[str],
    term: str | None = None,
    r_max: float | None = None,
    r_max_factor: float = 1.3,
    delta: float = 1.0,
) -> OsterBounds:
    r"""Oster (2019) bias-adjusted coefficient and the degree of selection that would explain it away.

    Compares the short regression (``spec`` without ``controls``: coefficient
    :math:`\mathring\beta`, R-squared :math:`\mathring R`) with the long one (with them:
    :math:`\tilde\beta`, :math:`\tilde R`); fixed effects are in both. With :math:`R_{max}`
    the R-squared of a hypothetical regression that also controls for the unobservables,
    Oster (2019, *Journal of Business & Economic Statistics* 37(2), Proposition 1 and eq. (4),
    the approximation her paper uses for its bounds):

    .. math::

        \beta^* \approx \tilde\beta - \delta (\mathring\beta - \tilde\beta)
            \frac{R_{max} - \tilde R}{\tilde R - \mathring R},
        \qquad
        \delta_{\beta = 0} = \frac{\tilde\beta (\tilde R - \mathring R)}
            {(\mathring\beta - \tilde\beta)(R_{max} - \tilde R)}.

    ``r_max`` defaults to ``min(1, r_max_factor * R̃)`` (her 1.3 rule). R-squared is the
    overall R-squared (fixed effects counted as observed controls).
    """
    key = _focal(spec, term)
    missing = [c for c in controls if c not in spec.regressors]
    if missing or not controls:
        raise InputError(
            f"controls {list(controls)} must be regressors of the spec ({spec.regressors})."
        )
    if key in controls:
        raise InputError(f"the term {key!r} cannot be a control.")
    short = replace(spec, regressors=tuple(r for r in spec.regressors if r not in controls))
    res = run_grid([short, spec], data, focal=key, progress=False)
    if not (res.status["status"] == "ok").all():
        raise EstimationError(f"oster_bounds: a regression failed: {res.failed.to_dict('records')}")
    rs, rl = _row(res.table, short.id, key), _row(res.table, spec.id, key)
    # the same rows in both regressions: the short one is estimated on the long one's sample
    if int(rs["n_obs"]) != int(rl["n_obs"]):
        raise InputError(
            "the controls have missing values, so the short and long regressions use different "
            "rows; restrict the sample to rows where the controls are observed."
        )
    b0, r0, b1, r1 = float(rs["estimate"]), float(rs["r2"]), float(rl["estimate"]), float(rl["r2"])
    rmax = float(min(1.0, r_max_factor * r1)) if r_max is None else float(r_max)
    if not r1 < rmax <= 1.0:
        raise InputError(f"r_max must lie in (R2 of the long regression {r1:.4f}, 1], got {rmax}.")
    with np.errstate(divide="ignore", invalid="ignore"):
        move = (b0 - b1) * (rmax - r1) / (r1 - r0)
        d0 = b1 * (r1 - r0) / ((b0 - b1) * (rmax - r1))
    return OsterBounds(b0, r0, b1, r1, rmax, float(delta), float(b1 - delta * move), float(d0))


def conley_cutoff_curve(
    spec: Spec,
    data: pd.DataFrame,
    *,
    cutoffs_km: Sequence[float] = (25, 50, 75, 100, 150, 200, 250, 300, 400, 500, 750, 1000),
    term: str | None = None,
    kernel: str = "uniform",
    time: str | None = "year",
    unit: str | None = None,
    lags: int | None = None,
    references: Sequence[Variance] = (),
    **run: Any,
) -> pd.DataFrame:
    """Return the Conley standard error of one coefficient at each distance cutoff (one fit).

    Returns
    -------
    pandas.DataFrame
        ``variance``, ``variance_type``, ``cutoff_km``, ``kernel``, ``lags``, ``estimate``,
        ``std_error``, ``conf_low``, ``conf_high``, ``p_value``: one row per cutoff, then one
        per reference variance (default: heteroskedasticity-robust and, if the spec clusters,
        its own).
    """
    key = _focal(spec, term)
    vs: list[Variance] = [
        Conley(cutoff_km=float(c), kernel=kernel, time=time, unit=unit, lags=lags)  # type: ignore[arg-type]
        for c in cutoffs_km
    ]
    refs = list(references) or [Hetero()] + (
        [spec.variance] if isinstance(spec.variance, Cluster) else []
    )
    specs = [spec.with_variance(v) for v in [*vs, *refs]]
    res = run_grid(specs, data, focal=key, **{"progress": False, **run})
    t = res.table.loc[res.table["term"] == key]
    cols = [
        "variance",
        "variance_type",
        "cutoff_km",
        "kernel",
        "lags",
        "estimate",
        "std_error",
        "conf_low",
        "conf_high",
        "p_value",
        "n_obs",
    ]
    order = {s.id: i for i, s in enumerate(specs)}
    t = t.assign(_o=t["spec_id"].map(order)).sort_values("_o")
    return t[cols].reset_index(drop=True)
