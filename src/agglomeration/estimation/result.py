"""The result of :func:`agglomeration.estimation.estimate`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from agglomeration.errors import InputError
from agglomeration.estimation.engine import FittedModel
from agglomeration.estimation.spec import Spec
from agglomeration.estimation.variance import Covariance, Variance
from agglomeration.results import ResultMixin

__all__ = ["REGISTRY_COLUMNS", "EstimationResult"]

REGISTRY_COLUMNS: tuple[str, ...] = (
    "spec_id",
    "spec_name",
    "term",
    "estimate",
    "std_error",
    "statistic",
    "p_value",
    "conf_low",
    "conf_high",
    "df",
    "n_obs",
    "n_clusters",
    "fixed_effects",
    "variance",
    "variance_type",
    "cluster",
    "cutoff_km",
    "kernel",
    "lags",
    "estimator",
)
"""Columns of :attr:`EstimationResult.table` (one registry row per term), in order; model
statistics (R-squared, outcome mean, first-stage F, ...) follow as extra columns."""


@dataclass(frozen=True)
class EstimationResult(ResultMixin):
    """Tidy result of :func:`~agglomeration.estimation.estimate`.

    Shares the package's result interface (:class:`agglomeration.results.ResultMixin`):
    ``params``, ``std_errors``, ``tstats``, ``pvalues``, ``conf_int(level)``, ``tidy(level)``
    and ``summary()``.

    Attributes
    ----------
    spec : Spec
        What was estimated.
    params, std_errors : pandas.Series
        Coefficients and standard errors of the reported terms.
    vcov : pandas.DataFrame
        Variance matrix of the reported terms.
    variance : Variance
        The variance estimator used.
    n_obs : int
        Estimation sample size.
    n_clusters : int or None
        Clusters (two-way: the smaller count, which sets the correction), periods for
        Driscoll-Kraay, ``None`` otherwise.
    df : float or None
        t degrees of freedom of the inference (None: standard normal).
    dropped : pandas.DataFrame
        ``reason, n_rows``: rows removed between the input and the estimation sample, in order.
    collinear : tuple of str
        Regressors dropped by the engine as collinear (with each other or the fixed effects).
    sample_index : pandas.Index
        Index labels of the estimation sample in the input frame.
    stats : dict
        Model statistics: ``r2``, ``r2_within`` or ``pseudo_r2``, ``outcome_mean``; for IV
        ``first_stage_f``, ``effective_f`` (Montiel Olea & Pflueger 2013) and, where several
        instruments, the over-identification statistic.
    model : FittedModel
        The fitted model (for further inference); not compared or printed.

    Examples
    --------
    The shared interface: the interval is the estimate plus or minus the t quantile times the
    standard error, and ``tidy()`` holds the registry's columns:

    >>> import numpy as np
    >>> from scipy import stats
    >>> from agglomeration import Spec, estimate
    >>> from agglomeration.simulate import regional_panel
    >>> res = estimate(Spec("log_wage", ("log_density",), ("year",)),
    ...                regional_panel(n_regions=200, n_years=3, seed=2).panel)
    >>> q = stats.t.ppf(0.975, res.df_resid)
    >>> lo = res.params - q * res.std_errors
    >>> bool(np.allclose(res.conf_int()["lower"], lo))
    True
    >>> res.tidy().columns[:7].tolist()
    ['term', 'estimate', 'std_error', 'statistic', 'p_value', 'conf_low', 'conf_high']
    """

    spec: Spec
    params: pd.Series
    std_errors: pd.Series
    vcov: pd.DataFrame
    variance: Variance
    n_obs: int
    n_clusters: int | None
    df: float | None
    dropped: pd.DataFrame
    collinear: tuple[str, ...]
    sample_index: pd.Index
    stats: dict[str, float] = field(default_factory=dict)
    model: FittedModel | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_covariance(
        cls,
        spec: Spec,
        model: FittedModel,
        cov: Covariance,
        variance: Variance,
        *,
        dropped: pd.DataFrame,
        sample_index: pd.Index,
        stats: dict[str, float] | None = None,
    ) -> EstimationResult:
        """Assemble a result from a fitted model and one of its covariances."""
        names = model.names
        diag = np.diag(cov.vcov)
        if (diag < 0).any():
            import warnings

            bad = [n for n, d in zip(names, diag, strict=True) if d < 0]
            warnings.warn(
                f"{variance.label}: negative variance for {bad} (the multiway cluster variance "
                "is not positive semi-definite in this sample); standard errors set to NaN.",
                RuntimeWarning,
                stacklevel=3,
            )
        se = np.sqrt(np.where(diag < 0, np.nan, diag))
        return cls(
            spec=spec,
            params=model.coef.rename("estimate"),
            std_errors=pd.Series(se, index=names, name="std_error"),
            vcov=pd.DataFrame(cov.vcov, index=names, columns=names),
            variance=variance,
            n_obs=model.n_obs,
            n_clusters=cov.n_clusters,
            df=cov.df,
            dropped=dropped,
            collinear=model.collinear,
            sample_index=sample_index,
            stats={**model.stats, **(stats or {})},
            model=model,
        )

    # -- the shared interface ------------------------------------------------------------------
    @property
    def df_resid(self) -> float | None:
        """T degrees of freedom of the inference (None: normal)."""
        return self.df

    @property
    def variance_label(self) -> str:
        """:attr:`Variance.label` of the variance used."""
        return self.variance.label

    def _model_columns(self) -> dict[str, Any]:
        return {
            "spec_id": self.spec.id,
            "spec_name": self.spec.name,
            "df": np.nan if self.df is None else self.df,
            "n_obs": self.n_obs,
            "n_clusters": pd.array(
                [self.n_clusters] * len(self.params), dtype="Int64"
            ),
            "fixed_effects": " + ".join(self.spec.fixed_effects),
            "variance": self.variance.label,
            **self.variance.describe(),
            "estimator": self.spec.estimator,
            **self.stats,
        }

    @cached_property
    def table(self) -> pd.DataFrame:
        """Registry rows: :data:`REGISTRY_COLUMNS` (95% intervals), then model statistics."""
        t = self.tidy(0.95)
        first = list(REGISTRY_COLUMNS)
        return t[first + [c for c in t.columns if c not in first]]

    def linear_test(
        self, weights: Mapping[str, float], value: float = 0.0, *, level: float = 0.95
    ) -> dict[str, float]:
        """Test ``sum_j a_j beta_j = value`` with the result's variance (a Wald test).

        Parameters
        ----------
        weights : mapping of str to float
            Coefficient of each term in the linear combination, e.g.
            ``{"log_employment": 1, "log_land_area": 1}`` for "the two enter with equal and
            opposite signs".
        value : float
            The hypothesised value.
        level : float
            Confidence level of the interval for the combination.

        Returns
        -------
        dict
            ``estimate`` (of the combination), ``std_error`` (``sqrt(a' V a)``), ``statistic``
            (``(estimate - value) / std_error``), ``p_value`` (t with :attr:`df_resid` df, or
            normal), ``conf_low``, ``conf_high``.
        """
        unknown = [t for t in weights if t not in self.params.index]
        if unknown:
            raise InputError(
                f"linear_test names term(s) {unknown} that the result does not have; terms: "
                f"{list(self.params.index)}."
            )
        a = np.array([float(weights.get(t, 0.0)) for t in self.params.index])
        est = float(a @ self.params.to_numpy())
        se = float(np.sqrt(a @ self.vcov.to_numpy() @ a))
        stat = (est - value) / se
        df = self.df_resid
        p = float(2 * (stats.norm.sf(abs(stat)) if df is None else stats.t.sf(abs(stat), df)))
        q = self._quantile(level)
        return {
            "estimate": est,
            "std_error": se,
            "statistic": stat,
            "p_value": p,
            "conf_low": est - q * se,
            "conf_high": est + q * se,
        }

    def _summary_title(self) -> str:
        est = {"ols": "OLS", "poisson": "Poisson (PPML)", "iv": "IV (2SLS)"}[self.spec.estimator]
        return f"{est}: {self.spec.name or self.spec.id}"

    def _summary_header(self) -> list[tuple[str, str]]:
        s = self.spec
        rows = [
            ("outcome", s.outcome),
            ("fixed effects", " + ".join(s.fixed_effects) or "none"),
            ("observations", f"{self.n_obs:,}"),
            ("variance", self.variance.label + f" [{self.variance.small_sample}]"),
        ]
        if self.n_clusters is not None:
            rows.append(("clusters / periods", f"{self.n_clusters:,}"))
        if s.sample:
            rows.append(("sample", s.sample))
        if s.weights:
            rows.append(("weights", s.weights))
        if s.estimator == "iv":
            rows.append(("instruments", ", ".join(s.instruments)))
        for k in ("r2", "r2_within", "pseudo_r2", "first_stage_f", "effective_f", "hansen_j"):
            if k in self.stats and np.isfinite(self.stats[k]):
                rows.append((k.replace("_", " "), f"{self.stats[k]:.4g}"))
        rows.append(("spec id", s.id))
        return rows

    def _summary_footer(self) -> list[str]:
        out = [f"dropped: {r.n_rows:,} rows ({r.reason})" for r in self.dropped.itertuples()]
        if self.collinear:
            out.append(f"collinear, dropped by the engine: {', '.join(self.collinear)}")
        return out

    def __repr__(self) -> str:
        est = ", ".join(
            f"{t}={b:.4g} ({s:.3g})"
            for t, b, s in zip(self.params.index, self.params, self.std_errors, strict=True)
        )
        return (
            f"EstimationResult({self.spec.name or self.spec.id}: {est}; N={self.n_obs:,}, "
            f"{self.variance.label})"
        )
