r"""OLS with fixed effects for many specs on one sample, from one demeaning (Frisch-Waugh-Lovell).

Specs estimated on the same rows with the same fixed effects and weights differ only in which
columns enter as outcome and regressors. By the Frisch-Waugh-Lovell theorem the coefficients of
``y = X b + FE + e`` are those of the regression of the demeaned ``ỹ`` on the demeaned ``X̃``, and
demeaning is column by column. So a group of specs is fitted by demeaning the union of their
columns once (the engine's routine, :func:`agglomeration.estimation.engine.demean`), forming
the cross-products :math:`M = \tilde Z'\tilde Z` of all of them once, and then, per spec,

.. math::

    \hat b = M_{xx}^{-1} M_{xy}, \qquad \hat e = \tilde y - \tilde X \hat b,
    \qquad s_i = \tilde x_i \hat e_i, \qquad B = M_{xx}^{-1},

with weights entering as :math:`\tilde z_i \sqrt{w_i}`. The variances are the sandwiches the
engine computes from the same scores and bread, with the engine's small-sample factors
(:func:`agglomeration.estimation.engine.small_sample_factor`), and Conley's from
:func:`agglomeration.inference.conley_vcov`; see :mod:`agglomeration.estimation.variance`.
Coefficients and standard errors equal :func:`agglomeration.estimation.estimate` on the same
spec to 1e-8 (``tests/test_robustness_fwl.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.linalg

from agglomeration.errors import AgglomerationError, EstimationError
from agglomeration.estimation import engine
from agglomeration.estimation.spec import Spec
from agglomeration.estimation.variance import IID, Cluster, Covariance, Hetero
from agglomeration.estimation.variance_geo import Conley
from agglomeration.inference import conley_vcov, spatial_neighbors
from agglomeration.robustness.rows import registry_rows
from agglomeration.robustness.samples import PlannedSample
from agglomeration.robustness.shared import GridData, SpecOutcome

__all__ = ["fast_path_supports", "fit_group"]

_INTERCEPT = "Intercept"


def fast_path_supports(spec: Spec) -> bool:
    """Whether :func:`fit_group` estimates the spec (OLS, numeric regressors, iid/hetero/cluster/Conley)."""
    return (
        spec.estimator == "ols"
        and not spec.categorical
        and isinstance(spec.variance, IID | Hetero | Cluster | Conley)
    )


def _dense(codes: np.ndarray) -> tuple[np.ndarray, int]:
    u, inv = np.unique(codes, return_inverse=True)
    return inv.astype(np.int64), int(u.size)


def _cluster_sums(scores: np.ndarray, codes: np.ndarray, g: int) -> np.ndarray:
    out = np.empty((g, scores.shape[1]))
    for j in range(scores.shape[1]):
        out[:, j] = np.bincount(codes, weights=scores[:, j], minlength=g)
    return out


def _nested(fe_codes: np.ndarray, n_levels: int, cl_codes: np.ndarray, n_cl: int) -> bool:
    """Whether every level of a fixed effect lies within one cluster."""
    pairs = np.unique(fe_codes * n_cl + cl_codes)
    return bool(pairs.size == n_levels)


class _Group:
    """The demeaned columns and fixed-effect sizes of one (rows, fixed effects, weights) group."""

    def __init__(
        self,
        gd: GridData,
        rows: np.ndarray,
        fes: Sequence[str],
        weights: str | None,
        cols: list[str],
    ) -> None:
        self.gd, self.rows, self.fes = gd, rows, tuple(fes)
        self.n = rows.size
        self.fe_codes: list[np.ndarray] = []
        self.k_fe: list[int] = []
        for fe in self.fes:
            c, k = _dense(gd.codes(fe)[rows])
            self.fe_codes.append(c)
            self.k_fe.append(k)
        self.w = gd.array(weights)[rows] if weights else None
        self.cols = list(cols) if self.fes else [_INTERCEPT, *cols]
        raw = [gd.array(c)[rows] for c in cols]
        x = np.column_stack(raw) if raw else np.empty((self.n, 0))
        if self.fes:
            xd = engine.demean(x, np.column_stack(self.fe_codes), self.w)
        else:
            xd = np.column_stack([np.ones(self.n), x])
        self.unweighted_xd = xd
        z = xd * np.sqrt(self.w)[:, None] if self.w is not None else xd
        self.z = np.asfortranarray(z)  # column gathers are contiguous copies
        self.m = self.z.T @ self.z
        self.m_unweighted = xd.T @ xd if self.w is not None else self.m
        self.pos = {c: i for i, c in enumerate(self.cols)}
        self._neighbors: dict[Any, Any] = {}
        self._clusters: dict[str, tuple[np.ndarray, int]] = {}
        self._nested: dict[tuple[int, str], bool] = {}
        self._moments: dict[str, tuple[float, float]] = {}
        self.fits: dict[tuple[str, tuple[str, ...]], _Fit] = {}

    def outcome_moments(self, outcome: str) -> tuple[float, float]:
        """Mean of the raw outcome and its weighted sum of squares about the weighted mean."""
        hit = self._moments.get(outcome)
        if hit is None:
            y = self.gd.array(outcome)[self.rows]
            w = self.w if self.w is not None else np.ones(self.n)
            hit = (float(np.mean(y)), float(np.sum(w * (y - np.average(y, weights=w)) ** 2)))
            self._moments[outcome] = hit
        return hit

    def fe_nested_in(self, j: int, key: str, codes: np.ndarray, n_cl: int) -> bool:
        """Whether fixed effect ``j`` is nested in the cluster ``key`` (cached)."""
        hit = self._nested.get((j, key))
        if hit is None:
            hit = _nested(self.fe_codes[j], self.k_fe[j], codes, n_cl)
            self._nested[(j, key)] = hit
        return hit

    def clusters(self, col: str) -> tuple[np.ndarray, int]:
        """Dense cluster codes of a column on the group's rows, and their number (cached)."""
        c = self._clusters.get(col)
        if c is None:
            c = _dense(self.gd.codes(col)[self.rows])
            self._clusters[col] = c
        return c

    @property
    def n_fe(self) -> int:
        return len(self.fes)

    @property
    def k_fe_total(self) -> int:
        return int(sum(self.k_fe))

    def neighbors(self, v: Conley) -> Any:
        """Neighbour pairs at the variance's own cutoff, as :func:`estimate` finds them.

        Pairs at the cutoff's edge could fall on either side of it in a search at a larger
        cutoff (chord versus great-circle rounding), so each cutoff gets its own search.
        """
        key = (v.lat, v.lon, v.cutoff_km)
        nb = self._neighbors.get(key)
        if nb is None:
            assert v.cutoff_km is not None
            nb = spatial_neighbors(
                self.gd.array(v.lat)[self.rows], self.gd.array(v.lon)[self.rows], v.cutoff_km
            )
            self._neighbors[key] = nb
        return nb


