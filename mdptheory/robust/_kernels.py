r"""Compiled inner problems of (s, a)-rectangular robust backups, one row ``p`` at a time.

Every kernel takes the value vector ``V`` and its ascending order ``order`` (computed once per
backup and shared by all rows) and returns ``inf_{q in U(p)} q . V`` (constrained ball) or
``inf_q [q . V + lam D(q || p)]`` (penalised form), optionally writing the minimiser ``q``.
The conventions are ``D_TV = 1/2 ||q - p||_1``, ``KL(q || p)`` and Pearson's
``chi2(q || p) = sum_j (q_j - p_j)^2 / p_j``; each kernel's docstring states the dual it
evaluates, and ``docs/robust.md`` derives them.

Set codes (the ``code`` argument of :func:`robust_rows`): 0 TV ball, 1 KL ball, 2 chi-square
ball, 3 penalised TV, 4 penalised KL, 5 penalised chi-square.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

TV, KL, CHI2, TV_PENALTY, KL_PENALTY, CHI2_PENALTY = 0, 1, 2, 3, 4, 5
CODES = {
    ("tv", False): TV,
    ("kl", False): KL,
    ("chi2", False): CHI2,
    ("tv", True): TV_PENALTY,
    ("kl", True): KL_PENALTY,
    ("chi2", True): CHI2_PENALTY,
}

KL_MAX_STEPS = 200
"""Safeguarded Newton steps on the KL dual variable (a handful suffice with a warm start)."""


@njit(cache=True)
def _destination(p, V, order, support_all):
    """The state mass is moved to: argmin V over all states, or over the support of ``p``."""
    if support_all:
        return order[0]
    for k in range(order.shape[0]):
        j = order[k]
        if p[j] > 0.0:
            return j
    return order[0]


@njit(cache=True, fastmath={"reassoc", "contract"})
def _row_dot(p, V):
    """``p . V`` reassociated, so that the sum vectorises (a strict left-to-right sum waits on
    each addition in turn)."""
    value = 0.0
    for j in range(p.shape[0]):
        value += p[j] * V[j]
    return value


@njit(cache=True)
def tv_row(p, V, order, rho, support_all, q, write):
    """``inf { q.V : 1/2 ||q - p||_1 <= rho }``: move mass ``rho`` from the top of ``V`` to
    its minimum (the dual's maximiser over the atoms of ``V``, by one walk down the order)."""
    dest = _destination(p, V, order, support_all)
    v_min = V[dest]
    # p.V in one sequential pass, which also brings the row into cache before the walk's
    # scattered reads (from memory, each of them would be a cache miss)
    value = _row_dot(p, V)
    if write:
        q[:] = p
    budget = rho
    moved = 0.0
    for k in range(order.shape[0] - 1, -1, -1):
        if budget <= 0.0:
            break
        j = order[k]
        if V[j] <= v_min:
            break
        m = p[j]
        if m <= 0.0:
            continue
        take = m if m < budget else budget
        value -= take * (V[j] - v_min)
        budget -= take
        moved += take
        if write:
            q[j] = m - take
    if write:
        q[dest] += moved
    return value


@njit(cache=True)
def tv_penalty_row(p, V, order, lam, support_all, q, write):
    """``inf_q [q.V + lam D_TV(q || p)] = E_p[min(V, min V + lam)]``: every state above
    ``min V + lam`` sends its mass to the minimum."""
    dest = _destination(p, V, order, support_all)
    cap = V[dest] + lam
    value = 0.0
    for j in range(p.shape[0]):
        value += p[j] * min(V[j], cap)
    if write:
        moved = 0.0
        q[:] = p
        for j in range(p.shape[0]):
            if p[j] > 0.0 and V[j] > cap:
                moved += p[j]
                q[j] = 0.0
        q[dest] += moved
    return value


@njit(cache=True)
def _support_min(p, V, order):
    for k in range(order.shape[0]):
        j = order[k]
        if p[j] > 0.0:
            return V[j]
    return V[order[0]]


@njit(cache=True)
def _tilted_moments(p, V, v_min, u):
    """``log Z``, ``E_q W`` and ``Var_q W`` for ``q ~ p exp(-u W)``, ``W = V - v_min >= 0``,
    with ``Z`` relative to the row's mass (``Z = E_{p / sum p} exp(-u W)``).

    Near ``Z = 1`` (small ``u``), ``log Z`` is ``log1p`` of ``sum p expm1(-u W) / sum p``: a
    small ball has ``KL(q_u) = -u E_q W - log Z`` of order ``u^2``, and the ``log`` of a ``Z``
    rounded near 1 would put an ulp of absolute error into it, far above a tiny radius.
    """
    mass = 0.0
    z = 0.0
    shift = 0.0
    m1 = 0.0
    m2 = 0.0
    for j in range(p.shape[0]):
        if p[j] > 0.0:
            w = V[j] - v_min
            x = -u * w
            if x > -0.5:
                t = np.expm1(x)
                e = 1.0 + t
            else:
                e = np.exp(x)
                t = e - 1.0
            mass += p[j]
            shift += p[j] * t
            e *= p[j]
            z += e
            m1 += e * w
            m2 += e * w * w
    m1 /= z
    var = m2 / z - m1 * m1
    if var < 0.0:
        var = 0.0
    log_z = np.log1p(shift / mass) if shift > -0.5 * mass else np.log(z / mass)
    return log_z, m1, var


@njit(cache=True)
def _write_tilted(p, V, v_min, u, q):
    total = 0.0
    for j in range(p.shape[0]):
        if p[j] > 0.0:
            q[j] = p[j] * np.exp(-u * (V[j] - v_min))
            total += q[j]
        else:
            q[j] = 0.0
    for j in range(p.shape[0]):
        q[j] /= total


@njit(cache=True)
def kl_penalty_row(p, V, order, lam, q, write):
    """``inf_q [q.V + lam KL(q || p)] = -lam log E_p exp(-V / lam)``, minimiser
    ``q ~ p exp(-V / lam)`` (shifted by the support's minimum so nothing underflows to 0)."""
    v_min = _support_min(p, V, order)
    u = 1.0 / lam
    log_z = _tilted_moments(p, V, v_min, u)[0]
    if write:
        _write_tilted(p, V, v_min, u, q)
    return v_min - lam * log_z


@njit(cache=True)
def kl_newton_step(u, log_z, m1, var, rho, tol, lo, hi, best_u, best_m1, best_gap):
    """One step of the safeguarded Newton search for ``KL(q_u) = rho`` in ``u = 1 / beta``,
    given ``log Z``, the mean ``m1`` and the variance ``var`` of the tilted ``q_u``.

    A feasible ``u`` (``KL <= rho``) raises the bracket's low end and becomes the best point
    (duality gap ``(rho - KL) / u``); an infeasible one lowers its high end. Newton aims half
    the allowed gap ``tol`` inside the ball and is replaced by bisection (or doubling while the
    bracket is open) when it leaves the bracket. Returns ``(u, lo, hi, best_u, best_m1,
    best_gap, done)``; ``done`` when the gap is at most ``tol`` or the bracket has closed to a
    few ulps (then ``u`` is the point just evaluated).
    """
    kl = -u * m1 - log_z
    if kl <= rho:
        lo = u
        best_u = u
        best_m1 = m1
        best_gap = (rho - kl) / u if u > 0.0 else np.inf
        if best_gap <= tol:
            return u, lo, hi, best_u, best_m1, best_gap, True
    else:
        hi = u
    slope = u * var
    # aim a little inside the ball (half the allowed gap), so that Newton's overshoot
    # usually lands on the feasible side within the gap: one more pass, not two
    target = rho - 0.5 * u * tol
    step = u - (kl - target) / slope if slope > 0.0 else np.nan
    if hi < np.inf and hi - lo <= 1e-15 * hi:
        return u, lo, hi, best_u, best_m1, best_gap, True
    if step > lo and step < hi and np.isfinite(step):
        u = step
    elif hi < np.inf:
        u = 0.5 * (lo + hi)
    else:
        u = 2.0 * u
    return u, lo, hi, best_u, best_m1, best_gap, False


@njit(cache=True)
def kl_row(p, V, order, rho, q, write, warm, slack):
    """``inf { q.V : KL(q || p) <= rho }`` through its dual
    ``sup_{beta > 0} -beta log E_p exp(-V / beta) - beta rho``.

    The dual's derivative in ``beta`` is ``KL(q_beta || p) - rho`` with ``q_beta ~ p exp(-V /
    beta)``, so the maximiser solves ``KL(q_u) = rho`` in ``u = 1 / beta``, where ``KL(q_u)``
    increases (its derivative is ``u Var_{q_u} V``). Safeguarded Newton on ``u`` from a warm
    start, keeping a bracket; the returned point is on the feasible side (``KL <= rho``), where
    the duality gap is ``beta (rho - KL(q_beta))``, driven below ``slack`` or a few ulps of the
    value range, whichever is larger. Returns ``(value, u, gap)``: the primal value ``q_beta.V``
    (at most ``gap`` above the infimum). When ``rho >= -log p(argmin V)`` the infimum is the
    support's minimum (``beta -> 0``) and ``u`` is returned as ``inf``.
    """
    # one pass: the support's minimum, the mass sitting at it, and its maximum
    v_min = np.inf
    v_max = -np.inf
    mass_min = 0.0
    for j in range(p.shape[0]):
        if p[j] > 0.0:
            v = V[j]
            if v < v_min:
                v_min = v
                mass_min = p[j]
            elif v == v_min:
                mass_min += p[j]
            if v > v_max:
                v_max = v
    spread = v_max - v_min
    if spread <= 0.0 or rho >= -np.log(mass_min):
        if write:
            for j in range(p.shape[0]):
                q[j] = p[j] / mass_min if (p[j] > 0.0 and V[j] == v_min) else 0.0
        return v_min, np.inf, 0.0
    if rho <= 0.0:
        value = 0.0
        for j in range(p.shape[0]):
            value += p[j] * V[j]
        if write:
            q[:] = p
        return value, 0.0, 0.0
    lo = 0.0
    hi = np.inf
    u = warm
    if not (u > 0.0 and u < np.inf):
        log_z, m1, var = _tilted_moments(p, V, v_min, 0.0)
        u = np.sqrt(2.0 * rho / var) if var > 0.0 else 1.0 / spread
    tol = max(4e-16 * (np.abs(v_min) + spread), slack)
    best_u = 0.0
    best_m1 = 0.0
    best_gap = np.inf
    for _ in range(KL_MAX_STEPS):
        log_z, m1, var = _tilted_moments(p, V, v_min, u)
        u, lo, hi, best_u, best_m1, best_gap, done = kl_newton_step(
            u, log_z, m1, var, rho, tol, lo, hi, best_u, best_m1, best_gap
        )
        if done:
            break
    if best_u == 0.0:  # never feasible inside the loop: the nominal row, gap from the dual
        best_m1 = _tilted_moments(p, V, v_min, 0.0)[1]
    if write:
        _write_tilted(p, V, v_min, best_u, q)
    return v_min + best_m1, best_u, best_gap


@njit(cache=True)
def kl_write_rows(P2, V, us, Q2):
    """The KL ball's minimisers ``Q2[r] ~ P2[r] exp(-us[r] V)`` at given dual variables, each
    row in one pass of exponentials (what :func:`kl_row` writes at its solution ``u``).

    ``us[r] = inf`` is the ``beta -> 0`` corner (all mass on the support's minimum, shared in
    proportion to ``p``) and ``us[r] = 0`` the nominal row; the exponentials are shifted by the
    support's minimum, so none underflows to 0 at the minimum.
    """
    for r in range(P2.shape[0]):
        p = P2[r]
        q = Q2[r]
        v_min = np.inf
        mass_min = 0.0
        for j in range(p.shape[0]):
            if p[j] > 0.0:
                if V[j] < v_min:
                    v_min = V[j]
                    mass_min = p[j]
                elif V[j] == v_min:
                    mass_min += p[j]
        u = us[r]
        if u == np.inf:
            for j in range(p.shape[0]):
                q[j] = p[j] / mass_min if (p[j] > 0.0 and V[j] == v_min) else 0.0
        else:
            _write_tilted(p, V, v_min, u, q)


@njit(cache=True)
def _gather_support(p, V, order, vals, probs, index):
    # one sequential read first: the gather below reads the row in the order of V, and from
    # memory each of those reads would be a cache miss
    total = 0.0
    for j in range(p.shape[0]):
        total += p[j]
    n = 0
    for k in range(order.shape[0]):
        j = order[k]
        if p[j] > 0.0:
            vals[n] = V[j]
            probs[n] = p[j]
            index[n] = j
            n += 1
    return n


@njit(cache=True)
def chi2_row(p, V, order, param, penalised, q, write, vals, probs, index, tails):
    r"""Chi-square ball (``penalised`` False, ``param = rho``) or penalty (``param = lam``).

    Dual over the clipping level ``alpha`` with ``[V]_alpha = min(V, alpha)`` under ``p``:

    * ball: ``max_alpha E[V]_alpha - sqrt(rho Var([V]_alpha))``;
    * penalty: ``sup_alpha E[V]_alpha - Var([V]_alpha) / (4 lam)``.

    Between two consecutive atoms of ``V`` (support of ``p``, ascending) the lower part has mass
    ``L``, mean ``mu`` and ``W = L Var_lower``, the tail mass ``T = 1 - L`` sits at ``alpha``,
    and with ``x = L (alpha - mu)``: ``Var([V]_alpha) = (T / L) x^2 + W``. The stationary
    point is ``x^2 = W / (rho - T / L)`` (ball) or ``x = 2 lam`` (penalty), so each interval's
    maximum is in closed form; the dual is the largest candidate (stationary points inside
    their interval and every atom). The minimiser is ``q_j = p_j (1 - c ([V]_alpha_j - E))``
    with ``c = sqrt(rho) / sd`` (ball) or ``1 / (2 lam)`` (penalty).
    """
    n = _gather_support(p, V, order, vals, probs, index)
    # tail masses summed from the top, so a small tail is not 1 minus something close to 1
    tails[n - 1] = 0.0
    for k in range(n - 2, -1, -1):
        tails[k] = tails[k + 1] + probs[k + 1]
    best = vals[0]
    best_alpha = vals[0]
    best_mean = vals[0]
    best_sd = 0.0
    mass = 0.0
    mean = 0.0
    within = 0.0
    for k in range(n):
        pk = probs[k]
        tail = tails[k]
        # Welford update of the lower part's mean and L * variance
        new_mass = mass + pk
        delta = vals[k] - mean
        mean += delta * pk / new_mass
        within += pk * delta * (vals[k] - mean)
        mass = new_mass
        hi = vals[k + 1] if k + 1 < n else vals[k]
        # candidates: the interval's right end, then its stationary point
        stationary = np.nan
        if tail > 0.0:
            if penalised:
                stationary = mean + 2.0 * param / mass
            elif param > tail / mass:
                stationary = mean + np.sqrt(within / (param - tail / mass)) / mass
        for c in range(2):
            alpha = hi if c == 0 else stationary
            if not (alpha >= vals[k] and alpha <= hi):
                continue
            x = mass * (alpha - mean)
            variance = (tail / mass) * x * x + within
            expect = mass * mean + tail * alpha
            if penalised:
                g = expect - variance / (4.0 * param)
            else:
                g = expect - np.sqrt(param * variance)
            if g > best:
                best = g
                best_alpha = alpha
                best_mean = expect
                best_sd = np.sqrt(variance)
    if write:
        q[:] = 0.0
        if best_sd <= 0.0 and not penalised:
            total = 0.0
            for i in range(n):
                if vals[i] == vals[0]:
                    total += probs[i]
            for i in range(n):
                if vals[i] == vals[0]:
                    q[index[i]] = probs[i] / total
        else:
            slope = 1.0 / (2.0 * param) if penalised else np.sqrt(param) / best_sd
            total = 0.0
            for i in range(n):
                level = vals[i] if vals[i] < best_alpha else best_alpha
                w = probs[i] * (1.0 - slope * (level - best_mean))
                if w < 0.0:
                    w = 0.0  # rounding at the clipping level
                q[index[i]] = w
                total += w
            for i in range(n):
                q[index[i]] /= total
    return best


CHI2_WALK_EPS = 4e-12
"""A chi-square walk stops once an interval's best candidate is this much (relative to ``max
|V|``) below the best so far: more than the rounding of a candidate, which the walk bounds by a
quarter of it (rows where it cannot are solved by :func:`chi2_row`)."""


@njit(cache=True)
def _start_position(warm, r, shared, n):
    """Row ``r``'s first guess of its cut in the order of ``V``: ``warm[r] - 1`` when it holds
    a position (left there by the previous backup), else the ``shared`` one. Any guess gives
    the same value up to rounding; a good one shortens the walk."""
    w = warm[r]
    if w >= 1.0 and w <= n:
        return int(w) - 1
    return shared


@njit(cache=True)
def _tie_top(V, order, g):
    """The highest position of the order holding the value at position ``g`` (clipped to the
    order), so that the states above it are exactly those with ``V > V[order[g]]``."""
    n = order.shape[0]
    g = min(max(g, 0), n - 1)
    while g + 1 < n and V[order[g + 1]] == V[order[g]]:
        g += 1
    return g


@njit(cache=True, fastmath={"reassoc", "contract"})
def _clipped_dot(p, V, level):
    """``E_p[min(V, level)]`` and the mass above ``level`` in one sequential pass
    (reassociated and branch-free, so it vectorises; the pass also brings the row into cache
    for the walk's scattered reads)."""
    clipped = 0.0
    mass = 0.0
    for j in range(p.shape[0]):
        x = p[j]
        v = V[j]
        clipped += x * min(v, level)
        mass += x if v > level else 0.0
    return clipped, mass


@njit(cache=True)
def tv_cut_row(p, V, order, rho, support_all, g):
    """:func:`tv_row`'s value (without the minimiser) from a guessed cut ``g``: returns the
    value and the position where the moved mass ``rho`` is reached.

    With ``thr = V[order[g]]`` (``g`` moved to the top of its ties), ``E = E_p[min(V, thr)]``
    and ``T`` the mass above ``thr`` (one pass, :func:`_clipped_dot`): when ``T <= rho`` all of
    that mass moves to ``v_min`` and the value is ``E - (thr - v_min) T`` less what the walk down
    from ``g`` moves with the budget ``rho - T``; when ``T > rho``, states are handed back from
    ``g + 1`` upward (each adding ``p_j (V_j - thr)``) until the mass above is at most ``rho``,
    the last of them giving the rest. Either way only the states between ``g`` and the cut are
    read in the order of ``V``.
    """
    n = order.shape[0]
    budget = rho
    if budget <= 0.0:
        return _row_dot(p, V), n - 1
    g = _tie_top(V, order, g)
    thr = V[order[g]]
    clipped, mass = _clipped_dot(p, V, thr)
    dest = order[0]
    if not support_all:
        for k in range(n):
            if p[order[k]] > 0.0:
                dest = order[k]
                break
    v_min = V[dest]
    if mass <= budget:
        value = clipped - (thr - v_min) * mass
        budget -= mass
        cut = g
        k = g
        while k >= 0 and budget > 0.0:
            j = order[k]
            if V[j] <= v_min:
                break
            m = p[j]
            if m > 0.0:
                take = m if m < budget else budget
                value -= take * (V[j] - v_min)
                budget -= take
                cut = k
            k -= 1
        return value, cut
    handed = 0.0
    k = g + 1
    while k < n:
        j = order[k]
        m = p[j]
        if m > 0.0:
            mass -= m
            handed += m * (V[j] - thr)
            if mass <= budget:
                value = clipped + handed - (thr - v_min) * mass
                if V[j] > v_min:
                    value -= (budget - mass) * (V[j] - v_min)
                return value, k
        k += 1
    # the mass above the top state is rounding: the cut is at the top state
    return clipped + handed, n - 1


ROW_BLOCK = 256
"""Rows per block of the walks: the blocks are spread over the cores, and inside a block each
row without a kept cut starts from the previous row's (fixed blocks, so the numbers do not
depend on the number of threads)."""


@njit(cache=True, parallel=True)
def tv_ball_rows(P2, V, order, rho, support_all, warm):
    """:func:`tv_row`'s values for every row of ``P2`` (n_rows, S), each from a guessed cut
    (:func:`tv_cut_row`).

    ``warm`` (n_rows,) holds ``1 +`` each row's cut from the previous backup (0: none) and is
    updated in place; a row without one starts from the previous row's cut (the first row from
    the top of ``V``).
    """
    n_rows = P2.shape[0]
    out = np.empty(n_rows)
    n_blocks = (n_rows + ROW_BLOCK - 1) // ROW_BLOCK
    if n_blocks <= 1:
        # one block: no parallel region, which on a busy machine waits for a second thread
        # (12 rows: 1.6 us serial against 21 us with both cores loaded)
        _tv_block(P2, V, order, rho, support_all, warm, out, 0)
        return out
    # one thread reads a row at about a quarter of the memory bandwidth that the nominal
    # sweep's two BLAS threads reach; on a loaded machine the second thread may not help
    for b in prange(n_blocks):
        _tv_block(P2, V, order, rho, support_all, warm, out, b)
    return out


@njit(cache=True)
def _tv_block(P2, V, order, rho, support_all, warm, out, b):
    """Rows ``b * ROW_BLOCK ..`` of :func:`tv_ball_rows`, each from the previous row's cut."""
    n_rows, n = P2.shape
    guess = n - 1
    for r in range(b * ROW_BLOCK, min(n_rows, (b + 1) * ROW_BLOCK)):
        g = _start_position(warm, r, guess, n)
        value, guess = tv_cut_row(P2[r], V, order, rho, support_all, g)
        out[r] = value
        warm[r] = guess + 1.0


@njit(cache=True, fastmath={"reassoc", "contract"})
def _clipped_moments(p, Vc, level):
    """``sum p m`` and ``sum p m^2`` with ``m = min(Vc, level)``, and the masses at and below
    ``level`` and above it, in one sequential pass (reassociated and branch-free, so the sums
    vectorise)."""
    c1 = 0.0
    c2 = 0.0
    low = 0.0
    high = 0.0
    for j in range(p.shape[0]):
        x = p[j]
        v = Vc[j]
        m = min(v, level)
        xm = x * m
        c1 += xm
        c2 += xm * m
        above = v > level
        high += x if above else 0.0
        low += 0.0 if above else x
    return c1, c2, low, high


@njit(cache=True)
def _next_atom(p, order, k, step):
    """The next position from ``k`` in direction ``step`` (+1 up, -1 down) holding mass, or
    -1 / ``n`` when there is none."""
    n = order.shape[0]
    k += step
    while k >= 0 and k < n and not p[order[k]] > 0.0:
        k += step
    return k


@njit(cache=True)
def _chi2_interval(p, Vc, order, k, up, down, lower, t0, param, penalised, row_s2, allowed):
    """Best candidate of the interval ``[Vc(k), Vc(up)]`` (``up`` the next atom above ``k``,
    ``down`` the next below, -1 if none) given the sums ``lower`` of the states at positions
    ``<= k`` and the mass ``t0`` of those above: the same closed forms as :func:`chi2_row`.

    Returns ``(value, alpha, expectation, variance, ok)``; ``ok`` is False when rounding in the
    lower part's variance (a difference of sums) could exceed ``allowed`` in the value.
    """
    n = order.shape[0]
    j = order[k]
    vj = Vc[j]
    hi = Vc[order[up]] if up < n else vj
    l0, l1, l2 = lower
    if down < 0:
        # the lower part is the lowest atom alone: its moments exactly
        mass = p[j]
        mean = vj
        within = 0.0
        err_w = 0.0
    else:
        mass = l0
        mean = l1 / mass
        within = l2 - l1 * mean
        # rounding of the sums (and of the mass, relative to the row's, in the mean)
        err_w = 1e-14 * (row_s2 + abs(l1 * mean) * (1.0 + (l0 + t0) / mass))
    best = -np.inf
    best_alpha = hi
    best_expect = 0.0
    best_var = 0.0
    stationary = np.nan
    if t0 > 0.0:
        if penalised:
            stationary = mean + 2.0 * param / mass
        elif param > t0 / mass and within > 0.0:
            stationary = mean + np.sqrt(within / (param - t0 / mass)) / mass
    for c in range(2):
        alpha = hi if c == 0 else stationary
        if not (alpha >= vj and alpha <= hi):
            continue
        x = mass * (alpha - mean)
        variance = (t0 / mass) * x * x + within
        expect = mass * mean + t0 * alpha
        if penalised:
            if err_w > 0.0 and not err_w <= 4.0 * param * allowed:
                return best, best_alpha, best_expect, best_var, False
            g = expect - variance / (4.0 * param)
        else:
            if err_w > 0.0 and not (
                variance > 0.0 and np.sqrt(param) * err_w <= 2.0 * allowed * np.sqrt(variance)
            ):
                return best, best_alpha, best_expect, best_var, False
            g = expect - np.sqrt(param * max(variance, 0.0))
        if g > best:
            best = g
            best_alpha = alpha
            best_expect = expect
            best_var = variance
    if down < 0 and vj > best:
        # alpha at the lowest atom: [V]_alpha is constant
        best = vj
        best_alpha = vj
        best_expect = vj
        best_var = 0.0
    return best, best_alpha, best_expect, best_var, True


@njit(cache=True)
def chi2_walk_row(p, Vc, order, param, penalised, g, allowed, eps):
    r"""The chi-square dual of :func:`chi2_row` (ball or penalty) by a walk over the intervals
    from a guessed position ``g`` of the order, on ``Vc``, ``V`` shifted by a constant.

    Both duals are unimodal in ``alpha``. Ball: the derivative is ``T (1 - sqrt(rho) (alpha -
    E[V]_alpha) / sd)`` with ``T`` the mass above ``alpha``, and the bracket ``phi = sd -
    sqrt(rho) (alpha - E[V]_alpha)`` can only cross zero downwards once ``T / L < rho`` (its
    slope at a zero is ``(T - rho L) / sqrt(rho)``), while ``T / L`` decreases in ``alpha``.
    Penalty: the derivative is ``T (1 - (alpha - E[V]_alpha) / (2 lam))`` and ``alpha -
    E[V]_alpha`` increases. So the intervals' best candidates rise and then fall: from the
    interval at ``g`` (its sums from one pass, :func:`_clipped_moments`) the walk goes up, then
    down, each way until an interval is more than ``eps`` below the best so far, moving one atom
    between the lower part and the tail at each step.

    Returns ``(value, alpha, expectation, variance, position, mass, ok)`` (the value, ``alpha``
    and the expectation on ``Vc``; ``mass`` the row's, which the shift back multiplies);
    ``ok`` False hands the row to :func:`chi2_row` (no atom, or rounding that
    :func:`_chi2_interval` cannot bound).
    """
    n = order.shape[0]
    # positions split on Vc itself (sorted along the order too), so the pass and the walk agree
    # even where the shift makes distinct values of V equal
    g = _tie_top(Vc, order, g)
    level = Vc[order[g]]
    c1, c2, l0, t0 = _clipped_moments(p, Vc, level)
    # the lower part's sums: the tail sits at the level in the clipped sums
    l1 = c1 - level * t0
    l2 = c2 - level * level * t0
    row_s2 = c2 + level * level * t0
    row_mass = l0 + t0
    k = g
    if not p[order[k]] > 0.0:
        k = _next_atom(p, order, k, -1)
        if k < 0:
            k = _next_atom(p, order, g, 1)
            if k >= n:
                return 0.0, 0.0, 0.0, 0.0, 0, 0.0, False
            j = order[k]
            x = p[j]
            l0 += x
            l1 += x * Vc[j]
            l2 += x * Vc[j] * Vc[j]
            t0 -= x
    up = _next_atom(p, order, k, 1)
    down = _next_atom(p, order, k, -1)
    best, alpha, expect, var, ok = _chi2_interval(
        p, Vc, order, k, up, down, (l0, l1, l2), t0, param, penalised, row_s2, allowed
    )
    if not ok:
        return best, alpha, expect, var, k, row_mass, False
    best_k = k
    # up: the next atom leaves the tail for the lower part
    ku, uu, ud = k, up, down
    a0, a1, a2, b0 = l0, l1, l2, t0
    while uu < n:
        j = order[uu]
        x = p[j]
        xv = x * Vc[j]
        a0 += x
        a1 += xv
        a2 += xv * Vc[j]
        b0 -= x
        ud = ku
        ku = uu
        uu = _next_atom(p, order, ku, 1)
        if uu < n and Vc[order[uu]] == Vc[order[ku]]:
            continue  # inside a run of ties: its end's interval holds the same candidates
        top, t_alpha, t_expect, t_var, ok = _chi2_interval(
            p,
            Vc,
            order,
            ku,
            uu,
            ud,
            (a0, a1, a2),
            b0,
            param,
            penalised,
            row_s2,
            allowed,
        )
        if not ok:
            return best, alpha, expect, var, ku, row_mass, False
        if top > best:
            best, alpha, expect, var, best_k = top, t_alpha, t_expect, t_var, ku
        elif top < best - eps:
            break
    # down: the atom at k leaves the lower part for the tail
    kd, du, dd = k, up, down
    a0, a1, a2, b0 = l0, l1, l2, t0
    while dd >= 0:
        j = order[kd]
        x = p[j]
        xv = x * Vc[j]
        a0 -= x
        a1 -= xv
        a2 -= xv * Vc[j]
        b0 += x
        du = kd
        kd = dd
        dd = _next_atom(p, order, kd, -1)
        if dd >= 0 and Vc[order[du]] == Vc[order[kd]]:
            continue  # an empty interval inside a run of ties (alpha there is its upper end)
        top, t_alpha, t_expect, t_var, ok = _chi2_interval(
            p,
            Vc,
            order,
            kd,
            du,
            dd,
            (a0, a1, a2),
            b0,
            param,
            penalised,
            row_s2,
            allowed,
        )
        if not ok:
            return best, alpha, expect, var, kd, row_mass, False
        if top > best:
            best, alpha, expect, var, best_k = top, t_alpha, t_expect, t_var, kd
        elif top < best - eps:
            break
    return best, alpha, expect, var, best_k, row_mass, True


@njit(cache=True)
def _chi2_write(p, V, Vc, order, param, penalised, alpha, expect, var, q):
    """:func:`chi2_row`'s minimiser ``q_j = p_j (1 - c ([V]_alpha_j - E))`` in one sequential
    pass (``c = sqrt(rho) / sd`` or ``1 / (2 lam)``); a ball's zero-variance optimum puts the
    row's mass on the support's minimum."""
    n = p.shape[0]
    if var <= 0.0 and not penalised:
        v_low = np.inf
        for k in range(n):
            if p[order[k]] > 0.0:
                v_low = V[order[k]]
                break
        total = 0.0
        for j in range(n):
            if p[j] > 0.0 and V[j] == v_low:
                total += p[j]
        for j in range(n):
            q[j] = p[j] / total if (p[j] > 0.0 and V[j] == v_low) else 0.0
        return
    slope = 1.0 / (2.0 * param) if penalised else np.sqrt(param) / np.sqrt(var)
    total = 0.0
    for j in range(n):
        level = Vc[j] if Vc[j] < alpha else alpha
        w = p[j] * (1.0 - slope * (level - expect))
        if not w > 0.0:
            w = 0.0  # rounding at the clipping level, and the states outside the support
        q[j] = w
        total += w
    for j in range(n):
        q[j] /= total


@njit(cache=True, parallel=True)
def chi2_rows(P2, V, order, param, penalised, warm, slots, Q2):
    """:func:`chi2_row`'s values for every row of ``P2`` (and row ``r``'s minimiser into
    ``Q2[slots[r]]`` where ``slots[r] >= 0``), by :func:`chi2_walk_row` from a guessed
    position; rows the walk hands back are solved by :func:`chi2_row`.

    Inside a block of :data:`ROW_BLOCK` rows each row's walk starts from where the previous
    row's ended, so the minimisers of a few rows are written, bit for bit as in a pass that
    writes them all, by the same pass over every row with only their slots set.

    ``warm`` as for :func:`tv_ball_rows`: ``1 +`` the position of each row's maximising
    interval from the previous backup (0: none), updated in place; a row without one starts
    from the previous row's (the first row from the top of ``V``). ``V`` is shifted by the
    middle of its range so that the second moments do not carry its offset.
    """
    n_rows, n = P2.shape
    out = np.empty(n_rows)
    if n_rows == 0:
        return out
    v_low = V[order[0]]
    v_high = V[order[n - 1]]
    c = 0.5 * (v_low + v_high)
    Vc = V - c
    eps = CHI2_WALK_EPS * max(abs(v_low), abs(v_high))
    allowed = 0.25 * eps
    if v_low == v_high:
        # a constant V (value iteration's start): every row's value is it, and p its minimiser
        for r in range(n_rows):
            p = P2[r]
            out[r] = v_low
            if slots[r] >= 0:
                total = 0.0
                for j in range(n):
                    total += p[j]
                for j in range(n):
                    Q2[slots[r], j] = p[j] / total
        return out
    n_blocks = (n_rows + ROW_BLOCK - 1) // ROW_BLOCK
    if n_blocks == 1:  # no parallel region for one block, as in tv_ball_rows
        _chi2_block(P2, V, Vc, c, order, param, penalised, warm, slots, Q2, out, 0, allowed, eps)
        return out
    for b in prange(n_blocks):
        _chi2_block(P2, V, Vc, c, order, param, penalised, warm, slots, Q2, out, b, allowed, eps)
    return out


@njit(cache=True)
def _chi2_block(P2, V, Vc, c, order, param, penalised, warm, slots, Q2, out, b, allowed, eps):
    """Rows ``b * ROW_BLOCK ..`` of :func:`chi2_rows`, each walk from the previous row's end."""
    n_rows, n = P2.shape
    guess = n - 1
    for r in range(b * ROW_BLOCK, min(n_rows, (b + 1) * ROW_BLOCK)):
        guess = _chi2_rows_one(
            P2, V, Vc, c, order, param, penalised, warm, slots, Q2, out, r, guess, allowed, eps
        )


@njit(cache=True)
def _chi2_rows_one(
    P2, V, Vc, c, order, param, penalised, warm, slots, Q2, out, r, guess, allowed, eps
):
    """Row ``r`` of :func:`chi2_rows`; returns the guess for the next row."""
    n = order.shape[0]
    p = P2[r]
    slot = slots[r]
    want_q = slot >= 0
    g = _start_position(warm, r, guess, n)
    value, alpha, expect, var, k, mass, ok = chi2_walk_row(
        p, Vc, order, param, penalised, g, allowed, eps
    )
    if ok:
        out[r] = value + c * mass
        warm[r] = k + 1.0
        if want_q:
            _chi2_write(p, V, Vc, order, param, penalised, alpha, expect, var, Q2[slot])
        return k
    q = Q2[slot] if want_q else np.empty(1)
    out[r] = chi2_row(
        p,
        V,
        order,
        param,
        penalised,
        q,
        want_q,
        np.empty(n),
        np.empty(n),
        np.empty(n, dtype=np.int64),
        np.empty(n),
    )
    return guess


@njit(cache=True)
def robust_rows(P2, V, order, code, param, support_all, want_q, Q2, warm, slack):
    """Apply one inner problem to every row of ``P2`` (n_rows, S).

    Returns the values and the largest gap above the infima (nonzero only for
    the KL ball, whose search stops once its duality gap is below ``slack``). ``Q2`` (n_rows,
    S) receives the minimisers when ``want_q``; ``warm`` (n_rows,) holds the KL ball's dual
    variables and is updated in place (a warm start for the next backup).
    """
    n_rows, n_states = P2.shape
    out = np.empty(n_rows)
    vals = np.empty(n_states)
    probs = np.empty(n_states)
    index = np.empty(n_states, dtype=np.int64)
    tails = np.empty(n_states)
    dummy = np.empty(1)
    max_gap = 0.0
    for r in range(n_rows):
        p = P2[r]
        q = Q2[r] if want_q else dummy
        if code == TV:
            out[r] = tv_row(p, V, order, param, support_all, q, want_q)
        elif code == TV_PENALTY:
            out[r] = tv_penalty_row(p, V, order, param, support_all, q, want_q)
        elif code == KL:
            value, u, gap = kl_row(p, V, order, param, q, want_q, warm[r], slack)
            out[r] = value
            warm[r] = u
            if gap > max_gap:
                max_gap = gap
        elif code == KL_PENALTY:
            out[r] = kl_penalty_row(p, V, order, param, q, want_q)
        else:
            out[r] = chi2_row(
                p, V, order, param, code == CHI2_PENALTY, q, want_q, vals, probs, index, tails
            )
    return out, max_gap
