r"""Result of :func:`agglomeration.inference.shift_share_regression`.

Holds the coefficient on the shift-share variable with its AKM, AKM0 and EHW inference (Adão,
Kolesár & Morales 2019, *QJE* 134(4), Section IV, Remark 6). AKM0 is a test that imposes
the null in the residual; every quantity it needs, at any null :math:`\beta_0` and level, follows
from four sums kept here: :math:`R_X`, :math:`\sum_s c_s^2`, :math:`\sum_s c_s a_s` and
:math:`\sum_s a_s^2` (notation of :mod:`agglomeration.inference.shift_share`), since the
null-imposed industry terms are :math:`c_s + (\hat\beta - \beta_0) a_s`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal, NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from agglomeration.errors import SpecError
from agglomeration.results import ResultMixin, _check_level

__all__ = ["Akm0Interval", "ShiftShareResult", "akm0_interval"]

VARIANCES: tuple[str, ...] = ("hetero", "akm", "akm0")


class Akm0Interval(NamedTuple):
    """AKM0 confidence set from test inversion (AKM 2019, Remark 6, step (iv)).

    ``kind`` is ``"interval"`` (the set is ``[lower, upper]``), ``"complement"`` (the set is
    ``(-inf, lower] U [upper, inf)``, ``lower < upper``: weak identification) or
    ``"real_line"`` (every value is accepted; ``lower = -inf``, ``upper = inf``).
    """

    lower: float
    upper: float
    kind: Literal["interval", "complement", "real_line"]


def akm0_interval(
    estimate: float, rx: float, s_cc: float, s_ca: float, s_aa: float, level: float = 0.95
) -> Akm0Interval:
    r"""Solve the AKM0 acceptance region :math:`\{\beta_0: t_0(\beta_0)^2 \le z^2\}`.

    With :math:`\Delta = \hat\beta - \beta_0` the test accepts when
    :math:`Q\Delta^2 - 2\Delta\sum c_s a_s - \sum c_s^2 \le 0`,
    :math:`Q = R_X^2 / z^2 - \sum a_s^2`.

    Parameters
    ----------
    estimate : float
        Point estimate :math:`\hat\beta`.
    rx, s_cc, s_ca, s_aa : float
        :math:`R_X`, :math:`\sum c_s^2`, :math:`\sum c_s a_s`, :math:`\sum a_s^2`.
    level : float
        Confidence level.

    Returns
    -------
    Akm0Interval
    """
    z = float(stats.norm.ppf(0.5 + _check_level(level) / 2.0))
    q = rx**2 / z**2 - s_aa
    if q > 0:
        shift = s_ca / q
        half = float(np.sqrt(shift**2 + s_cc / q))
        mid = estimate - shift
        return Akm0Interval(mid - half, mid + half, "interval")
    if q < 0:
        # accepted where Delta^2 |q| + 2 Delta s_ca + s_cc >= 0: outside the roots, if any
        shift = s_ca / q
        dis = shift**2 + s_cc / q
        if dis > 0:
            mid = estimate - shift
            half = float(np.sqrt(dis))
            return Akm0Interval(mid - half, mid + half, "complement")
    # q == 0 (linear) or no real root: treated as unbounded, as the reference implementation
    return Akm0Interval(-np.inf, np.inf, "real_line")


@dataclass(frozen=True)
class ShiftShareResult(ResultMixin):
    r"""Shift-share OLS or IV coefficient with AKM, AKM0 and EHW inference.

    Attributes
    ----------
    params : pandas.Series
        The coefficient (one term: ``"exposure"`` for OLS, the endogenous regressor for IV).
    std_errors : pandas.Series
        Standard error under ``variance``; for ``"akm0"`` the normalised one, the length of the
        AKM0 interval over :math:`2 z_{0.975}` (infinite when the set is unbounded), as
        ShiftShareSE reports it.
    variance : {"akm", "akm0", "hetero"}
        The variance behind ``std_errors``, ``conf_int``, ``tstats``, ``pvalues``, ``tidy``.
    kind : {"ols", "iv"}
        Least squares on the exposure, or 2SLS with the exposure as instrument.
    se_akm, se_hetero : float
        AKM (no small-sample factor) and EHW standard errors (factor ``hetero_ssc``).
    hetero_ssc : float
        :math:`N/(N-p)` for OLS, 1 for IV.
    rx, s_cc, s_ca, s_aa : float
        Sums from which AKM and AKM0 follow (module docstring).
    n_regions, n_industries : int
        Regions in the regression; industries used by AKM (after collinear ones are dropped).
    n_clusters : int or None
        Industry clusters, if given.
    controls : tuple of str
        Names of the regional controls (``"const"`` for the constant).
    share_sum_spanned : bool
        Whether the controls span the sum of shares (AKM's requirement).
    exposure : pandas.Series
        The shift-share variable of each region.
    shocks_net : pandas.Series
        :math:`\hat{\mathcal X}_s`, the shocks net of the controls (AKM 2019, eq. (36)).
    regions_dropped, industries_dropped : pandas.DataFrame
        What was left out and why.
    industries_without_shares : tuple
        Industries with a shock but no share (not used).
    first_stage : ShiftShareResult or None
        For IV, the regression of the endogenous regressor on the exposure (same controls).
    """

    params: pd.Series
    std_errors: pd.Series
    variance: str
    kind: str
    se_akm: float
    se_hetero: float
    hetero_ssc: float
    rx: float
    s_cc: float
    s_ca: float
    s_aa: float
    n_regions: int
    n_industries: int
    n_clusters: int | None
    controls: tuple[str, ...]
    share_sum_spanned: bool
    exposure: pd.Series
    shocks_net: pd.Series
    regions_dropped: pd.DataFrame
    industries_dropped: pd.DataFrame
    industries_without_shares: tuple[Any, ...] = ()
    first_stage: ShiftShareResult | None = None

    @classmethod
    def build(cls, *, term: str, estimate: float, variance: str, **kw: Any) -> ShiftShareResult:
        """Assemble a result; ``std_errors`` follows from ``variance``."""
        params = pd.Series([estimate], index=[term], name="estimate")
        se_akm = float(np.sqrt(kw["s_cc"]) / abs(kw["rx"]))
        tmp = cls(params=params, std_errors=params * np.nan, variance=variance, se_akm=se_akm, **kw)
        return tmp.with_variance(variance)

    # -- inference --------------------------------------------------------------------------
    @property
    def estimate(self) -> float:
        """The coefficient as a float."""
        return float(self.params.iloc[0])

    def _se(self, variance: str) -> float:
        if variance == "akm":
            return self.se_akm
        if variance == "hetero":
            return self.se_hetero
        if variance == "akm0":
            ci = self.akm0_interval(0.95)
            z = float(stats.norm.ppf(0.975))
            return (ci.upper - ci.lower) / (2 * z) if ci.kind == "interval" else np.inf
        raise SpecError(f"variance must be one of {VARIANCES}, got {variance!r}.")

    def with_variance(self, variance: str) -> ShiftShareResult:
        """Return the same estimate with another variance (``"akm"``, ``"akm0"``, ``"hetero"``)."""
        se = self._se(variance)
        return replace(
            self,
            variance=variance,
            std_errors=pd.Series([se], index=self.params.index, name="std_error"),
        )

    def se_akm0(self, beta0: float = 0.0) -> float:
        """Null-imposed AKM0 standard error at ``beta0`` (the denominator of its test)."""
        d = self.estimate - beta0
        return float(
            np.sqrt(max(self.s_cc + 2 * d * self.s_ca + d * d * self.s_aa, 0.0)) / abs(self.rx)
        )

    def akm0_interval(self, level: float = 0.95) -> Akm0Interval:
        """AKM0 confidence set by test inversion (see :func:`akm0_interval`)."""
        return akm0_interval(self.estimate, self.rx, self.s_cc, self.s_ca, self.s_aa, level)

    def test(self, beta0: float = 0.0, variance: str | None = None) -> float:
        """Two-sided normal p-value of ``H0: beta = beta0`` (AKM0: null-imposed SE)."""
        v = variance or self.variance
        se = self.se_akm0(beta0) if v == "akm0" else self._se(v)
        return float(2 * stats.norm.sf(abs(self.estimate - beta0) / se))

    @property
    def tstats(self) -> pd.Series:
        """Wald statistics; for AKM0 with the null-imposed SE of ``beta = 0``."""
        if self.variance != "akm0":
            return super().tstats
        return pd.Series(
            [self.estimate / self.se_akm0(0.0)], index=self.params.index, name="statistic"
        )

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Intervals; AKM0's is the test-inversion set (its hull when it is unbounded)."""
        if self.variance != "akm0":
            return super().conf_int(level)
        ci = self.akm0_interval(level)
        lo, hi = (ci.lower, ci.upper) if ci.kind == "interval" else (-np.inf, np.inf)
        return pd.DataFrame({"lower": [lo], "upper": [hi]}, index=self.params.index)

    def inference_table(self, level: float = 0.95, beta0: float = 0.0) -> pd.DataFrame:
        """One row per variance: std_error, p_value of ``beta = beta0``, interval, its kind."""
        rows = []
        for v in VARIANCES:
            r = self.with_variance(v)
            ci = r.conf_int(level)
            kind = self.akm0_interval(level).kind if v == "akm0" else "interval"
            lo, hi = float(ci["lower"].iloc[0]), float(ci["upper"].iloc[0])
            if kind == "complement":
                lo, hi = self.akm0_interval(level)[:2]
            rows.append(
                {
                    "variance": v,
                    "estimate": self.estimate,
                    "std_error": float(r.std_errors.iloc[0]),
                    "p_value": self.test(beta0, v),
                    "conf_low": lo,
                    "conf_high": hi,
                    "ci_kind": kind,
                }
            )
        return pd.DataFrame(rows)

    # -- display ----------------------------------------------------------------------------
    def _model_columns(self) -> dict[str, Any]:
        return {
            "variance": self.variance,
            "n_regions": self.n_regions,
            "n_industries": self.n_industries,
        }

    def _summary_title(self) -> str:
        return f"Shift-share {'IV' if self.kind == 'iv' else 'OLS'} regression"

    def _summary_header(self) -> list[tuple[str, str]]:
        head = [
            ("Regions", f"{self.n_regions:,}"),
            ("Industries (AKM)", f"{self.n_industries:,}"),
            ("Controls", ", ".join(self.controls) or "none"),
            ("Variance", self.variance),
        ]
        if self.n_clusters is not None:
            head.append(("Industry clusters", f"{self.n_clusters:,}"))
        return head

    def _summary_footer(self) -> list[str]:
        ci = self.akm0_interval(0.95)
        lines = [
            f"SE: AKM {self.se_akm:.4g}; EHW {self.se_hetero:.4g} (factor {self.hetero_ssc:.4g}); "
            f"AKM0 95% set {ci.kind} [{ci.lower:.4g}, {ci.upper:.4g}]",
            "AKM, AKM0: Adao, Kolesar & Morales (2019), no small-sample factor; normal reference.",
        ]
        if not self.share_sum_spanned:
            lines.append("Warning: the controls do not span the sum of shares (AKM Assumption 2).")
        if len(self.industries_dropped):
            lines.append(
                f"Industries left out: {len(self.industries_dropped)} (industries_dropped)."
            )
        return lines