def _cluster_cov(
    grp: _Group, v: Cluster, scores: np.ndarray, bread: np.ndarray, k: int
) -> Covariance:
    cl = [grp.clusters(c) for c in v.cluster]
    if len(cl) == 2:
        key = "^".join(v.cluster)
        inter = grp._clusters.get(key)
        if inter is None:
            (c1, _), (c2, g2) = cl
            inter = _dense(c1 * g2 + c2)
            grp._clusters[key] = inter
        cl.append(inter)
    g_min = min(g for _, g in cl)
    nested_levels, n_nested = 0, 0
    names = [c for c in v.cluster] + (["cluster_intersection"] if len(cl) == 3 else [])
    keys = [*v.cluster, "^".join(v.cluster)][: len(cl)]
    for j, (fe, k_fe) in enumerate(zip(grp.fes, grp.k_fe, strict=True)):
        by_name = fe.replace("^", "_") in names
        if by_name or any(
            grp.fe_nested_in(j, key, c, g) for key, (c, g) in zip(keys, cl, strict=True)
        ):
            nested_levels += k_fe
            n_nested += 1
    factor, _, df_t = engine.small_sample_factor(
        "cluster",
        n_obs=grp.n,
        k=k,
        k_fe=grp.k_fe_total,
        n_fe=grp.n_fe,
        k_fe_nested=nested_levels if n_nested else 0,
        n_fe_nested=n_nested,
        n_clusters=g_min,
    )
    vcov = np.zeros((k, k))
    for sign, (c, g) in zip((1.0, 1.0, -1.0), cl, strict=False):
        s = _cluster_sums(scores, c, g)
        vcov += sign * factor * (bread @ (s.T @ s) @ bread)
    return Covariance(vcov, g_min, df_t)


