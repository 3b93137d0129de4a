"""Entanglement swapping with two pulsed SPDC sources: exact Gaussian model with threshold detectors.

Setup (Herbst et al., PNAS 112, 14202 (2015); Kaltenbaek et al., PRA 79, 040302 (2009)):
source 1 emits polarization-entangled photons into arms ``a`` and ``b``, source 2
into ``c`` and ``d``. Photons ``b`` and ``c`` meet at a 50:50 beam splitter whose
outputs are analysed in H/V by threshold detectors (linear-optics Bell-state
measurement, BSM): orthogonal polarizations in different outputs herald ``Ψ−``,
in the same output ``Ψ+``. Photons ``a`` and ``d`` are measured in the H/V,
±45° (P/M) or circular (R/L) basis; ``d`` may cross a lossy channel.

Method (exact, no photon-number truncation). Each source is a pair of two-mode
squeezed vacua, ``(a_H, b_V)`` and ``(a_V, b_H)`` with opposite phases, whose
lowest-order term is the Bell state ``Ψ−``; every optical element (loss,
beam splitter, wave plates, polarizing beam splitters, mode mismatch) is a
Gaussian channel acting on the 2n×2n covariance matrix (vacuum = identity).
A set S of modes is empty with probability ``1/√det((V_S + I)/2)``; a threshold
detector covering modes S does not click with probability
``(1 − d) · P(S empty)`` (dark counts independent, probability ``d`` per
detection window); the probability that a given set of detectors all click
follows by inclusion–exclusion over its subsets. The covariance is carried as
its excess over the vacuum, and the remote detector's click is taken from the
covariance conditioned on the other detectors' silence (a Schur complement),
never as a difference of two vacuum probabilities, so 32 dB on arm ``d`` costs
no precision: the witness is smooth to 1e-10 there (it jumped by 2e-7 between
neighbouring pump levels when the remote click was such a difference), and to
about 1e-9 at μ = 0.005 with 10 % arm efficiencies, where the inclusion–exclusion
over the local detectors cancels to (μη)³.

Assumptions (stated, not hidden):

* each source emits a single spectral-temporal mode per pulse (thermal pair
  statistics; narrow filtering makes the BSM photons close to single mode).
  ``mean_pairs`` is the mean number of pairs per pulse, ``μ = 2 sinh²r``;
* both sources are pumped to the same ``mean_pairs`` unless ``mean_pairs_2`` is given;
* ``mode_overlap`` ``M = |⟨φ_b|φ_c⟩|²`` is the indistinguishability of the two BSM
  photons: c's mode is split into a part that interferes with b (weight M)
  and an orthogonal part that reaches the same detectors without interfering.
  It also absorbs other imperfections that reduce the low-pump visibility;
* efficiencies are per arm (coupling, filters, detector), applied before the
  optics (loss commutes with passive optics for equal efficiencies in a
  detection group); the channel loss multiplies arm ``d``;
* a four-fold event = the two BSM detectors of one pattern, one detector at
  ``a`` and one at ``d`` all click within one window (other detectors are not
  inspected, as in coincidence counting).

Visibilities are correlations of the four-fold counts signed relative to the
heralded Bell state (``Ψ−``: anticorrelated in all bases; ``Ψ+``:
anticorrelated in H/V, correlated in P/M and R/L), ``V = ±(N_same − N_diff)/N``.
For any two-qubit state the fidelity with the target is
``F = (1 + V_HV + V_PM + V_RL)/4`` and the witness of the experiment is
``W = 1/2 − F`` (W < 0 certifies entanglement).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np

from . import _validation as _v
from .results import Result
from .limits import MAX_MEAN_PAIRS

__all__ = ["SPDCSwapping", "SPDCSwappingResult", "spdc_two_fold_probability", "spdc_mean_pairs", "SPDC_BASES"]

#: Measurement bases of the swapped photons, in the order of the visibility axis.
SPDC_BASES = ("HV", "PM", "RL")

_S2 = 1.0 / math.sqrt(2.0)
# Rows: basis vectors (outcome 0, outcome 1) in the (H, V) basis.
_BASIS_VECTORS = {
    "HV": np.array([[1.0, 0.0], [0.0, 1.0]], dtype=complex),
    "PM": np.array([[_S2, _S2], [_S2, -_S2]], dtype=complex),
    "RL": np.array([[_S2, 1j * _S2], [_S2, -1j * _S2]], dtype=complex),
}
# Sign of the ideal correlation E = <σ⊗σ> of the heralded Bell state per basis.
_IDEAL_SIGN = {"psi-": {"HV": -1, "PM": -1, "RL": -1}, "psi+": {"HV": -1, "PM": 1, "RL": 1}}

# ---------------------------------------------------------------- Gaussian toolkit (xxpp ordering, vacuum = I)
# The covariance is tracked as its excess over the vacuum, Δ = V − I, so that small pair probabilities keep
# full relative precision: passive optics map Δ → O Δ Oᵀ, pure loss Δ → X Δ X (no additive term), and the
# probability that modes S are empty is exp(L) with L = −½ Σ log1p(eig(Δ_S / 2)). Inclusion–exclusion is then
# summed over expm1(L) terms (the constant parts cancel exactly), which keeps four-fold probabilities accurate
# to ~1e-16 relative to the pair probability rather than to 1.

# Mode indices.
_AH, _AV, _BH, _BV, _CH, _CV, _DH, _DV, _CPH, _CPV, _BPH, _BPV = range(12)
_NMODES = 12


def _sources(n: int, squeezers: list[tuple[int, int, np.ndarray, float]]) -> np.ndarray:
    """Excess covariance Δ of two-mode squeezed vacua exp(sign·r (a_i† a_j† − h.c.)) on disjoint mode pairs."""
    batch = np.shape(squeezers[0][2])
    D = np.zeros(batch + (2 * n, 2 * n))
    for i, j, r, sign in squeezers:
        diag = 2.0 * np.sinh(r) ** 2  # cosh 2r − 1
        off = sign * np.sinh(2.0 * r)
        for k in (i, j):
            D[..., k, k] = diag
            D[..., n + k, n + k] = diag
        D[..., i, j] = D[..., j, i] = off
        D[..., n + i, n + j] = D[..., n + j, n + i] = -off
    return D


def _passive(D: np.ndarray, modes: list[int], U: np.ndarray) -> np.ndarray:
    """Apply a passive linear-optics unitary U (a_out = U a_in) on the listed modes."""
    n = D.shape[-1] // 2
    O = np.eye(2 * n)
    m = np.asarray(modes)
    O[np.ix_(m, m)] = U.real
    O[np.ix_(m, n + m)] = -U.imag
    O[np.ix_(n + m, m)] = U.imag
    O[np.ix_(n + m, n + m)] = U.real
    return O @ D @ O.T


def _loss(D: np.ndarray, mode: int, eta: float) -> np.ndarray:
    """Pure loss with transmissivity eta on one mode: V → X V X + (1 − η) I, i.e. Δ → X Δ X."""
    n = D.shape[-1] // 2
    x = np.ones(2 * n)
    x[mode] = x[n + mode] = math.sqrt(eta)
    return D * x[:, None] * x[None, :]


def _log_p_vacuum(D: np.ndarray, modes: tuple[int, ...]) -> np.ndarray:
    """log P(all listed modes empty) = −½ log det(I + Δ_S/2)."""
    if not modes:
        return np.zeros(D.shape[:-2])
    n = D.shape[-1] // 2
    idx = np.array(list(modes) + [n + k for k in modes])
    sub = 0.5 * D[..., idx[:, None], idx[None, :]]
    return -0.5 * np.log1p(np.linalg.eigvalsh(sub)).sum(axis=-1)


def _p_vacuum(D: np.ndarray, modes: tuple[int, ...]) -> np.ndarray:
    """Probability that all listed modes are empty."""
    return np.exp(_log_p_vacuum(D, modes))


def _log_quiet(dark: float, count: int = 1) -> float:
    """log of the probability that ``count`` detectors give no dark count."""
    if count == 0:
        return 0.0
    return count * math.log1p(-dark) if dark < 1 else -math.inf


def _cached_log_vacuum(D: np.ndarray, modes: tuple[int, ...], cache: dict) -> np.ndarray:
    if modes not in cache:
        cache[modes] = _log_p_vacuum(D, modes)
    return cache[modes]


def _click_given_silent(D: np.ndarray, silent: tuple[int, ...], pivot: tuple[int, ...], log_quiet: float,
                        cache: dict) -> np.ndarray:
    """Probability that a detector on the modes ``pivot`` clicks, given that the modes ``silent`` are empty.

    Projecting modes onto the vacuum leaves a Gaussian state whose excess covariance on the pivot is the Schur
    complement ``Δ_A − C (Δ_B + 2I)⁻¹ Cᵀ``. Loss on the pivot scales both terms, so the result keeps full relative
    precision however rarely the pivot clicks (a 32 dB channel); a difference of two vacuum probabilities
    would lose it.
    """
    key = ("click", silent, pivot, log_quiet)
    if key in cache:
        return cache[key]
    n = D.shape[-1] // 2
    a = np.array(list(pivot) + [n + k for k in pivot])
    cond = D[..., a[:, None], a[None, :]]
    if silent:
        b = np.array(list(silent) + [n + k for k in silent])
        C = D[..., a[:, None], b[None, :]]
        B = D[..., b[:, None], b[None, :]] + 2.0 * np.eye(len(b))
        cond = cond - C @ np.linalg.solve(B, np.swapaxes(C, -1, -2))
    log_vacuum = -0.5 * np.log1p(np.linalg.eigvalsh(0.5 * cond)).sum(axis=-1)
    cache[key] = -np.expm1(log_quiet + log_vacuum)
    return cache[key]


def _all_click(D: np.ndarray, detectors: list[tuple[int, ...]], dark: list[float],
               cache: dict | None = None) -> np.ndarray:
    """Probability that every listed detector (a tuple of modes each) clicks; inclusion–exclusion.

    With the last detector as pivot: P = Σ_{T ⊆ C∖{last}} (−1)^|T| Π_{t∈T}(1 − d_t) P(T empty) ·
    P(last clicks | T empty), the conditional click probability from :func:`_click_given_silent`, so a rarely
    clicking last detector (the remote one) keeps full relative precision. ``cache`` (a dict, valid for one
    ``D``) reuses the vacuum probabilities of mode sets shared between several detector patterns.
    """
    cache = {} if cache is None else cache
    total = np.zeros(D.shape[:-2])
    *others, last = range(len(detectors))
    for size in range(len(others) + 1):
        for T in combinations(others, size):
            modes = tuple(sorted(m for t in T for m in detectors[t]))
            log_silent = sum(_log_quiet(dark[t]) for t in T) + _cached_log_vacuum(D, modes, cache)
            h = _click_given_silent(D, modes, detectors[last], _log_quiet(dark[last]), cache)
            total = total + (-1) ** size * np.exp(log_silent) * h
    return total


def _heralded_event(D: np.ndarray, bsm: tuple[tuple[int, ...], ...], heralding: list[tuple[int, int]],
                    dark_local: float, dark_remote: float, cache: dict) -> np.ndarray:
    """Probability that a detector of ``a``, a detector of ``d`` and a heralding pair of BSM detectors click.

    The counted patterns are every (a detector, heralding pair, d detector), so their union is the
    product event "a fires" ∧ "d fires" ∧ "the set C of clicking BSM detectors contains a heralding
    pair". Summing over such exact sets C, with "exactly C" = ∧_{i∈C} click_i ∧ ∧_{i∉C} silent_i
    expanded by inclusion–exclusion, every term is the probability that a set Q of BSM detectors and
    a subset X of arm ``a`` are silent, times the conditional probability that arm ``d`` fires
    (:func:`_click_given_silent`); its coefficient is ``(−1)^|X| Σ_{C ⊇ B∖Q, C heralds} (−1)^{|Q|−|B∖C|}``.
    """
    k = len(bsm)
    heralds = [any(all((c >> i) & 1 for i in pair) for pair in heralding) for c in range(1 << k)]
    arm_a, arm_d = (_AH, _AV), (_DH, _DV)
    total = np.zeros(D.shape[:-2])
    for q in range(1 << k):
        # silent set Q = S ∪ (B∖C) with S ⊆ C: C ⊇ B∖Q, S = Q ∩ C
        coef = 0
        for c in range(1 << k):
            if heralds[c] and (~c & ((1 << k) - 1)) & ~q == 0:
                coef += (-1) ** bin(q & c).count("1")
        if coef == 0:
            continue
        quiet = [bsm[i] for i in range(k) if (q >> i) & 1]
        for x in (0, 1):
            modes = tuple(sorted(m for det in quiet + ([arm_a] if x else []) for m in det))
            log_silent = _log_quiet(dark_local, len(quiet) + 2 * x) + _cached_log_vacuum(D, modes, cache)
            h = _click_given_silent(D, modes, arm_d, _log_quiet(dark_remote, 2), cache)
            total = total + coef * (-1) ** x * np.exp(log_silent) * h
    return total


# ---------------------------------------------------------------- closed forms for one source
def _mean_pairs(value: Any, name: str) -> np.ndarray:
    return _v.in_interval(value, name, 0.0, MAX_MEAN_PAIRS, low_open=True)


def spdc_two_fold_probability(mean_pairs: Any, efficiency_a: Any, efficiency_b: Any,
                              dark_count_probability: Any = 0.0) -> np.ndarray:
    """Probability per pulse that both arms of one polarization-entangled SPDC source click.

    Each arm is one polarization-insensitive threshold detector (both polarization
    modes on it), with dark-count probability ``d`` per detection window. With ``n = μ/2`` mean photons
    per mode (two thermal two-mode squeezed vacua):
    ``P = 1 − P0a − P0b + P0ab`` with ``P0a = (1−d)/(1 + η_a n)²``,
    ``P0ab = (1−d)²/(1 + n(η_a + η_b − η_a η_b))²``.

    Examples
    --------
    >>> import qnet
    >>> p = qnet.spdc_two_fold_probability(1e-4, 1.0, 1.0)
    >>> round(float(p) / 1e-4, 3)   # single pair, perfect detection: P ≈ μ
    1.0
    """
    mu = _mean_pairs(mean_pairs, "mean_pairs")
    ea = _v.probability(efficiency_a, "efficiency_a")
    eb = _v.probability(efficiency_b, "efficiency_b")
    d = _v.probability(dark_count_probability, "dark_count_probability")
    _v.broadcast({"mean_pairs": mu, "efficiency_a": ea, "efficiency_b": eb, "dark_count_probability": d})
    return _two_fold(mu, ea, eb, d)


def _two_fold(mu, ea, eb, d):
    n = 0.5 * mu
    p0a = (1 - d) / (1 + ea * n) ** 2
    p0b = (1 - d) / (1 + eb * n) ** 2
    p0ab = (1 - d) ** 2 / (1 + n * (ea + eb - ea * eb)) ** 2
    return 1.0 - p0a - p0b + p0ab


def spdc_mean_pairs(two_fold_rate_hz: Any, repetition_rate_hz: float, efficiency_a: float,
                    efficiency_b: float) -> np.ndarray:
    """Mean pairs per pulse that give a measured two-fold coincidence rate (inverse of the closed form).

    Parameters
    ----------
    two_fold_rate_hz : float or array_like
        Coincidence rate of one source (> 0, below the repetition rate's reach).
    repetition_rate_hz : float
        Pump pulse rate (> 0).
    efficiency_a, efficiency_b : float
        Heralding (arm) efficiencies in (0, 1].

    Examples
    --------
    >>> import qnet
    >>> mu = qnet.spdc_mean_pairs(130e3, 80e6, 0.2, 0.2)
    >>> round(float(mu), 5)   # R/(f η_a η_b) = 0.0406, less the multi-pair accidentals
    0.03922
    """
    rate = _v.positive(two_fold_rate_hz, "two_fold_rate_hz")
    f = _v.scalar(_v.positive, repetition_rate_hz, "repetition_rate_hz")
    ea = _v.scalar(_v.probability, efficiency_a, "efficiency_a", zero_ok=False)
    eb = _v.scalar(_v.probability, efficiency_b, "efficiency_b", zero_ok=False)
    target = rate / f
    cap = 1.0 - 1e-12
    bad = target >= cap
    if bad.any():
        raise ValueError(f"two_fold_rate_hz must be below repetition_rate_hz, got {_v.first_bad(rate, bad)}")
    reach = _two_fold(MAX_MEAN_PAIRS, ea, eb, 0.0)
    bad = target > reach
    if bad.any():
        raise ValueError(
            f"two_fold_rate_hz {_v.first_bad(rate, bad)} needs more than MAX_MEAN_PAIRS={MAX_MEAN_PAIRS:g} pairs per "
            f"pulse with efficiency_a={ea!r}, efficiency_b={eb!r} (at most {reach * f:.6g} Hz)"
        )
    from scipy.optimize import brentq

    out = np.empty_like(target)
    for i, t in np.ndenumerate(target):
        hi = 1.0
        while _two_fold(hi, ea, eb, 0.0) < t:
            hi = min(2.0 * hi, MAX_MEAN_PAIRS)
        out[i] = brentq(lambda m: _two_fold(m, ea, eb, 0.0) - t, 0.0, hi, xtol=1e-15, rtol=1e-13)
    return out


# ---------------------------------------------------------------- the swapping model
@dataclass(frozen=True, repr=False)
class SPDCSwappingResult(Result):
    """Output of :meth:`SPDCSwapping.evaluate`; arrays have the shape of ``mean_pairs`` (+ (3,) for bases).

    Attributes
    ----------
    mean_pairs : numpy.ndarray
        Mean pairs per pulse of source 1 (the scan variable).
    visibility : numpy.ndarray
        ``(..., 3)``: visibilities in the bases ``SPDC_BASES`` = (HV, PM, RL).
    mean_visibility, fidelity, witness : numpy.ndarray
        Mean of the three; ``F = (1 + ΣV)/4``; ``W = 1/2 − F``.
    fourfold_probability : numpy.ndarray
        Probability per pulse of a heralded four-fold event: at least one detector of ``a``, one of
        ``d`` and a heralding pair of BSM detectors click (any analyser outcome), averaged over the
        three basis settings. Always in [0, 1].
    fourfold_probability_per_basis : numpy.ndarray
        ``(..., 3)``: the same for each basis setting (HV, PM, RL).
    fourfold_counts_per_basis : numpy.ndarray
        ``(..., 3)``: expected number of registered four-fold coincidences per pulse, summed over the
        detector patterns (one ``a`` detector, a heralding BSM pair, one ``d`` detector), as
        coincidence counters register them: a pulse that fires two patterns counts twice. The
        visibilities are correlations of these counts. Equal to the probability to first order in
        ``mean_pairs``; it exceeds 1 at pump levels where several pairs per pulse are the rule.
    fourfold_rate_hz : numpy.ndarray
        Registered four-fold coincidences per second: the counts averaged over the bases times the
        repetition rate.
    twofold_rate_hz : numpy.ndarray
        Two-fold coincidence rate of source 1 alone (arms a and b; local calibration).
    """

    mean_pairs: np.ndarray
    visibility: np.ndarray
    mean_visibility: np.ndarray
    fidelity: np.ndarray
    witness: np.ndarray
    fourfold_probability: np.ndarray
    fourfold_rate_hz: np.ndarray
    twofold_rate_hz: np.ndarray
    fourfold_probability_per_basis: np.ndarray
    fourfold_counts_per_basis: np.ndarray


@dataclass(frozen=True)
class SPDCSwapping:
    """Hardware of a two-source SPDC entanglement-swapping experiment (see the module docstring).

    Parameters
    ----------
    efficiency_a, efficiency_b, efficiency_c, efficiency_d : float
        Total detection efficiency of each arm (coupling, filters, detectors), in [0, 1].
    mode_overlap : float
        Indistinguishability M of the two BSM photons, in [0, 1].
    channel_loss_db : float
        Extra loss on arm ``d`` (>= 0), e.g. the 143 km free-space link.
    dark_count_probability : float
        Per detector and coincidence window at the local detectors (arms a, b, c), in [0, 1].
    remote_dark_count_probability : float
        Same for the two detectors of arm ``d`` (background light and dark counts).
    repetition_rate_hz : float
        Pump pulse rate (> 0), 80 MHz in Herbst et al.
    bsm : {"both", "psi-", "psi+"}
        Which BSM outcomes herald: ``Ψ−`` and ``Ψ+`` (success 1/2), or one of them (1/4 each); the
        visibilities are signed relative to the heralded state, so ``"psi+"`` gives the swapped ``Ψ+``.

    Examples
    --------
    >>> import qnet
    >>> model = qnet.SPDCSwapping(mode_overlap=0.9)
    >>> res = model.evaluate(1e-3)
    >>> res.visibility.round(3)   # single-pair limit: V_HV = 1, V_PM = V_RL = M (derived in the tests)
    array([0.998, 0.898, 0.898])
    """

    efficiency_a: float = 1.0
    efficiency_b: float = 1.0
    efficiency_c: float = 1.0
    efficiency_d: float = 1.0
    mode_overlap: float = 1.0
    channel_loss_db: float = 0.0
    dark_count_probability: float = 0.0
    remote_dark_count_probability: float = 0.0
    repetition_rate_hz: float = 80e6
    bsm: str = "both"

    def __post_init__(self) -> None:
        for name in ("efficiency_a", "efficiency_b", "efficiency_c", "efficiency_d", "mode_overlap",
                     "dark_count_probability", "remote_dark_count_probability", "channel_loss_db",
                     "repetition_rate_hz"):
            value = _v.real_number(getattr(self, name), name)
            if name == "channel_loss_db":
                _v.nonnegative(value, name)
            elif name == "repetition_rate_hz":
                _v.positive(value, name)
            else:
                _v.probability(value, name)
            object.__setattr__(self, name, float(value))
        _v.option(self.bsm, "bsm", ("both", "psi-", "psi+"))

    def _covariance(self, mu1: np.ndarray, mu2: np.ndarray) -> np.ndarray:
        """Excess covariance Δ = V − I after sources, losses, mode mismatch and the BSM beam splitter."""
        r1 = np.arcsinh(np.sqrt(0.5 * mu1))
        r2 = np.arcsinh(np.sqrt(0.5 * mu2))
        V = _sources(_NMODES, [(_AH, _BV, r1, +1.0), (_AV, _BH, r1, -1.0), (_CH, _DV, r2, +1.0),
                               (_CV, _DH, r2, -1.0)])
        eta_d = self.efficiency_d * 10.0 ** (-self.channel_loss_db / 10.0)
        for modes, eta in (((_AH, _AV), self.efficiency_a), ((_BH, _BV), self.efficiency_b),
                           ((_CH, _CV), self.efficiency_c), ((_DH, _DV), eta_d)):
            for m in modes:
                V = _loss(V, m, eta)
        M = self.mode_overlap
        rot = np.array([[math.sqrt(M), -math.sqrt(1 - M)], [math.sqrt(1 - M), math.sqrt(M)]], dtype=complex)
        V = _passive(V, [_CH, _CPH], rot)
        V = _passive(V, [_CV, _CPV], rot)
        bs = np.array([[_S2, _S2], [_S2, -_S2]], dtype=complex)
        for pair in ((_BH, _CH), (_BV, _CV), (_BPH, _CPH), (_BPV, _CPV)):
            V = _passive(V, list(pair), bs)
        return V

    def evaluate(self, mean_pairs: Any, mean_pairs_2: Any = None) -> SPDCSwappingResult:
        """Visibilities, fidelity, witness and four-fold rate at the given pump level(s).

        Parameters
        ----------
        mean_pairs : float or array_like
            Mean pairs per pulse of source 1, in (0, MAX_MEAN_PAIRS]; arrays give a pump scan.
        mean_pairs_2 : float or array_like, optional
            Mean pairs per pulse of source 2 (default: equal to source 1).

        Returns
        -------
        SPDCSwappingResult
        """
        mu1 = _mean_pairs(mean_pairs, "mean_pairs")
        mu2 = mu1 if mean_pairs_2 is None else _mean_pairs(mean_pairs_2, "mean_pairs_2")
        shape = _v.broadcast({"mean_pairs": mu1, "mean_pairs_2": mu2})
        mu1 = np.broadcast_to(mu1, shape).reshape(-1)
        mu2 = np.broadcast_to(mu2, shape).reshape(-1)
        base = self._covariance(mu1, mu2)
        dl, dr = self.dark_count_probability, self.remote_dark_count_probability
        # BSM detectors (port, polarization) -> modes; ports 3 = (b+c)/√2 outputs, 4 = (b−c)/√2.
        d3h, d3v, d4h, d4v = (_BH, _BPH), (_BV, _BPV), (_CH, _CPH), (_CV, _CPV)
        patterns = {"psi-": [(d3h, d4v), (d3v, d4h)], "psi+": [(d3h, d3v), (d4h, d4v)]}
        used = ("psi-", "psi+") if self.bsm == "both" else (self.bsm,)
        vis = np.empty(mu1.shape + (3,))
        p4b = np.empty(mu1.shape + (3,))
        union = np.empty(mu1.shape + (3,))
        bsm_all = (d3h, d3v, d4h, d4v)
        heralding = [tuple(bsm_all.index(d) for d in pair) for outcome in used for pair in patterns[outcome]]
        for ib, basis in enumerate(SPDC_BASES):
            U = np.conj(_BASIS_VECTORS[basis])
            V = _passive(base, [_AH, _AV], U)
            V = _passive(V, [_DH, _DV], U)
            signed = np.zeros(mu1.shape)
            total = np.zeros(mu1.shape)
            cache: dict = {}
            for outcome in used:
                for bsm_dets in patterns[outcome]:
                    for oa in (0, 1):
                        for od in (0, 1):
                            dets = [(_AH if oa == 0 else _AV,), *bsm_dets, (_DH if od == 0 else _DV,)]
                            p = _all_click(V, dets, [dl, dl, dl, dr], cache)
                            corr = 1.0 if oa == od else -1.0
                            signed += _IDEAL_SIGN[outcome][basis] * corr * p
                            total += p
            vis[:, ib] = signed / total
            p4b[:, ib] = total
            union[:, ib] = _heralded_event(V, bsm_all, heralding, dl, dr, cache)
        vis = vis.reshape(shape + (3,))
        p4b = p4b.reshape(shape + (3,))
        union = np.clip(union.reshape(shape + (3,)), 0.0, 1.0)
        F = 0.25 * (1.0 + vis.sum(axis=-1))
        two = _two_fold(mu1.reshape(shape), self.efficiency_a, self.efficiency_b, dl)
        return SPDCSwappingResult(
            mean_pairs=mu1.reshape(shape),
            visibility=vis,
            mean_visibility=vis.mean(axis=-1),
            fidelity=F,
            witness=0.5 - F,
            fourfold_probability=union.mean(axis=-1),
            fourfold_rate_hz=p4b.mean(axis=-1) * self.repetition_rate_hz,
            twofold_rate_hz=two * self.repetition_rate_hz,
            fourfold_probability_per_basis=union,
            fourfold_counts_per_basis=p4b,
        )
