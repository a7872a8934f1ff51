"""The result object returned by :func:`agglomeration.tfp.estimate`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from agglomeration.tfp._fit import Options

METHOD_LABELS = {
    "ols": "OLS",
    "fe": "Plant FE",
    "op": "Olley-Pakes",
    "lp": "Levinsohn-Petrin",
    "acf": "Ackerberg-Caves-Frazer",
    "wrdg": "Wooldridge",
}


@dataclass(frozen=True)
class TFPResult:
    """A production-function estimate.

    Attributes
    ----------
    method : str
        One of ``"op", "lp", "acf", "wrdg", "ols", "fe"``.
    params : pandas.Series
        Output elasticities, free inputs then state inputs.
    std_errors : pandas.Series or None
        Plant-bootstrap standard errors (None when ``n_boot=0``).
    boot_params : pandas.DataFrame or None
        Bootstrap draws (failed replications are dropped and counted in ``n_boot_failed``).
    n_boot, n_boot_failed : int
        Replications requested and replications whose estimation failed.
    boot_messages : tuple of str
        Distinct failure messages of the failed replications.
    starts : pandas.DataFrame
        Every start of the numerical optimisation: start values, optimum, objective,
        convergence flag, message.
    best_start : int
        The chosen start (lowest converged objective; ties to the lowest index).
    objective : float
        Criterion at the estimate (NaN for OLS/FE; Hansen's J for Wooldridge).
    tfp : pandas.Series
        Log TFP per observation, y - w beta_w - k beta_k (includes the constant and the
        i.i.d. shock), indexed like the input frame.
    n_obs, n_plants, n_second_stage : int
        Plant-years and plants in the data; plant-years in the second stage.
    dropped : pandas.DataFrame
        Rows excluded from (a stage of) the estimation, with id, time and reason.
    options : Options
        Settings used.
    first_stage : pandas.Series or None
        Stage-1 OLS coefficients (OP, LP, ACF).
    extra : dict
        Method-specific diagnostics (e.g. Hansen's J and its degrees of freedom).
    """

    method: str
    params: pd.Series
    std_errors: pd.Series | None
    boot_params: pd.DataFrame | None
    n_boot: int
    n_boot_failed: int
    boot_messages: tuple[str, ...]
    starts: pd.DataFrame
    best_start: int
    objective: float
    tfp: pd.Series
    n_obs: int
    n_plants: int
    n_second_stage: int
    dropped: pd.DataFrame
    options: Options
    first_stage: pd.Series | None = None
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def returns_to_scale(self) -> float:
        """Sum of the output elasticities."""
        return float(self.params.sum())

    @property
    def cov(self) -> pd.DataFrame | None:
        """Bootstrap covariance matrix of the parameters (None without bootstrap)."""
        if self.boot_params is None:
            return None
        return self.boot_params.cov()

    def crs_test(self) -> dict[str, float]:
        """Wald test of constant returns to scale, H0: sum of elasticities = 1.

        W = (sum(beta) - 1)^2 / Var_boot(sum(beta)), chi-squared with 1 degree of freedom.

        Raises
        ------
        ValueError
            If the result has no bootstrap draws.
        """
        if self.boot_params is None or len(self.boot_params) < 2:
            raise ValueError(
                "crs_test needs bootstrap draws; re-estimate with n_boot >= 2 (e.g. 200)."
            )
        var = float(self.boot_params.sum(axis=1).var(ddof=1))
        stat = (self.returns_to_scale - 1.0) ** 2 / var
        return {
            "rts": self.returns_to_scale,
            "se": float(np.sqrt(var)),
            "wald": float(stat),
            "df": 1.0,
            "pvalue": float(stats.chi2.sf(stat, 1)),
        }

    def tfp_ratio_90_10(self) -> float:
        """TFP dispersion: exp(q90 - q10) of log TFP (the 90/10 ratio of TFP levels)."""
        q90, q10 = np.quantile(self.tfp.to_numpy(), [0.9, 0.1])
        return float(np.exp(q90 - q10))

    def tidy(self) -> pd.DataFrame:
        """One row per term (inputs and returns to scale) with estimate and bootstrap SE."""
        rows: list[dict[str, Any]] = []
        se = self.std_errors
        for term, est in self.params.items():
            s = float(se.loc[str(term)]) if se is not None else np.nan
            rows.append({"term": str(term), "estimate": float(est), "std_error": s})
        rts_se = (
            float(np.sqrt(self.boot_params.sum(axis=1).var(ddof=1)))
            if (self.boot_params is not None and len(self.boot_params) > 1)
            else np.nan
        )
        rows.append(
            {"term": "returns_to_scale", "estimate": self.returns_to_scale, "std_error": rts_se}
        )
        out = pd.DataFrame(rows)
        z = stats.norm.ppf(0.975)
        out["conf_low"] = out["estimate"] - z * out["std_error"]
        out["conf_high"] = out["estimate"] + z * out["std_error"]
        out.insert(0, "method", self.method)
        out["n_obs"] = self.n_obs
        out["n_plants"] = self.n_plants
        out["n_boot"] = self.n_boot
        out["n_boot_failed"] = self.n_boot_failed
        return out

    def summary(self) -> str:
        """Return a plain-text summary: estimates, SEs, returns to scale, starts, exclusions."""
        label = METHOD_LABELS.get(self.method, self.method)
        lines = [
            f"{label} production function (value added, Cobb-Douglas)",
            f"plant-years: {self.n_obs}   plants: {self.n_plants}   "
            f"second stage: {self.n_second_stage}",
        ]
        if self.method in ("op", "lp", "acf", "wrdg"):
            lines.append(
                f"control-function polynomial degree: {self.options.poly_degree}   "
                f"law-of-motion degree: {self.options.markov_degree}   "
                f"exit correction: {self.options.exit}"
            )
        lines.append(f"{'term':<20}{'estimate':>12}{'std.err':>12}")
        for term, est in self.params.items():
            s = "" if self.std_errors is None else f"{float(self.std_errors.loc[str(term)]):12.4f}"
            lines.append(f"{term!s:<20}{est:12.4f}{s}")
        lines.append(f"{'returns to scale':<20}{self.returns_to_scale:12.4f}")
        if self.boot_params is not None:
            t = self.crs_test()
            lines.append(
                f"Wald test of CRS: W = {t['wald']:.3f}, p = {t['pvalue']:.4f} "
                f"(bootstrap: {self.n_boot} replications, {self.n_boot_failed} failed)"
            )
        else:
            lines.append("standard errors: not computed (n_boot = 0)")
        if "objective" in self.starts and self.starts["objective"].notna().any():
            obj = self.starts.loc[self.starts["converged"], "objective"]
            lines.append(
                f"starts: {len(self.starts)}, converged: {int(self.starts['converged'].sum())}, "
                f"best: #{self.best_start} (objective {self.objective:.6g}; range over "
                f"converged starts {obj.min():.6g} .. {obj.max():.6g})"
            )
        lines.append(f"TFP 90/10 ratio: {self.tfp_ratio_90_10():.3f}")
        if len(self.dropped):
            counts = self.dropped["reason"].value_counts()
            for reason, c in counts.items():
                lines.append(f"excluded: {c} plant-years ({reason})")
        return "\n".join(lines)
