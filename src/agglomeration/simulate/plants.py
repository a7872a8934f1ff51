"""A Cobb-Douglas plant panel with known technology (Ackerberg, Caves & Frazer 2015 design).

References
----------
Ackerberg, D., Caves, K. and Frazer, G. (2015). Identification properties of recent production
function estimators. Econometrica 83(6), 2411-2451.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from agglomeration.errors import InputError
from agglomeration.simulate._validate import _finite, _in_open_unit, _nonneg, _pos_int, _rng


@dataclass(frozen=True)
class PlantTruth:
    """True parameters of a :func:`plant_panel` draw.

    ``y = beta_0 + beta_l * l + beta_k * k + omega + eps`` with ``eps ~ N(0, sigma_eps**2)``;
    ``omega_t = rho * omega_{t-1} + xi_t`` with ``xi ~ N(0, sigma_xi**2)``.
    """

    beta_0: float
    beta_l: float
    beta_k: float
    rho: float
    sigma_xi: float
    sigma_eps: float
    labour_timing: float
    sigma_wage: float
    rho_wage: float
    sigma_l_opt: float
    delta: float
    k_target: float
    investment_omega: float
    investment_k: float
    m_intercept: float
    m_omega: float
    m_omega_sq: float
    exit: bool
    exit_omega: float
    exit_k: float
    n_plants: int
    n_years: int
    burn_in: int
    delta_spread: float = 0.0


@dataclass(frozen=True)
class SimulatedPlants:
    """Output of :func:`plant_panel`.

    Attributes
    ----------
    panel : pandas.DataFrame
        Plant x year, sorted by plant then year, columns ``plant``, ``year``, ``y``, ``l``,
        ``k``, ``m``, ``i``, ``omega``, ``exit`` (True in a plant's last year when it exits
        after producing in it).
    truth : PlantTruth
    """

    panel: pd.DataFrame
    truth: PlantTruth


def plant_panel(
    n_plants: int,
    n_years: int = 10,
    seed: int | np.random.Generator = 0,
    *,
    first_year: int = 1,
    beta_0: float = 0.5,
    beta_l: float = 0.6,
    beta_k: float = 0.3,
    rho: float = 0.7,
    sigma_xi: float = 0.2,
    sigma_eps: float = 0.1,
    labour_timing: float = 0.5,
    rho_wage: float = 0.7,
    sigma_wage: float = 0.1,
    sigma_l_opt: float = 0.05,
    delta: float = 0.1,
    k_target: float = 4.0,
    investment_omega: float = 1.0,
    investment_k: float = 0.8,
    m_intercept: float | None = None,
    m_omega: float = 1.0,
    m_omega_sq: float = 0.0,
    exit: bool = False,
    exit_omega: float | None = None,
    exit_k: float = 0.1,
    burn_in: int = 20,
    delta_spread: float = 0.0,
) -> SimulatedPlants:
    """Simulate a plant panel from a Cobb-Douglas value-added technology (ACF 2015 design).

    The design follows the Monte Carlo of Ackerberg, Caves & Frazer (2015, sec. 4.1, DGP1 with
    optional optimisation error as in DGP3):

    - output: ``y_t = beta_0 + beta_l l_t + beta_k k_t + omega_t + eps_t`` (ACF eq. 1);
    - productivity: ``omega_t = rho omega_{t-1} + xi_t`` (first-order Markov, ACF eq. 2),
      evolving through ``t - b`` with ``b = labour_timing``: ``omega_{t-b} = rho**(1-b)
      omega_{t-1} + eta_1``, ``omega_t = rho**b omega_{t-b} + eta_2``, variances chosen so that
      ``Var(xi) = sigma_xi**2`` and the process is stationary;
    - labour, chosen at ``t - b`` from the static first-order condition given ``omega_{t-b}``,
      ``k_t`` and the plant's log wage ``w_t`` (AR(1), ``rho_wage``, ``sigma_wage``), plus an
      i.i.d. optimisation error ``iota ~ N(0, sigma_l_opt**2)``:
      ``l_t = (log beta_l + beta_0 + beta_k k_t + omega_{t-b} - w_t) / (1 - beta_l) + iota_t``;
      so ``l_t`` is correlated with ``xi_t`` when ``b > 0`` (through ``omega_{t-b}``) but
      ``l_{t-1}`` is not, which is what the ACF moment ``E[xi_t l_{t-1}] = 0`` needs;
    - capital: ``k_{t+1} = log((1 - delta) exp(k_t) + exp(i_t))`` with investment
      ``i_t = log(delta) + k_target + investment_k (k_t - k_target) + investment_omega omega_t``,
      strictly increasing in ``omega`` given ``k`` (Olley & Pakes 1996 invertibility); with
      ``delta_spread > 0`` each plant has its own depreciation rate ``delta_i ~ U(delta -
      delta_spread, delta + delta_spread)`` (fixed over time, unobserved; ACF 2015, sec. 4.1,
      use plant-specific rates), used in both the investment rule and the accumulation;
    - intermediate input (materials, Leontief in value added when ``m_omega=1, m_omega_sq=0``):
      ``m_t = m_intercept + beta_l l_t + beta_k k_t + m_omega omega_t + m_omega_sq omega_t**2``,
      strictly increasing in ``omega`` given ``(k, l)`` (Levinsohn & Petrin 2003 invertibility);
    - exit (``exit=True``): after producing in year ``t`` a plant exits when
      ``omega_t < exit_omega - exit_k (k_t - k_target)`` (Olley & Pakes 1996 threshold rule);
      its later years are not in the panel.

    The process is run ``burn_in`` years before the first recorded year from ``omega`` drawn
    from its stationary distribution and ``k = k_target + N(0, 1)``; exit applies only to
    recorded years.

    Parameters
    ----------
    n_plants, n_years : int
        Positive sizes (``n_plants * n_years`` rows before exit).
    seed : int or numpy.random.Generator
        Seed or generator.
    first_year : int
        Label of the first recorded year.
    beta_0, beta_l, beta_k : float
        Technology; ``0 < beta_l < 1``.
    rho, sigma_xi : float
        AR(1) of productivity, ``|rho| < 1``, ``sigma_xi >= 0``.
    sigma_eps : float
        Standard deviation of the measurement error in ``y``.
    labour_timing : float
        ``b`` in ``[0, 1)``: labour is chosen with the information of ``t - b``.
    rho_wage, sigma_wage : float
        AR(1) of the plant-specific log wage.
    sigma_l_opt : float
        Standard deviation of the optimisation error in labour.
    delta : float
        Depreciation rate, in (0, 1).
    k_target : float
        Steady-state log capital of a plant with ``omega = 0``.
    investment_omega : float
        Semi-elasticity of investment in productivity; must be > 0 (monotonicity).
    investment_k : float
        Elasticity of investment in capital, in [0, 1].
    m_intercept : float, optional
        Default ``beta_0 + log(0.5)`` (materials worth half of value added).
    m_omega, m_omega_sq : float
        Slope and curvature of ``m`` in ``omega``; ``m_omega + 2 m_omega_sq omega`` must be > 0
        at every simulated ``omega``.
    exit : bool
        Endogenous exit (unbalanced panel).
    exit_omega : float, optional
        Exit threshold at ``k = k_target``; default the 5th percentile of the stationary
        distribution of ``omega``.
    exit_k : float
        How much the threshold falls per unit of log capital above ``k_target``.
    burn_in : int
        Unrecorded years simulated first (>= 0).
    delta_spread : float
        Half-width of the uniform distribution of plant-specific depreciation rates around
        ``delta``; ``0`` (default) gives every plant ``delta`` and draws nothing, so outputs
        are bit-identical to earlier versions. With one common rate, ``k_t`` is an exact
        function of ``(k_{t-1}, omega_{t-1})`` and, to first order in ``k``, ``omega_{t-1}(b) =
        omega_{t-1} + (beta_k - b_k) k_{t-1}`` is again first-order Markov at ``b_k = beta_k -
        (1 - delta (1 - investment_k) - rho) / (delta investment_omega)``, a second, spurious
        root of the ACF moments (about -2.5 at the defaults); plant-specific rates remove it.
        Must satisfy ``0 < delta - delta_spread`` and ``delta + delta_spread < 1``.

    Returns
    -------
    SimulatedPlants

    Raises
    ------
    InputError
        Naming the parameter, for non-positive sizes, ``beta_l`` outside (0, 1), ``|rho| >= 1``,
        ``investment_omega <= 0`` or ``m_omega``/``m_omega_sq`` that make ``m`` not strictly
        increasing in ``omega``.

    Examples
    --------
    >>> from agglomeration.simulate import plant_panel
    >>> sim = plant_panel(300, 8, seed=3)
    >>> sim.panel.shape, (sim.truth.beta_l, sim.truth.beta_k)
    ((2400, 9), (0.6, 0.3))
    """
    n = _pos_int("n_plants", n_plants)
    n_t = _pos_int("n_years", n_years)
    rng = _rng(seed)
    if isinstance(burn_in, bool) or not isinstance(burn_in, int | np.integer) or burn_in < 0:
        raise InputError(f"burn_in must be a non-negative integer, got {burn_in!r}.")
    b0 = _finite("beta_0", beta_0)
    bl = _finite("beta_l", beta_l)
    if not 0 < bl < 1:
        raise InputError(f"beta_l must lie in (0, 1) for a static labour demand, got {bl!r}.")
    bk = _finite("beta_k", beta_k)
    rh = _finite("rho", rho)
    if not -1 < rh < 1:
        raise InputError(f"rho must lie in (-1, 1) for stationary productivity, got {rh!r}.")
    if rh <= 0 and labour_timing > 0:
        raise InputError(
            f"rho={rh} with labour_timing={labour_timing}: the fractional-period productivity "
            "step needs rho > 0; use rho > 0 or labour_timing=0."
        )
    s_xi = _nonneg("sigma_xi", sigma_xi)
    s_eps = _nonneg("sigma_eps", sigma_eps)
    b = _in_open_unit("labour_timing", labour_timing)
    rw = _finite("rho_wage", rho_wage)
    if not -1 < rw < 1:
        raise InputError(f"rho_wage must lie in (-1, 1), got {rw!r}.")
    s_w = _nonneg("sigma_wage", sigma_wage)
    s_l = _nonneg("sigma_l_opt", sigma_l_opt)
    dl = _in_open_unit("delta", delta, allow_zero=False)
    kt = _finite("k_target", k_target)
    d_sp = _nonneg("delta_spread", delta_spread)
    if d_sp > 0 and not (dl - d_sp > 0 and dl + d_sp < 1):
        raise InputError(
            f"delta_spread={d_sp} with delta={dl} puts depreciation rates outside (0, 1); "
            f"use delta_spread < min(delta, 1 - delta) = {min(dl, 1 - dl):.6g}."
        )
    i_om = _finite("investment_omega", investment_omega)
    if i_om <= 0:
        raise InputError(
            f"investment_omega must be > 0 so that investment is strictly increasing in "
            f"productivity (OP invertibility), got {i_om!r}."
        )
    i_k = _finite("investment_k", investment_k)
    if not 0 <= i_k <= 1:
        raise InputError(f"investment_k must lie in [0, 1], got {i_k!r}.")
    m_om = _finite("m_omega", m_omega)
    if m_om <= 0:
        raise InputError(
            f"m_omega must be > 0 so that the intermediate input is strictly increasing in "
            f"productivity (LP/ACF invertibility), got {m_om!r}."
        )
    m_sq = _finite("m_omega_sq", m_omega_sq)
    m0 = b0 + math.log(0.5) if m_intercept is None else _finite("m_intercept", m_intercept)
    var_om = s_xi**2 / (1.0 - rh**2)
    sd_om = math.sqrt(var_om)
    ex_om = -1.6448536269514722 * sd_om if exit_omega is None else _finite("exit_omega", exit_omega)
    ex_k = _finite("exit_k", exit_k)

    # innovations of the two sub-steps (see docstring)
    a1 = rh ** (1.0 - b) if b > 0 else rh
    a2 = rh**b if b > 0 else 1.0
    s1 = math.sqrt(max(var_om * (1.0 - rh ** (2.0 * (1.0 - b))), 0.0)) if b > 0 else s_xi
    s2 = math.sqrt(max(var_om * (1.0 - rh ** (2.0 * b)), 0.0)) if b > 0 else 0.0

    total = burn_in + n_t
    omega = rng.normal(0.0, sd_om, n)
    k = kt + rng.standard_normal(n)
    w = rng.normal(0.0, s_w / math.sqrt(1.0 - rw**2) if s_w > 0 else 0.0, n)
    # plant-specific depreciation: drawn only when requested, so the default stream is unchanged
    dl_p: float | NDArray[np.float64] = rng.uniform(dl - d_sp, dl + d_sp, n) if d_sp > 0 else dl
    log_dl = np.log(dl_p) if d_sp > 0 else math.log(dl)
    shape = (n, n_t)
    out = {nm: np.empty(shape) for nm in ("y", "l", "k", "m", "i", "omega")}
    alive = np.ones(n, dtype=bool)
    observed = np.zeros(shape, dtype=bool)
    exit_flag = np.zeros(shape, dtype=bool)
    log_bl = math.log(bl)
    for t in range(total):  # loop over years, vectorised over plants
        om_mid = a1 * omega + s1 * rng.standard_normal(n)
        omega = a2 * om_mid + s2 * rng.standard_normal(n) if b > 0 else om_mid
        w = rw * w + s_w * rng.standard_normal(n)
        l_t = (log_bl + b0 + bk * k + om_mid - w) / (1.0 - bl) + s_l * rng.standard_normal(n)
        y_t = b0 + bl * l_t + bk * k + omega + s_eps * rng.standard_normal(n)
        m_t = m0 + bl * l_t + bk * k + m_om * omega + m_sq * omega**2
        i_t = log_dl + kt + i_k * (k - kt) + i_om * omega
        tt = t - burn_in
        if tt >= 0:
            out["y"][:, tt] = y_t
            out["l"][:, tt] = l_t
            out["k"][:, tt] = k
            out["m"][:, tt] = m_t
            out["i"][:, tt] = i_t
            out["omega"][:, tt] = omega
            observed[:, tt] = alive
            if exit:
                leaving = alive & (omega < ex_om - ex_k * (k - kt))
                exit_flag[:, tt] = leaving
                alive &= ~leaving
        k = np.log((1.0 - dl_p) * np.exp(k) + np.exp(i_t))

    if m_sq != 0.0:
        slope = m_om + 2.0 * m_sq * out["omega"][observed]
        bad = int((slope <= 0).sum())
        if bad:
            raise InputError(
                f"m_omega_sq={m_sq} with m_omega={m_om} makes the intermediate input decreasing in "
                f"productivity (dm/domega = m_omega + 2*m_omega_sq*omega <= 0) for {bad} "
                f"plant-years; use |m_omega_sq| < m_omega / (2 * max|omega|) "
                f"(max|omega| here {np.abs(out['omega'][observed]).max():.3g})."
            )

    plant_ids = np.broadcast_to(np.arange(n, dtype=np.int64)[:, None], shape)
    years = np.broadcast_to(np.arange(n_t, dtype=np.int64)[None, :] + int(first_year), shape)
    cols: dict[str, NDArray[np.generic]] = {
        "plant": plant_ids[observed],
        "year": years[observed],
    }
    for nm in ("y", "l", "k", "m", "i", "omega"):
        cols[nm] = out[nm][observed]
    cols["exit"] = exit_flag[observed]
    panel = pd.DataFrame(cols, copy=False)
    truth = PlantTruth(
        beta_0=b0, beta_l=bl, beta_k=bk, rho=rh, sigma_xi=s_xi, sigma_eps=s_eps,
        labour_timing=b, sigma_wage=s_w, rho_wage=rw, sigma_l_opt=s_l, delta=dl,
        k_target=kt, investment_omega=i_om, investment_k=i_k, m_intercept=m0,
        m_omega=m_om, m_omega_sq=m_sq, exit=bool(exit), exit_omega=ex_om, exit_k=ex_k,
        n_plants=n, n_years=n_t, burn_in=int(burn_in), delta_spread=d_sp,
    )
    return SimulatedPlants(panel=panel, truth=truth)


