"""The engine adapter: the only module that calls pyfixest or reads its internals.

:func:`fit` runs a :class:`~agglomeration.estimation.spec.Spec` with pyfixest (``feols`` for
OLS and IV, ``fepois`` for Poisson) on a prepared sample and returns a :class:`FittedModel`,
which exposes what the rest of the package needs through a small, documented interface:
coefficients, sample size, degrees of freedom, the engine's own variances
(:meth:`FittedModel.engine_vcov`), and the scores and bread that other variances (Conley,
dyadic) are built from. Upgrading pyfixest, or swapping the engine, touches this module only.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from agglomeration.errors import EstimationError

__all__ = ["FittedModel", "fit", "wrap"]

EngineVcov = Literal["iid", "hetero", "cluster", "driscoll_kraay"]


@dataclass(frozen=True)
class FittedModel:
    """A fitted model as the rest of the package sees it.

    Attributes
    ----------
    estimator : {"ols", "poisson", "iv"}
        The estimator.
    coef : pandas.Series
        Coefficients in engine order, indexed by term.
    n_obs : int
        Rows used in the fit.
    collinear : tuple of str
        Regressors the engine dropped as collinear.
    stats : dict
        Model statistics: ``r2``, ``r2_within`` (OLS/IV), ``pseudo_r2`` (Poisson),
        ``outcome_mean``.
    """

    estimator: str
    coef: pd.Series
    n_obs: int
    collinear: tuple[str, ...]
    stats: dict[str, float]
    _fit: Any = field(repr=False, compare=False)

    # -- sizes and degrees of freedom -----------------------------------------------------------
    @property
    def names(self) -> list[str]:
        """Coefficient names in engine order."""
        return [str(n) for n in self.coef.index]

    @property
    def is_iv(self) -> bool:
        """Whether the model is instrumental-variables."""
        return bool(getattr(self._fit, "_is_iv", False))

    @property
    def hetero_ssc(self) -> float:
        """``N / (N - k)``: the factor the engine applies to its heteroskedasticity-robust variance.

        ``k`` counts the regressors and every fixed-effect level (the engine's ``"nonnested"``
        rule with nothing nested), so that a Conley variance with a cutoff below the smallest
        distance reproduces the engine's ``hetero`` variance exactly.
        """
        from pyfixest.utils.utils import get_ssc

        f = self._fit
        ssc, _, _ = get_ssc(
            ssc_dict=f._ssc_dict,
            N=f._N,
            k=f._k,
            k_fe=int(np.sum(f._k_fe)) if f._has_fixef else 0,
            n_fe=f._n_fe,
            k_fe_nested=0,
            n_fe_fully_nested=0,
            G=f._N,
            vcov_sign=1,
            vcov_type="hetero",
        )
        return float(np.asarray(ssc).ravel()[0])

    # -- score-based variances ------------------------------------------------------------------
    def scores(self) -> np.ndarray:
        """Score contributions, ``N x k``, after the fixed effects are projected out.

        OLS: demeaned regressors times residuals (with weights, ``w_i x_i e_i``); Poisson: the
        regressors demeaned with the converged IRLS weights times ``y - mu``; IV: the
        instruments' scores (map them with :meth:`meat_map`).
        """
        return np.asarray(self._fit._scores, dtype=np.float64)

    def bread(self) -> np.ndarray:
        """Return the bread ``B`` of the sandwich ``B M B`` (``(X'X)^-1``, the inverse Hessian, ...)."""
        return np.asarray(self._fit._bread, dtype=np.float64)

    def meat_map(self) -> np.ndarray | None:
        """For IV, ``A = X'Z (Z'Z)^-1`` so that the meat of the coefficients is ``A M A'``."""
        if not self.is_iv:
            return None
        return np.asarray(self._fit._tXZ @ self._fit._tZZinv, dtype=np.float64)

    def iv_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str], list[str]]:
        """For IV, ``(y, X, Z, x_names, z_names)`` after the fixed effects are projected out.

        ``X`` holds the included exogenous and the endogenous regressors, ``Z`` the included
        exogenous regressors and the excluded instruments (with weights, multiplied by the
        square root of the weights), so that 2SLS is ``(X'P_Z X)^-1 X'P_Z y``.
        """
        if not self.is_iv:
            raise EstimationError("iv_arrays is only defined for IV models.")
        f = self._fit
        return (
            np.asarray(f._Y, dtype=np.float64).ravel(),
            np.asarray(f._X, dtype=np.float64),
            np.asarray(f._Z, dtype=np.float64),
            [str(n) for n in f._coefnames],
            [str(n) for n in f._coefnames_z],
        )

    # -- the engine's own variances -------------------------------------------------------------
    def engine_vcov(
        self,
        kind: EngineVcov,
        *,
        cluster: tuple[str, ...] = (),
        time: np.ndarray | None = None,
        unit: np.ndarray | None = None,
        lags: int | None = None,
    ) -> tuple[np.ndarray, int | None, float | None]:
        """Return the engine's variance of the given kind: ``(vcov, n_clusters, df)``.

        ``df`` is the t degrees of freedom the engine uses with it (None for Poisson, which is
        referred to the normal). For ``driscoll_kraay``, ``time`` and ``unit`` are integer codes
        of the sample rows (periods in sorted order).
        """
        f = self._fit
        n_clusters: int | None = None
        if kind in ("iid", "hetero"):
            f.vcov(kind)
        elif kind == "cluster":
            f.vcov({"CRV1": "+".join(cluster)})
            n_clusters = int(np.min(f._G))
        elif kind == "driscoll_kraay":
            if time is None or unit is None or lags is None:
                raise EstimationError("driscoll_kraay needs integer time and unit codes and lags.")
            f._data = f._data.assign(__time__=time, __unit__=unit)
            f.vcov("DK", vcov_kwargs={"time_id": "__time__", "panel_id": "__unit__", "lag": lags})
        else:
            raise EstimationError(f"unknown engine variance {kind!r}.")
        df = None if self.estimator == "poisson" else float(f._df_t)
        return np.asarray(f._vcov, dtype=np.float64).copy(), n_clusters, df


