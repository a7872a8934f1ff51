"""Estimate a spec, or one spec under several variance estimators from one fit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from agglomeration.errors import EstimationError, InputError
from agglomeration.estimation import engine
from agglomeration.estimation.iv import first_stage_statistics, hansen_j
from agglomeration.estimation.result import EstimationResult
from agglomeration.estimation.sample import Sample, prepare_sample
from agglomeration.estimation.spec import Spec
from agglomeration.estimation.variance import Variance
from agglomeration.estimation.variance_geo import Conley

__all__ = ["compare_variances", "estimate", "estimate_variances"]


def _fit(spec: Spec, sample: Sample) -> engine.FittedModel:
    try:
        model = engine.fit(
            spec.formula(), sample.data, estimator=spec.estimator, weights=spec.weights
        )
    except EstimationError as e:
        if "collinear" in str(e):
            fe = " + ".join(spec.fixed_effects) or "none"
            raise EstimationError(
                f"spec {spec.name or spec.id}: every regressor ({', '.join(spec.terms)}) is "
                f"collinear with the fixed effects ({fe}) or with the others, e.g. it does not "
                "vary within the fixed-effect groups. Remove the absorbed regressor(s) from "
                "regressors, or drop the fixed effect that absorbs them."
            ) from None
        raise
    return model


def estimate_variances(
    spec: Spec, data: pd.DataFrame, variances: Sequence[Variance]
) -> list[EstimationResult]:
    """Fit a spec once and return one result per variance estimator, on one common sample.

    The sample drops the rows missing any column any of the variances needs, so every result
    has the same N. Conley variances share one neighbour search at their largest cutoff.

    Examples
    --------
    One fit, two variances: the same coefficient, two standard errors, one sample:

    >>> from agglomeration import Spec, Variance, estimate_variances
    >>> from agglomeration.simulate import regional_panel
    >>> panel = regional_panel(n_regions=300, n_years=4, seed=1).panel
    >>> spec = Spec(outcome="log_wage", regressors=("log_density",), fixed_effects=("year",))
    >>> iid, conley = estimate_variances(
    ...     spec, panel, [Variance("iid"), Variance("conley", cutoff_km=150, time="year")])
    >>> bool(iid.params["log_density"] == conley.params["log_density"])
    True
    >>> iid.n_obs == conley.n_obs, iid.spec.id != conley.spec.id
    (True, True)
    """
    if not variances:
        raise InputError("variances is empty: pass at least one Variance.")
    sample = prepare_sample(spec, data, variances)
    model = _fit(spec, sample)
    cache: dict[Any, Any] = {}
    for v in variances:
        if isinstance(v, Conley):
            key = ("conley_max_cutoff", v.lat, v.lon)
            cache[key] = max(cache.get(key, 0.0), float(v.cutoff_km or 0.0))
    dropped = sample.dropped_frame()
    out = []
    for v in variances:
        cov = v.compute(model, sample.data, cache)
        stats: dict[str, float] = {}
        if spec.estimator == "iv":
            stats.update(first_stage_statistics(spec, sample.data, v, cache))
            stats.update(hansen_j(model, sample.data, v, cache))
        out.append(
            EstimationResult.from_covariance(
                spec.with_variance(v),
                model,
                cov,
                v,
                dropped=dropped,
                sample_index=sample.data.index,
                stats=stats,
            )
        )
    return out


def estimate(spec: Spec, data: pd.DataFrame) -> EstimationResult:
    """Estimate a spec on a data frame and return a tidy result.

    Steps, each reported in ``result.dropped`` (see
    :func:`~agglomeration.estimation.sample.prepare_sample`): the sample filter; rows with a
    missing value in any column the spec uses; singleton fixed-effect groups and, for Poisson,
    all-zero groups, repeated until nothing changes. The engine (pyfixest, through
    :mod:`agglomeration.estimation.engine`) then estimates the model; collinear regressors it
    drops are listed in ``result.collinear``. The variance is ``spec.variance``.

    Parameters
    ----------
    spec : Spec
        The specification.
    data : pandas.DataFrame
        Data with every column the spec names.

    Returns
    -------
    EstimationResult
        Coefficients, standard errors and the shared result interface (``tidy()``,
        ``summary()``), the registry rows (``table``), N, clusters, dropped rows.

    Raises
    ------
    ColumnMissingError, ColumnTypeError, InputError, SpecError, EstimationError
        Each names the column or value and the fix (see
        :func:`~agglomeration.estimation.sample.prepare_sample`).

    Examples
    --------
    On a simulated panel whose density elasticity is 0.04, the estimate is within three of its
    standard errors of the truth, and the counts are those of the design (300 regions x 4 years):

    >>> from agglomeration import Spec, Variance, estimate
    >>> from agglomeration.simulate import regional_panel
    >>> sim = regional_panel(n_regions=300, n_years=4, seed=1, sigma_region_fe=0.0,
    ...                      region_fe_density_loading=0.0)
    >>> spec = Spec(outcome="log_wage", regressors=("log_density",), fixed_effects=("year",),
    ...             variance=Variance("cluster", cluster=["region"]))
    >>> res = estimate(spec, sim.panel)
    >>> res.n_obs, res.n_clusters
    (1200, 300)
    >>> b, se = res.params["log_density"], res.std_errors["log_density"]
    >>> bool(abs(b - sim.truth.beta_density) < 3 * se)
    True
    """
    return estimate_variances(spec, data, [spec.variance])[0]


def compare_variances(
    spec: Spec,
    data: pd.DataFrame,
    variances: Sequence[Variance],
    *,
    term: str | None = None,
) -> pd.DataFrame:
    """Fit a spec once and report one term under several variance estimators.

    Parameters
    ----------
    spec : Spec
        The specification (its own variance is ignored).
    data : pandas.DataFrame
        The data.
    variances : sequence of Variance
        Variance estimators, e.g. :func:`~agglomeration.estimation.standard_variances`.
    term : str, optional
        The term to report; defaults to the first of :attr:`Spec.terms`.

    Returns
    -------
    pandas.DataFrame
        One row per variance: the registry columns of :attr:`EstimationResult.table` for the
        term, plus ``dropped`` (a "reason: n; ..." summary of the rows removed).

    Examples
    --------
    >>> from agglomeration import Spec, compare_variances, standard_variances
    >>> from agglomeration.simulate import regional_panel
    >>> panel = regional_panel(n_regions=300, n_years=4, seed=1).panel
    >>> spec = Spec(outcome="log_wage", regressors=("log_density",), fixed_effects=("year",))
    >>> table = compare_variances(spec, panel, standard_variances(
    ...     unit="region", group="region", time="year", cutoffs_km=(100,)))
    >>> table["variance"].tolist()  # doctest: +NORMALIZE_WHITESPACE
    ['iid', 'hetero (HC1)', 'cluster(region)', 'cluster(region)', 'cluster(region, year)',
     'driscoll-kraay(lags=auto)', 'conley(100 km, uniform)']
    >>> table["estimate"].nunique()  # one fit: one coefficient
    1
    """
    key = term or spec.terms[0]
    if key not in spec.terms:
        raise InputError(f"term {key!r} is not a coefficient of the spec; choose from {spec.terms}.")
    results = estimate_variances(spec, data, variances)
    first = results[0]
    if key not in first.params.index:
        raise EstimationError(
            f"term {key!r} was dropped by the engine (collinear: {list(first.collinear)})."
        )
    out = pd.concat(
        [r.table.loc[r.table["term"] == key] for r in results], ignore_index=True
    )
    out["dropped"] = "; ".join(f"{r.reason}: {r.n_rows}" for r in first.dropped.itertuples())
    return out