def _covariance(
    grp: _Group,
    spec: Spec,
    scores: np.ndarray,
    bread: np.ndarray,
    ssu: float,
    k: int,
) -> Covariance:
    v = spec.variance
    if isinstance(v, Cluster):
        return _cluster_cov(grp, v, scores, bread, k)
    kind: engine.SmallSampleKind = "iid" if isinstance(v, IID) else "hetero"
    factor, _, df_t = engine.small_sample_factor(
        kind, n_obs=grp.n, k=k, k_fe=grp.k_fe_total, n_fe=grp.n_fe
    )
    if isinstance(v, IID):
        return Covariance(factor * bread * (ssu / (grp.n - 1)), None, df_t)
    if isinstance(v, Hetero):
        meat = np.einsum("ij,ik->jk", scores, scores)
        return Covariance(factor * (bread @ meat @ bread), None, df_t)
    assert isinstance(v, Conley) and v.cutoff_km is not None
    gd, rows = grp.gd, grp.rows
    nb = grp.neighbors(v)
    vc = conley_vcov(
        scores,
        bread,
        gd.array(v.lat)[rows],
        gd.array(v.lon)[rows],
        v.cutoff_km,
        time=gd.raw(v.time)[rows] if v.time else None,
        unit=gd.codes(v.unit)[rows] if v.unit else None,
        kernel=v.kernel,
        serial_lags=v.lags or 0,
        ssc=factor,
        neighbors=nb,
    )
    return Covariance(vc, None, None)


def _boot_contributions(
    grp: _Group, keep: list[int], iy: int, focal: int, bread: np.ndarray, cluster: str
) -> np.ndarray:
    """Per-cluster contributions ``a_g`` of the null-imposed wild bootstrap of the focal term.

    Restricted residuals ``e_r`` come from the regression without the focal regressor; a draw
    with cluster weights ``v`` moves the focal coefficient by ``sum_g v_g a_g`` with
    ``a_g = [B sum_{i in g} x̃_i e_r,i]_focal`` (see :mod:`agglomeration.robustness.curve`).
    """
    others = [j for j in keep if j != focal]
    z = grp.z
    if others:
        gam = scipy.linalg.solve(grp.m[np.ix_(others, others)], grp.m[others, iy], assume_a="pos")
        e_r = z[:, iy] - z[:, others] @ gam
    else:
        e_r = z[:, iy].copy()
    codes = grp.gd.codes(cluster)[grp.rows]
    n_all = int(grp.gd.codes(cluster).max()) + 1
    s = _cluster_sums(z[:, keep] * e_r[:, None], codes, n_all)
    row = bread[keep.index(focal)]
    return np.asarray(s @ row)


def fit_group(
    gd: GridData,
    planned: PlannedSample,
    fixed_effects: Sequence[str],
    weights: str | None,
    specs: Sequence[Spec],
    *,
    ids: Sequence[str] | None = None,
    focal: dict[str, str] | None = None,
    boot_cluster: str | None = None,
) -> list[SpecOutcome]:
    """Estimate OLS specs that share rows, fixed effects and weights, from one demeaning.

    Parameters
    ----------
    gd : GridData
        The panel's columns.
    planned : PlannedSample
        The common rows (and the dropped-row report) of every spec in ``specs``.
    fixed_effects, weights
        Common to every spec.
    specs : sequence of Spec
        Specs for which :func:`fast_path_supports` holds.
    ids : sequence of str, optional
        Their :attr:`~agglomeration.estimation.Spec.id` (computed here when not given).
    focal : dict, optional
        Spec id -> focal term, for the null-bootstrap contributions.
    boot_cluster : str, optional
        Cluster column of the null bootstrap (None: not computed).

    Returns
    -------
    list of SpecOutcome
        One per spec, in order: the registry rows of :class:`~agglomeration.estimation.EstimationResult`, or the reason
        the spec failed (collinear regressors, for example).
    """
    cols = list(dict.fromkeys(c for s in specs for c in (s.outcome, *s.regressors)))
    grp = _Group(gd, planned.rows, fixed_effects, weights, cols)
    out: list[SpecOutcome] = []
    for spec, sid in zip(specs, ids or [s.id for s in specs], strict=True):
        try:
            out.append(_fit_one(grp, spec, sid, focal, boot_cluster))
        except AgglomerationError as e:
            out.append(SpecOutcome(sid, "failed", f"{type(e).__name__}: {e}"))
    return out