def _stats(f: Any, estimator: str) -> dict[str, float]:
    y = np.asarray(f._Y_untransformed if hasattr(f, "_Y_untransformed") else f._Y).ravel()
    out = {"outcome_mean": float(np.mean(y)) if y.size else np.nan}
    if estimator == "poisson":
        out["pseudo_r2"] = float(getattr(f, "_pseudo_r2", np.nan))
    else:
        out["r2"] = float(getattr(f, "_r2", np.nan))
        out["r2_within"] = float(getattr(f, "_r2_within", np.nan))
    return out


def wrap(engine_fit: Any, estimator: str | None = None) -> FittedModel:
    """Wrap a fitted pyfixest model (``Feols``, ``Fepois``, ``Feiv``) as a :class:`FittedModel`."""
    if estimator is None:
        name = type(engine_fit).__name__.lower()
        estimator = "poisson" if "pois" in name else "iv" if "iv" in name else "ols"
    coef = engine_fit.coef()
    return FittedModel(
        estimator=estimator,
        coef=pd.Series(coef.to_numpy(dtype=float), index=[str(i) for i in coef.index]),
        n_obs=int(engine_fit._N),
        collinear=tuple(getattr(engine_fit, "_collin_vars", []) or []),
        stats=_stats(engine_fit, estimator),
        _fit=engine_fit,
    )


def fit(
    formula: str,
    data: pd.DataFrame,
    *,
    estimator: str,
    weights: str | None = None,
) -> FittedModel:
    """Fit a formula with pyfixest on a prepared sample (no rows may be dropped by the engine).

    Parameters
    ----------
    formula : str
        ``y ~ x | fe | endog ~ instr`` (:meth:`Spec.formula`).
    data : pandas.DataFrame
        The estimation sample, already free of missing values and singletons.
    estimator : {"ols", "poisson", "iv"}
        Which estimator.
    weights : str, optional
        Weights column.

    Raises
    ------
    EstimationError
        If the engine drops rows beyond those already removed (e.g. Poisson separation by a
        regressor), or fails on the data; the message names the spec's formula.
    """
    import pyfixest as pf

    kw: dict[str, Any] = {"vcov": "hetero", "fixef_rm": "singleton"}
    if weights is not None:
        kw["weights"] = weights
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*multicollinearity.*")
        warnings.filterwarnings("ignore", category=UserWarning, module="pyfixest.*")
        try:
            engine_fit = (
                pf.fepois(formula, data, **kw)
                if estimator == "poisson"
                else pf.feols(formula, data, **kw)
            )
        except Exception as e:  # the engine raises several types for degenerate data
            raise EstimationError(
                f"the engine (pyfixest) could not estimate {formula!r}: "
                f"{' '.join(str(e).split())}"
            ) from e
    if len(data) != engine_fit._N:
        raise EstimationError(
            f"pyfixest dropped {len(data) - engine_fit._N} rows beyond those reported (e.g. "
            f"Poisson separation by a regressor); inspect the data for {formula!r}."
        )
    return wrap(engine_fit, estimator)
