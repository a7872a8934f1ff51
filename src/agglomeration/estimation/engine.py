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

__all__ = [
    "COLLIN_TOL",
    "FIXEF_MAXITER",
    "FIXEF_TOL",
    "FittedModel",
    "collinear_columns",
    "demean",
    "fit",
    "fixed_effect_order",
    "small_sample_factor",
    "wrap",
]

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


# -- building blocks for fits that share work (agglomeration.robustness) -----------------------
# The engine's defaults, which :func:`fit` uses: alternating projections to this tolerance, and
# this threshold for collinear regressors. Fits that share demeaned data across specifications
# use the same ones, so that their coefficients equal :func:`fit`'s.
FIXEF_TOL = 1e-06
FIXEF_MAXITER = 10_000
COLLIN_TOL = 1e-09
SmallSampleKind = Literal["iid", "hetero", "cluster", "hac"]


def demean(
    x: np.ndarray,
    codes: np.ndarray,
    weights: np.ndarray | None = None,
    *,
    tol: float = FIXEF_TOL,
    maxiter: int = FIXEF_MAXITER,
) -> np.ndarray:
    """Project fixed effects out of each column of ``x`` with the engine's demeaning routine.

    The engine's alternating projections (Gaure 2013) converge column by column, so demeaning
    a set of columns together gives each column exactly what demeaning it alone gives; this is
    what lets several specifications on the same rows and fixed effects share one demeaning
    (Frisch-Waugh-Lovell).

    Parameters
    ----------
    x : numpy.ndarray, shape (n, p)
        Columns to demean (float64).
    codes : numpy.ndarray, shape (n, n_fe)
        Integer codes ``0..levels-1`` of each fixed effect.
    weights : numpy.ndarray, optional
        Observation weights (weighted means); None for ones.
    tol, maxiter : float, int
        Convergence tolerance and iteration cap (the engine's defaults).

    Returns
    -------
    numpy.ndarray, shape (n, p)

    Raises
    ------
    EstimationError
        If the projections do not converge within ``maxiter`` iterations.
    """
    from pyfixest.core.demean import demean as _demean

    x2 = np.ascontiguousarray(np.atleast_2d(x.T).T, dtype=np.float64)
    w = np.ones(x2.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)
    out, ok = _demean(x2, np.ascontiguousarray(codes, dtype=np.uint64), w, tol, maxiter)
    if not ok:
        raise EstimationError(
            f"demeaning did not converge in {maxiter} iterations (tolerance {tol}); the fixed "
            "effects are poorly connected: drop one, or coarsen it."
        )
    return np.asarray(out)


def collinear_columns(txx: np.ndarray, tol: float = COLLIN_TOL) -> np.ndarray:
    """Return the indices of the columns the engine drops as collinear, from the cross-products ``X'X``.

    ``X`` are the regressors after the fixed effects are projected out (unweighted), as the
    engine checks them. Raises :class:`EstimationError` when every column is collinear.
    """
    from pyfixest.core.collinear import find_collinear_variables

    idx, n_excl, all_removed = find_collinear_variables(
        np.ascontiguousarray(txx, dtype=np.float64), tol
    )
    if all_removed:
        raise EstimationError("all regressors are collinear (with the fixed effects or each other).")
    mask = np.asarray(idx, dtype=bool).ravel()
    return np.flatnonzero(mask) if n_excl else np.array([], dtype=np.int64)


def small_sample_factor(
    kind: SmallSampleKind,
    *,
    n_obs: int,
    k: int,
    k_fe: int = 0,
    n_fe: int = 0,
    k_fe_nested: int = 0,
    n_fe_nested: int = 0,
    n_clusters: int | None = None,
) -> tuple[float, int, float]:
    """Return the engine's small-sample factor, the ``k`` it uses and the t degrees of freedom.

    Parameters
    ----------
    kind : {"iid", "hetero", "cluster", "hac"}
        Variance type (``hac``: Driscoll-Kraay, with ``n_clusters`` the number of periods).
    n_obs, k : int
        Observations and regressors.
    k_fe, n_fe : int
        Fixed-effect levels (summed over the fixed effects) and number of fixed effects.
    k_fe_nested, n_fe_nested : int
        For ``cluster``: levels of the fixed effects nested in a cluster, and their number.
    n_clusters : int, optional
        Clusters (two-way: the smaller count) or periods.

    Returns
    -------
    (factor, df_k, df_t)
        With the engine's defaults (``k_adj``, ``k_fixef="nonnested"``, ``G_adj``,
        ``G_df="min"``): ``iid`` ``(N-1)/(N-df_k)`` (times ``e'e/(N-1)``), ``hetero``
        ``N/(N-df_k)``, ``cluster`` and ``hac`` ``G/(G-1) (N-1)/(N-df_k)``; see
        :mod:`agglomeration.estimation.variance`.
    """
    import pyfixest as pf
    from pyfixest.utils.utils import get_ssc

    vtype = {"iid": "iid", "hetero": "hetero", "cluster": "CRV", "hac": "HAC"}[kind]
    g = n_obs if kind == "hetero" else (1 if n_clusters is None else int(n_clusters))
    factor, df_k, df_t = get_ssc(
        ssc_dict=pf.ssc(),
        N=int(n_obs),
        k=int(k),
        k_fe=int(k_fe),
        n_fe=int(n_fe),
        k_fe_nested=int(k_fe_nested),
        n_fe_fully_nested=int(n_fe_nested),
        G=g,
        vcov_sign=1,
        vcov_type=vtype,
    )
    return float(np.asarray(factor).ravel()[0]), int(df_k), float(df_t)


def fixed_effect_order(fixed_effects: tuple[str, ...]) -> tuple[str, ...]:
    """Return the order in which the engine projects the fixed effects out.

    The engine keeps the fixed effects of a formula in a Python ``set``, so the order of the
    alternating projections follows string hashing (``PYTHONHASHSEED``). With two or more fixed
    effects the projections stop at a tolerance, so the order moves results at about that
    tolerance; a fit that shares work with :func:`fit` in the same process projects in this
    order to reproduce it exactly (the order is computed once, in the process that plans the
    fits, and passed to workers so that every worker uses the same one).
    """
    import re

    return tuple(set(re.split(r"\s*\+\s*", " + ".join(fixed_effects)))) if fixed_effects else ()