@dataclass
class _Fit:
    """One regression of a group (outcome and kept regressors), shared by its variances."""

    keep_names: list[str]
    collinear: tuple[str, ...]
    keep: list[int]
    beta: np.ndarray
    bread: np.ndarray
    scores: np.ndarray
    ssu: float
    stats: dict[str, float]
    boot: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)


def _regress(grp: _Group, spec: Spec) -> _Fit:
    names = list(spec.regressors) if grp.fes else [_INTERCEPT, *spec.regressors]
    key = (spec.outcome, tuple(names))
    hit = grp.fits.get(key)
    if hit is not None:
        return hit
    ix = [grp.pos[c] for c in names]
    iy = grp.pos[spec.outcome]
    try:
        drop = set(engine.collinear_columns(grp.m_unweighted[np.ix_(ix, ix)]).tolist())
    except EstimationError:
        fe = " + ".join(spec.fixed_effects) or "none"
        raise EstimationError(
            f"spec {spec.name or spec.id}: every regressor ({', '.join(spec.terms)}) is "
            f"collinear with the fixed effects ({fe}) or with the others, e.g. it does not "
            "vary within the fixed-effect groups. Remove the absorbed regressor(s) from "
            "regressors, or drop the fixed effect that absorbs them."
        ) from None
    keep_names = [n for j, n in enumerate(names) if j not in drop]
    collinear = tuple(n for j, n in enumerate(names) if j in drop)
    keep = [grp.pos[c] for c in keep_names]
    m = grp.m
    txx = m[np.ix_(keep, keep)]
    beta = scipy.linalg.solve(txx, m[keep, iy], assume_a="pos").ravel()
    xk = grp.z[:, keep]
    # numpy's own loops, not BLAS level-1/2 calls: on a machine whose cores are busy, a
    # multithreaded ddot on one long vector can cost 100 times its work
    e = grp.z[:, iy] - np.einsum("ij,j->i", xk, beta)
    ssu = float(np.sum(e * e))
    y_mean, ssy = grp.outcome_moments(spec.outcome)
    stats = {"outcome_mean": y_mean, "r2": 1.0 - ssu / ssy}
    stats["r2_within"] = 1.0 - ssu / float(m[iy, iy]) if grp.fes else float("nan")
    fit = _Fit(keep_names, collinear, keep, beta, np.linalg.inv(txx), xk * e[:, None], ssu, stats)
    grp.fits[key] = fit
    return fit


def _fit_one(
    grp: _Group,
    spec: Spec,
    sid: str,
    focal: dict[str, str] | None,
    boot_cluster: str | None,
) -> SpecOutcome:
    fit = _regress(grp, spec)
    k = len(fit.keep)
    cov = _covariance(grp, spec, fit.scores, fit.bread, fit.ssu, k)
    table = registry_rows(
        spec,
        fit.keep_names,
        fit.beta,
        cov.vcov,
        df=cov.df,
        n_obs=grp.n,
        n_clusters=cov.n_clusters,
        stats=fit.stats,
        spec_id=sid,
    )
    boot = None
    term = (focal or {}).get(sid)
    if boot_cluster is not None and term is not None and term in fit.keep_names:
        bkey = (term, boot_cluster)
        boot = fit.boot.get(bkey)
        if boot is None:
            iy = grp.pos[spec.outcome]
            boot = _boot_contributions(grp, fit.keep, iy, grp.pos[term], fit.bread, boot_cluster)
            fit.boot[bkey] = boot
    return SpecOutcome(sid, "ok", "", table, boot, fit.collinear)
