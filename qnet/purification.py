"""Two-to-one recurrence entanglement purification (the bilateral-CNOT family) with noisy operations.

Conventions (read this before using the outputs in another module)
------------------------------------------------------------------
* **Pairs.** ``kept`` is pair 1: at each node its qubit is the CNOT *control* and it is the pair
  that survives. ``sacrificed`` is pair 2: its qubits are the CNOT *targets*, measured in the Z
  basis at both nodes. The round succeeds when the two reported outcomes agree.
* **Bell slots.** BDS arrays are ordered ``[Φ+, Φ−, Ψ+, Ψ−]`` = Pauli errors ``[I, Z, X, Y]``
  (index ``2*x + z``). Every protocol keeps ``Φ+`` fixed, so slot 0 of the output is always
  the fidelity with ``Φ+``.
* **Variants (local-basis pre-rotations).** Before the CNOTs each pair may be rotated by a bilocal
  Clifford ``U ⊗ U*`` (``U`` at Alice, its complex conjugate at Bob). It fixes ``Φ+`` and permutes
  the error labels, choosing which single-pair error the CNOT round cannot see:

  ============ ======================================== ======================= ====================
  name         rotation of both pairs                   undetected (kept, sac.) error permutation
  ============ ======================================== ======================= ====================
  ``cnot``     none                                     Z, Z                    identity
  ``dejmps``   Rx(π/2) at Alice, Rx(−π/2) at Bob        Y, Y                    Z ↔ Y (Φ− ↔ Ψ−)
  ``hadamard`` H at Alice, H at Bob                     X, X                    X ↔ Z (Φ− ↔ Ψ+)
  ``bbpssw``   Werner twirl of both inputs, then cnot   (all errors mixed)      —
  ``mixed_ab`` kept pair rotated for ``a``, sacrificed  a, b (a ≠ b in x, y, z) per pair as above
               pair for ``b`` (six variants)
  ============ ======================================== ======================= ====================

  The circuit detects a pair of errors ``(E1 on kept, E2 on sacrificed)`` exactly when
  ``[E1 ∈ {I, a}] ≠ [E2 ∈ {I, b}]``. The other pre-rotations ``U ⊗ U*`` (the six permutations of
  X, Y, Z per pair) differ from these by an X↔Y swap of a pair, which leaves the success
  probability unchanged. Without measurement errors it only exchanges the output's Ψ+ and Ψ−
  coefficients (no figure of merit changes), so the nine ``(a, b)`` choices are all the distinct
  CNOT recurrences with Φ+-preserving bilocal Clifford pre-rotations. With measurement errors they
  are not: a flipped parity admits the configurations the check rejects, and which kept-pair
  errors come with them depends on the sacrificed pair's rotation (the disagreeing-parity terms
  ``D`` below), so a cyclic rotation of the sacrificed pair can beat every variant here (by 4e-4 in
  fidelity for ``[0.85, 0.07, 0.05, 0.03]`` at ``f = 0.99``, ``q = 0.01``). Those circuits are in
  :func:`qnet.search_circuits` and :class:`qnet.Circuit`.
* **Output frame.** By default (``rotate_back=False``) the output is the physical state after the
  circuit, i.e. in the *rotated* frame, as in the DEJMPS paper (for DEJMPS the output slots are
  ``[A²+B², 2AB, C²+D², 2CD]/N`` in our order with A, B, C, D = Φ+, Ψ−, Ψ+, Φ− coefficients).
  ``rotate_back=True`` applies the inverse rotation of the kept pair afterwards (an extra free local
  Clifford), returning the output in the input frame. The fidelity is the same in both frames;
  later memory noise with an asymmetric Pauli pattern is not. ``bbpssw`` does not twirl its output
  (apply :func:`qnet.werner_twirl` for a Werner output).
* **Noise model.** Each node's CNOT is followed by two-qubit depolarizing noise of gate fidelity
  ``f`` on that node's two qubits: ``ρ → f ρ + (1 − f) I/4 ⊗ Tr_{node}(ρ)`` (Dür–Briegel model;
  the same ``f`` at both nodes unless ``gate_fidelity_b`` is given). Each node's Z-measurement
  outcome is flipped with probability ``measurement_error`` (``measurement_error_b`` for node B).
  Local pre-rotations are ideal. On BDS inputs this gives the closed form
  (``F = f_A f_B``, ``e = q_A(1 − q_B) + (1 − q_A) q_B`` the parity-flip probability; ``f²`` and
  ``2q(1 − q)`` for equal nodes)::

      out[s] = F[(1 − e) A[s] + e D[s]] + (1 − F)/8,   p = Σ_s out[s],

  with ``A`` (agreeing parity) the noiseless numerators of :doc:`/conventions` and ``D`` the
  disagreeing-parity terms ``D = [λ0μ2+λ1μ3, λ0μ3+λ1μ2, λ2μ0+λ3μ1, λ2μ1+λ3μ0]``.
* **Zero success probability** raises ``ValueError`` in the public functions; the internal
  :func:`bds_purify` returns all-zero output rows where ``p_success == 0`` (no NaN, no warning).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _validation as _v
from ._kernels import lazy
from .measures import FigureOfMerit
from .results import Heralded, Result
from .noise import OperationNoise
from ._bell import BDS_MEASURES, bds_to_dm
from ._arguments import as_figure_of_merit, floor_rates, resolve
from ._distil import (GAIN_ATOL, PROTOCOL_OPTIONS, PROTOCOLS, UNDETECTED, baseline_values, bds_purify_checked,
                      dm_purify)

_k = lazy("purification")

__all__ = [
    "PROTOCOLS",
    "PROTOCOL_OPTIONS",
    "AUTO_TIE_ATOL",
    "UNDETECTED",
    "BASELINES",
    "FIGURES_OF_MERIT",
    "purify",
    "choose_protocol",
    "Gain",
    "purification_gain",
]


#: ``"auto"``: a later variant of :data:`PROTOCOLS` replaces the current choice only when its output fidelity is
#: higher by more than this, or equal within it and its success probability higher by more than this.
AUTO_TIE_ATOL = 1e-12

_FIDELITY = as_figure_of_merit("fidelity")  # what "auto" maximises, for Bell-diagonal states and density matrices


def _check_success(p: np.ndarray, kind: str, kept: np.ndarray, sac: np.ndarray, batch: tuple) -> None:
    zero = p <= 0.0
    if zero.any():
        idx = tuple(int(i) for i in np.argwhere(zero)[0]) if np.ndim(p) else ()
        core = 1 if kind == "bds" else 2
        k = np.broadcast_to(kept, batch + kept.shape[kept.ndim - core:])[idx]
        s = np.broadcast_to(sac, batch + sac.shape[sac.ndim - core:])[idx]
        where = f" at batch index {idx}" if idx else ""
        raise ValueError(
            f"purification fails with certainty (success probability 0){where}: the outcomes never agree for "
            f"kept={_v.show(k)} and sacrificed={_v.show(s)}; no output state exists"
        )


def purify(
    kept: Any,
    sacrificed: Any,
    protocol: str = "cnot",
    *,
    noise: OperationNoise | None = None,
    form: str = "auto",
    rotate_back: bool = False,
    noise_b: OperationNoise | None = None,
    gate_fidelity: Any = None,
    measurement_error: Any = None,
    gate_fidelity_b: Any = None,
    measurement_error_b: Any = None,
) -> Heralded:
    """Purify two (generally different) entangled pairs into one.

    Parameters
    ----------
    kept, sacrificed : array_like or qutip.Qobj
        Pair 1 (CNOT control, survives) and pair 2 (CNOT target, measured): Bell-diagonal
        states ``(..., 4)`` ordered ``[Φ+, Φ−, Ψ+, Ψ−]`` or density matrices ``(..., 4, 4)``
        (qubit A first). Batch axes broadcast. If either is a density matrix, both are
        treated as density matrices and the explicit 4-qubit circuit is run.
    protocol : str
        One of :data:`PROTOCOLS` (see the module docstring for what each leaves undetected), or ``"auto"``:
        per row, the variant giving the kept pair the highest fidelity (the rule of :func:`choose_protocol`).
        The default is the paper's plain circuit, ``"cnot"``; qnet's functions that decide for the user
        (network policies, chain distillation, :func:`qnet.pumping`) default to ``"auto"``.
    noise : OperationNoise, optional
        Operation noise of both nodes (of node A when ``noise_b`` is given): gate fidelity ``f``
        in [0, 1] of each node's CNOT (two-qubit depolarizing noise ``ρ → f ρ + (1 − f) I/4 ⊗
        Tr_node ρ`` after the gate) and the probability that a node's Z-measurement outcome is
        flipped. Array parameters broadcast with the batch. Default: ideal operations.
    form : {"auto", "bds", "dm"}
        How to read the inputs (see :func:`qnet.to_bds`).
    rotate_back : bool
        Undo the kept pair's pre-rotation on the output (default: leave the output in the
        frame after the circuit, as DEJMPS does). Irrelevant for ``cnot`` and ``bbpssw``.
    noise_b : OperationNoise, optional
        Node B's noise when it differs from node A's. The BDS closed form depends only on
        ``f_A f_B`` and on the parity-flip probability ``q_A (1 − q_B) + (1 − q_A) q_B``.
    gate_fidelity, measurement_error, gate_fidelity_b, measurement_error_b : float or array_like, optional
        Shortcuts for ``noise=OperationNoise(gate_fidelity, measurement_error)`` and the same for
        ``noise_b`` (give the noise one way, not both).

    Returns
    -------
    Heralded
        ``(state, p_success)``: the output BDS ``batch + (4,)`` (float64) or density matrix
        ``batch + (4, 4)`` (complex128), normalised, conditioned on success; and the success
        probability, float64 of shape ``batch`` (0-d for single states).

    Raises
    ------
    ValueError
        Invalid states, unknown protocol (the message lists the valid ones), parameters outside
        [0, 1], batch shapes that do not broadcast, or a success probability of 0.

    Examples
    --------
    >>> import qnet
    >>> out, p = qnet.purify(qnet.werner(0.75), qnet.werner(0.75), "bbpssw")
    >>> round(float(out[0]), 6), round(float(p), 6)   # BBPSSW: F' = 0.788462 for F = 3/4
    (0.788462, 0.722222)
    >>> out, p = qnet.purify([0.9, 0.1, 0, 0], [0.8, 0, 0.2, 0])        # Z undetected, X detected
    >>> out.round(4), round(float(p), 4)
    (array([0.9, 0.1, 0. , 0. ]), 0.8)
    >>> out, p = qnet.purify(qnet.werner([0.9, 0.8]), qnet.werner(0.85), "dejmps", gate_fidelity=0.99)
    >>> out.shape, p.shape
    ((2, 4), (2,))
    """
    _v.option(protocol, "protocol", PROTOCOL_OPTIONS)
    return _purify_read(_read_pair(kept, sacrificed, form), protocol, noise=noise, rotate_back=rotate_back,
                        noise_b=noise_b, gate_fidelity=gate_fidelity, measurement_error=measurement_error,
                        gate_fidelity_b=gate_fidelity_b, measurement_error_b=measurement_error_b)[0]


@dataclass(frozen=True)
class _Pair:
    """The two input states as read once at the public boundary: ``kept``/``sacrificed`` as given, their kinds and
    arrays, and whether the arrays are large float64 Bell-diagonal batches left for the kernel to check (then the
    arrays are the raw inputs)."""

    kept: Any
    sacrificed: Any
    form: str
    deferred: bool
    k_kind: str
    k: np.ndarray
    s_kind: str
    s: np.ndarray


def _read_pair(kept: Any, sacrificed: Any, form: str) -> _Pair:
    """Read (and, unless deferred to the kernel, validate) the two input states, once."""
    # Large float64 BDS arrays are checked inside the compiled purification (one pass over memory); their shapes
    # and every other argument are checked before it.
    deferred = _v.bds_deferrable(kept, form) and _v.bds_deferrable(sacrificed, form)
    k_kind, k = ("bds", kept) if deferred else _v.state(kept, "kept", form)
    s_kind, s = ("bds", sacrificed) if deferred else _v.state(sacrificed, "sacrificed", form)
    return _Pair(kept, sacrificed, form, deferred, k_kind, k, s_kind, s)


def _purify_read(pair: _Pair, protocol: str, *, noise: OperationNoise | None, rotate_back: bool,
                 noise_b: OperationNoise | None, gate_fidelity: Any, measurement_error: Any, gate_fidelity_b: Any,
                 measurement_error_b: Any) -> tuple[Heralded, np.ndarray | None]:
    """:func:`purify` on inputs already read by :func:`_read_pair` (never validated a second time), and the index
    into :data:`PROTOCOLS` of the variant ``"auto"`` chose (None for a named variant)."""
    if not isinstance(rotate_back, (bool, np.bool_)):
        raise TypeError(f"rotate_back must be True or False, got {type(rotate_back).__name__} {rotate_back!r}")
    k_kind, k, s_kind, s = pair.k_kind, pair.k, pair.s_kind, pair.s
    node_a = resolve(noise, gate_fidelity, measurement_error)
    f, q = np.asarray(node_a.gate_fidelity), np.asarray(node_a.measurement_error)
    if noise_b is None and gate_fidelity_b is None and measurement_error_b is None:
        fb, qb = f, q
    else:
        if noise_b is not None:
            node_b = resolve(noise_b, gate_fidelity_b, measurement_error_b, name="noise_b")
        else:  # a shortcut for one of node B's parameters leaves the other as node A's
            node_b = OperationNoise(node_a.gate_fidelity if gate_fidelity_b is None else
                                    _v.probability(gate_fidelity_b, "gate_fidelity_b"),
                                    node_a.measurement_error if measurement_error_b is None else
                                    _v.probability(measurement_error_b, "measurement_error_b"))
        fb, qb = np.asarray(node_b.gate_fidelity), np.asarray(node_b.measurement_error)
    kind = "dm" if "dm" in (k_kind, s_kind) else "bds"
    if kind == "dm":
        if k_kind == "bds":
            k = bds_to_dm(k)
        if s_kind == "bds":
            s = bds_to_dm(s)
    core = 1 if kind == "bds" else 2
    batch = _v.broadcast(
        {"kept": k, "sacrificed": s, "gate_fidelity": f, "measurement_error": q, "gate_fidelity_b": fb,
         "measurement_error_b": qb},
        core={"kept": core, "sacrificed": core},
    )
    extra = {"rotate_back": bool(rotate_back), "gate_fidelity_b": fb, "measurement_error_b": qb}
    # inputs clipped at 0 and noise weights >= 0: every BDS output entry is >= 0
    out, p, ok, choice = _run(kind, k, s, protocol, f, q, extra, check=pair.deferred)
    if not ok:  # only a deferred check can fail: the validators raise their messages
        _, k = _v.state(pair.kept, "kept", pair.form)
        _, s = _v.state(pair.sacrificed, "sacrificed", pair.form)
        out, p, ok, choice = _run(kind, k, s, protocol, f, q, extra, check=False)  # pragma: no cover
    _check_success(p, kind, k, s, batch)
    return Heralded(out, p), choice


def _run(kind: str, k: np.ndarray, s: np.ndarray, protocol: str, f: np.ndarray, q: np.ndarray, extra: dict,
         check: bool) -> tuple[np.ndarray, np.ndarray, bool, np.ndarray | None]:
    """One variant, or every variant and the choice of ``"auto"``: ``(out, p, checks passed, index into
    PROTOCOLS or None)``."""
    if protocol != "auto":
        if kind == "bds":
            return *bds_purify_checked(k, s, protocol, f, q, **extra, check=check), None
        return *dm_purify(k, s, protocol, f, q, **extra), True, None
    best = None
    for i, name in enumerate(PROTOCOLS):
        out, p, ok, _ = _run(kind, k, s, name, f, q, extra, check and i == 0)
        if not ok:
            return out, p, False, None
        fid = _FIDELITY(out, kind)
        if best is None:
            best = [out, p, fid, np.zeros(p.shape, dtype=np.int64)]
            continue
        b_out, b_p, b_fid, b_idx = best
        take = (fid > b_fid + AUTO_TIE_ATOL) | ((fid >= b_fid - AUTO_TIE_ATOL) & (p > b_p + AUTO_TIE_ATOL))
        core = (...,) + (None,) * (out.ndim - p.ndim)
        best = [np.where(take[core], out, b_out), np.where(take, p, b_p), np.where(take, fid, b_fid),
                np.where(take, i, b_idx)]
    return best[0], best[1], True, best[3]


def choose_protocol(
    kept: Any,
    sacrificed: Any,
    *,
    noise: OperationNoise | None = None,
    form: str = "auto",
    noise_b: OperationNoise | None = None,
) -> Any:
    """The variant ``protocol="auto"`` runs on these pairs: the one whose kept pair has the highest fidelity.

    The rule, row by row of a batch: the variants of :data:`PROTOCOLS` are tried in their order; a later one
    replaces the current choice only when its output fidelity is higher by more than :data:`AUTO_TIE_ATOL`
    (1e-12), or equal within it and its success probability higher by more than it. Ties therefore go to the
    earlier variant: ``cnot`` before ``dejmps`` before ``hadamard`` before ``bbpssw`` before the mixed ones.
    ``purify(..., "auto")`` returns the chosen variant's output (in its frame, as ``rotate_back`` says).

    Parameters
    ----------
    kept, sacrificed, noise, form, noise_b
        As in :func:`purify`.

    Returns
    -------
    str or numpy.ndarray of str
        The variant's name, or an array of names of the batch shape.

    Examples
    --------
    >>> import qnet
    >>> single_click = [0.9646, 0.0, 0.0177, 0.0177]       # X and Y errors, no Z: the plain circuit sees them all
    >>> qnet.choose_protocol(single_click, single_click)
    'cnot'
    >>> cnot_output = qnet.purify(qnet.werner(0.8), qnet.werner(0.8), "cnot").state
    >>> qnet.choose_protocol(cnot_output, cnot_output)     # now Z dominates: rotate it into a detected error
    'dejmps'
    >>> qnet.choose_protocol(qnet.werner([0.7, 0.9]), qnet.werner(0.8))   # Werner inputs: every variant ties
    array(['cnot', 'cnot'], dtype='<U8')
    """
    _, choice = _purify_read(_read_pair(kept, sacrificed, form), "auto", noise=noise, rotate_back=False,
                             noise_b=noise_b, gate_fidelity=None, measurement_error=None, gate_fidelity_b=None,
                             measurement_error_b=None)
    names = np.asarray(PROTOCOLS)[choice]
    return str(names) if names.ndim == 0 else names


# ================================================================ improvement analysis
#: Baselines a purified pair is compared with (see :func:`purification_gain`).
BASELINES: tuple[str, ...] = ("worse", "better", "fresher", "kept", "sacrificed", "none")
#: Figures of merit understood by :func:`purification_gain` (each has a closed form for Bell-diagonal states).
FIGURES_OF_MERIT: tuple[str, ...] = tuple(BDS_MEASURES)


@dataclass(frozen=True, repr=False)
class Gain(Result):
    """Result of :func:`purification_gain` (arrays of the batch shape).

    Attributes
    ----------
    fom, baseline : str
        Figure of merit and baseline compared.
    weighted : bool
        Whether the purified value is multiplied by the success probability.
    value : numpy.ndarray
        Figure of merit of the purified output (times ``p_success`` if weighted).
    baseline_value : numpy.ndarray
        Figure of merit of the baseline.
    gain : numpy.ndarray
        Improvement in the figure's direction: ``value - baseline_value``, or
        ``baseline_value - value`` for a figure that is better when lower (:data:`qnet.FOM_DIRECTION`).
    improves : numpy.ndarray of bool
        ``gain > GAIN_ATOL`` (ties are not improvements).
    p_success : numpy.ndarray
        Success probability of the purification.
    state : numpy.ndarray
        Purified output state.
    """

    fom: str
    baseline: str
    weighted: bool
    value: np.ndarray
    baseline_value: np.ndarray
    gain: np.ndarray
    improves: np.ndarray
    p_success: np.ndarray
    state: np.ndarray


@_v.keyword_options("fom", "baseline")
def purification_gain(
    kept: Any,
    sacrificed: Any,
    protocol: str = "cnot",
    *,
    fom: str | FigureOfMerit = "fidelity",
    baseline: str = "better",
    weighted: bool | None = None,
    fresher: str = "sacrificed",
    noise: OperationNoise | None = None,
    form: str = "auto",
    rotate_back: bool = False,
    noise_b: OperationNoise | None = None,
    gate_fidelity: Any = None,
    measurement_error: Any = None,
    gate_fidelity_b: Any = None,
    measurement_error_b: Any = None,
) -> Gain:
    """Does a successful purification improve a figure of merit over a named baseline?

    Parameters
    ----------
    kept, sacrificed, protocol, noise, form, rotate_back, noise_b
        As in :func:`purify` (batched, broadcasting); so are the shortcuts ``gate_fidelity``,
        ``measurement_error``, ``gate_fidelity_b`` and ``measurement_error_b``.
    fom : str or FigureOfMerit
        A :class:`qnet.FigureOfMerit`, or the name of one of :data:`FIGURES_OF_MERIT`: ``fidelity``,
        ``concurrence``, ``negativity``, ``log_negativity``, ``entanglement_of_formation``,
        ``relative_entropy_of_entanglement``, ``hashing_yield``, ``chsh_max``, ``fidelity_witness``,
        ``bb84_key_fraction``, ``six_state_key_fraction`` (closed forms of :mod:`qnet.measures`). The rates of
        :data:`qnet.RATE_MEASURES` (yields, key fractions) count as ``max(0, value)`` for the output and both
        inputs: below 0 a pair delivers nothing.
    baseline : str
        One of :data:`BASELINES`:

        * ``"worse"`` / ``"better"``: the input with the lower / higher figure, used alone;
        * ``"fresher"``: the input named by ``fresher`` (the more recently generated pair);
        * ``"kept"`` / ``"sacrificed"``: that input alone;
        * ``"none"``: no purification at all, both pairs used as they are. Unweighted, the
          purified figure is compared with the inputs' mean (quality of a delivered pair);
          weighted, ``p · m(out)`` is compared with ``m(kept) + m(sacrificed)`` (the figure
          delivered per two raw pairs).
    weighted : bool, optional
        Multiply the purified figure by the success probability (default: the figure's own; e.g. ``log_negativity × p``,
        the figure of Zang et al. 2025). Input baselines are not weighted (each is available
        with certainty).
    fresher : {"kept", "sacrificed"}
        Which input is the fresher one (default: the sacrificed pair, generated later).

    Returns
    -------
    Gain
        Values, baseline values, gain, an ``improves`` mask, success probability and output.

    Examples
    --------
    >>> import qnet
    >>> kept, sac = qnet.werner([0.9, 0.6]), qnet.werner(0.8)
    >>> g = qnet.purification_gain(kept, sac, "dejmps", fom="fidelity", baseline="worse")
    >>> g.value.round(4), g.baseline_value, g.improves
    (array([0.8832, 0.7285]), array([0.8, 0.6]), array([ True,  True]))
    >>> qnet.purification_gain(kept, sac, "dejmps", fom="fidelity", baseline="better").improves
    array([False, False])
    """
    _v.option(protocol, "protocol", PROTOCOL_OPTIONS)
    fom = as_figure_of_merit(fom, weighted)
    _v.option(baseline, "baseline", BASELINES)
    _v.option(fresher, "fresher", ("kept", "sacrificed"))
    pair = _read_pair(kept, sacrificed, form)
    k_kind, k, s_kind, s = pair.k_kind, pair.k, pair.s_kind, pair.s
    kind = "dm" if "dm" in (k_kind, s_kind) else "bds"
    (out, p), _ = _purify_read(pair, protocol, noise=noise, rotate_back=rotate_back, noise_b=noise_b,
                          gate_fidelity=gate_fidelity, measurement_error=measurement_error,
                          gate_fidelity_b=gate_fidelity_b, measurement_error_b=measurement_error_b)
    m_out, m_k, m_s = (floor_rates(fom.name, fom(x, c)) for x, c in ((out, kind), (k, k_kind), (s, s_kind)))
    value = m_out * p if fom.weighted else m_out
    base = baseline_values(m_k, m_s, baseline, fresher, fom.weighted, fom.sign)
    value, base = np.broadcast_arrays(value, base)
    gain = fom.sign * (value - base)
    return Gain(fom.name, baseline, fom.weighted, value, base, gain, gain > GAIN_ATOL, p, out)
