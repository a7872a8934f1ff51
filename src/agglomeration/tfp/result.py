"""The result object returned by :func:`agglomeration.tfp.estimate`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from agglomeration.errors import InputError
from agglomeration.results import ResultMixin
from agglomeration.tfp.spec import TFPSpec

METHOD_LABELS = {
    "ols": "OLS",
    "fe": "Plant FE",
    "op": "Olley-Pakes",
    "lp": "Levinsohn-Petrin",
    "acf": "Ackerberg-Caves-Frazer",
    "wrdg": "Wooldridge",
}


@dataclass(frozen=True)
class TFPResult(ResultMixin):
    """A production-function estimate, with the shared result interface.

    ``params``, ``std_errors``, ``tstats``, ``pvalues``, ``conf_int(level)``, ``tidy(level)``
    and ``summary()`` come from :class:`agglomeration.results.ResultMixin`; inference uses
    the standard normal with the plant-bootstrap standard errors (``df_resid`` is None).

    Attributes
    ----------
    spec : TFPSpec
        What was estimated (``spec.id`` traces the estimate).
    params : pandas.Series
        Output elasticities, free inputs then state inputs.
    std_errors : pandas.Series
        Plant-bootstrap standard errors (NaN when ``n_boot = 0``).
    boot_params : pandas.DataFrame or None
        Bootstrap draws (failed replications are dropped and counted in ``n_boot_failed``).
    n_boot_failed : int
        Replications whose estimation failed (for ACF: also those that reached no root).
    boot_messages : tuple of str
        Distinct failure messages of the failed replications.
    starts : pandas.DataFrame
        Every start of the numerical optimisation: start values, end point, objective,
        convergence, root measure and root flag, the solution reached, message.
    solutions : pandas.DataFrame
        Every distinct solution reached (exact roots and other stationary points), with the
        starts that reached it (``n_starts``), its objective, ``is_root``, for ACF
        ``j_overid`` and ``admissible``, and the ``chosen`` flag.
    best_start : int
        A start that reached the chosen solution.
    objective : float
        Criterion at the estimate (NaN for closed forms; Hansen's J for Wooldridge "joint").
    converged : bool
        False when the estimate is not a solution (``require_root=False`` and no root).
    diagnosis : str
        What the multi-start search found and how the estimate was chosen.
    tfp : pandas.Series
        Log TFP per observation, y - w beta_w - k beta_k (includes the constant and the
        i.i.d. shock), indexed like the input frame.
    n_obs, n_plants, n_second_stage : int
        Plant-years and plants in the data; plant-years in the second stage.
    dropped : pandas.DataFrame
        Rows excluded from (a stage of) the estimation, with unit, time and reason.
    first_stage : pandas.Series or None
        Stage-1 OLS coefficients (OP, LP, ACF).
    extra : dict
        Method-specific diagnostics (Hansen's J and degrees of freedom, rho, ``j_overid``,
        ``moment_norm``, ``n_roots``).
    """

    spec: TFPSpec
    params: pd.Series
    std_errors: pd.Series
    boot_params: pd.DataFrame | None
    n_boot_failed: int
    boot_messages: tuple[str, ...]
    starts: pd.DataFrame
    solutions: pd.DataFrame
    best_start: int
    objective: float
    converged: bool
    diagnosis: str
    tfp: pd.Series
    n_obs: int
    n_plants: int
    n_second_stage: int
    dropped: pd.DataFrame
    first_stage: pd.Series | None = None
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def method(self) -> str:
        """The estimator (``spec.method``)."""
        return self.spec.method

    @property
    def n_boot(self) -> int:
        """Bootstrap replications requested (``spec.n_boot``)."""
        return self.spec.n_boot

    @property
    def roots(self) -> pd.DataFrame:
        """The distinct exact roots found (just-identified ACF; empty otherwise)."""
        if "is_root" not in self.solutions:
            return self.solutions.iloc[0:0]
        return self.solutions[self.solutions["is_root"].astype(bool)].reset_index(drop=True)

    @property
    def returns_to_scale(self) -> float:
        """Sum of the output elasticities."""
        return float(self.params.sum())

    @property
    def cov(self) -> pd.DataFrame | None:
        """Bootstrap covariance matrix of the parameters (None without bootstrap)."""
        return None if self.boot_params is None else self.boot_params.cov()

    def _rts_se(self) -> float:
        if self.boot_params is None or len(self.boot_params) < 2:
            return float("nan")
        return float(np.sqrt(self.boot_params.sum(axis=1).var(ddof=1)))

    def crs_test(self) -> dict[str, float]:
        """Wald test of constant returns to scale, H0: sum of elasticities = 1.

        W = (sum(beta) - 1)^2 / Var_boot(sum(beta)), chi-squared with 1 degree of freedom.

        Raises
        ------
        InputError
            If the result has no bootstrap draws.
        """
        if self.boot_params is None or len(self.boot_params) < 2:
            raise InputError(
                "crs_test needs bootstrap draws; re-estimate with n_boot >= 2 (e.g. 200)."
            )
        se = self._rts_se()
        stat = (self.returns_to_scale - 1.0) ** 2 / se**2
        return {
            "rts": self.returns_to_scale,
            "se": se,
            "wald": float(stat),
            "df": 1.0,
            "pvalue": float(stats.chi2.sf(stat, 1)),
        }

    def tfp_ratio_90_10(self) -> float:
        """TFP dispersion: exp(q90 - q10) of log TFP (the 90/10 ratio of TFP levels)."""
        q90, q10 = np.quantile(self.tfp.to_numpy(), [0.9, 0.1])
        return float(np.exp(q90 - q10))

    # -- the shared interface ---------------------------------------------------------------
    def _model_columns(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "n_obs": self.n_obs,
            "n_plants": self.n_plants,
            "n_boot": self.n_boot,
            "n_boot_failed": self.n_boot_failed,
            "converged": self.converged,
            "spec_id": self.spec.id,
        }

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """One row per input, then ``returns_to_scale``; shared columns then model columns.

        The returns-to-scale row tests H0: sum = 0 like the other rows; the test of constant
        returns (sum = 1) is :meth:`crs_test`.
        """
        out = super().tidy(level)
        se = self._rts_se()
        q = self._quantile(level)
        est = self.returns_to_scale
        stat = est / se if se > 0 else float("nan")
        rts = {
            "term": "returns_to_scale",
            "estimate": est,
            "std_error": se,
            "statistic": stat,
            "p_value": float(2 * stats.norm.sf(abs(stat))) if np.isfinite(stat) else np.nan,
            "conf_low": est - q * se,
            "conf_high": est + q * se,
            **self._model_columns(),
        }
        return pd.concat([out, pd.DataFrame([rts])], ignore_index=True)

    def _summary_title(self) -> str:
        label = METHOD_LABELS.get(self.method, self.method)
        return f"{label} production function (value added, Cobb-Douglas)"

    def _summary_header(self) -> list[tuple[str, str]]:
        s = self.spec
        rows = [
            ("spec", f"{s.name or '(unnamed)'} [{s.id}]"),
            ("plant-years / plants", f"{self.n_obs} / {self.n_plants}"),
            ("second stage", f"{self.n_second_stage} plant-years"),
        ]
        if s.method in ("op", "lp", "acf", "wrdg"):
            rows.append(
                (
                    "polynomials",
                    f"control function degree {s.poly_degree}, law of motion degree "
                    f"{s.markov_degree}, exit correction {s.exit_correction}",
                )
            )
        if s.method == "acf":
            rows.append(("ACF moments", s.acf_instruments))
        if s.method == "wrdg":
            rows.append(("Wooldridge form", s.wrdg_form))
        boot = (
            f"{s.n_boot} plant-bootstrap replications, {self.n_boot_failed} failed"
            if s.n_boot
            else "none (n_boot = 0): no standard errors"
        )
        rows.append(("standard errors", boot))
        return rows

    def _summary_footer(self) -> list[str]:
        lines = [f"returns to scale: {self.returns_to_scale:.4f}"]
        if self.boot_params is not None and len(self.boot_params) > 1:
            t = self.crs_test()
            lines.append(f"Wald test of CRS: W = {t['wald']:.3f}, p = {t['pvalue']:.4f}")
        if self.spec.numerical:
            conv = int(self.starts["converged"].sum())
            lines.append(
                f"starts: {len(self.starts)}, converged: {conv}, chosen: #{self.best_start} "
                f"(objective {self.objective:.6g})"
            )
            lines.append(f"diagnosis: {self.diagnosis}")
            if not self.converged:
                lines.append("NOT CONVERGED: the estimate solves no moment equation")
        for key in ("hansen_j", "j_overid"):
            if key in self.extra:
                lines.append(
                    f"{key}: {self.extra[key]:.4g} (df {self.extra[key + '_df']:.0f})"
                )
        lines.append(f"TFP 90/10 ratio: {self.tfp_ratio_90_10():.3f}")
        if len(self.dropped):
            for reason, c in self.dropped["reason"].value_counts().items():
                lines.append(f"excluded: {c} plant-years ({reason})")
        return lines
