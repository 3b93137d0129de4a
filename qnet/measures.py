"""Figures of merit of two-qubit states: fidelity, entanglement measures, CHSH, key fractions.

Each function accepts a Bell-diagonal state ``(..., 4)`` or a density matrix
``(..., 4, 4)`` (or a QuTiP ``Qobj``) and returns a float array of the batch
shape. BDS inputs use closed forms (``λmax`` is the largest Bell coefficient,
``h`` the binary entropy, logs base 2):

=============================  ==========================================  ==================================
measure                        Bell-diagonal closed form                   general density matrix
=============================  ==========================================  ==================================
fidelity                       ``λ0``                                      ``⟨Φ+|ρ|Φ+⟩``
concurrence                    ``max(0, 2 λmax − 1)``                      Wootters
negativity                     ``max(0, λmax − 1/2)``                      ``Σ |negative eigenvalues of ρ^TB|``
log_negativity                 ``log2(2 λmax)`` if ``λmax > 1/2``          ``log2 ||ρ^TB||_1``
entanglement_of_formation      ``h(1/2 + √(1−C²)/2)``                      same, with Wootters' C
``relative_entropy_...``       ``1 − h(λmax)`` if ``λmax ≥ 1/2``           BDS only
hashing_yield                  ``1 − H(λ)``                                of the Bell-diagonal twirl
chsh_max                       Horodecki: ``2 √(m1 + m2)``                 same, from the correlation matrix
fidelity_witness               ``1/2 − F``                                 same
bb84_key_fraction              ``max(0, 1 − h(e_x) − h(e_z))``             from the QBERs
six_state_key_fraction         ``max(0, 1 − H(λ))``                        of the Bell-diagonal twirl
=============================  ==========================================  ==================================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from . import _validation as _v
from ._bell import (BDS_MEASURES, BELL_VECTORS, bds_bb84, bds_chsh, bds_concurrence, bds_eof, bds_fidelity,
                    bds_hashing, bds_log_negativity, bds_negativity, bds_ree, bds_six_state, bds_witness,
                    chsh_from_squares, dm_to_bds, eof_from_concurrence, h2)

__all__ = [
    "fidelity",
    "concurrence",
    "negativity",
    "log_negativity",
    "entanglement_of_formation",
    "relative_entropy_of_entanglement",
    "hashing_yield",
    "chsh_max",
    "fidelity_witness",
    "bb84_key_fraction",
    "six_state_key_fraction",
    "binary_entropy",
    "MEASURES",
    "FOM_DIRECTION",
    "RATE_MEASURES",
    "fom_sign",
    "FigureOfMerit",
]


def binary_entropy(p: Any) -> np.ndarray:
    """Binary entropy ``h(p) = −p log2 p − (1−p) log2(1−p)`` with ``0 log 0 = 0``.

    Examples
    --------
    >>> import qnet
    >>> float(qnet.binary_entropy(0.5))
    1.0
    """
    return h2(_v.probability(p, "p"))


# ---------------------------------------------------------------- density-matrix forms (unvalidated)
_SYSY = np.kron([[0, -1j], [1j, 0]], [[0, -1j], [1j, 0]])
_PHI_PLUS = BELL_VECTORS[0]
_SIGMAS = np.array([[[0, 1], [1, 0]], [[0, -1j], [1j, 0]], [[1, 0], [0, -1]]], dtype=np.complex128)
_SIGMA_PAIRS = np.einsum("iab,jcd->ijacbd", _SIGMAS, _SIGMAS).reshape(3, 3, 4, 4)


def _dm_fidelity(rho):
    return np.einsum("i,...ij,j->...", _PHI_PLUS, rho, _PHI_PLUS).real


def _dm_concurrence(rho):
    # Wootters' λ_i (square roots of the eigenvalues of ρ ρ̃, ρ̃ = (σy⊗σy) ρ* (σy⊗σy)) are the singular
    # values of τ = Wᵀ (σy⊗σy) W for any factor ρ = W W†: ρ ρ̃ shares its non-zero eigenvalues with
    # W† ρ̃ W = τ† τ. Taking singular values directly avoids square roots of eigenvalues near 0,
    # which turn rounding noise of 1e-17 into errors of 1e-8 for pure and low-rank states.
    w, v = np.linalg.eigh(rho)
    W = v * np.sqrt(np.clip(w, 0.0, None))[..., None, :]
    tau = np.swapaxes(W, -1, -2) @ _SYSY @ W
    lam = np.linalg.svd(tau, compute_uv=False)  # descending
    return np.maximum(0.0, lam[..., 0] - lam[..., 1] - lam[..., 2] - lam[..., 3])


def _partial_transpose(rho):
    r = rho.reshape(rho.shape[:-2] + (2, 2, 2, 2))
    return np.swapaxes(r, -3, -1).reshape(rho.shape)


def _pt_eigs(rho):
    return np.linalg.eigvalsh(_partial_transpose(rho))


def _dm_negativity(rho):
    e = _pt_eigs(rho)
    return -np.minimum(e, 0.0).sum(axis=-1)


def _dm_log_negativity(rho):
    return np.maximum(0.0, np.log2(np.maximum(np.abs(_pt_eigs(rho)).sum(axis=-1), 1.0)))


def _dm_eof(rho):
    return eof_from_concurrence(_dm_concurrence(rho))


def _dm_chsh(rho):
    T = np.einsum("ijab,...ba->...ij", _SIGMA_PAIRS, rho).real
    m = np.linalg.eigvalsh(np.swapaxes(T, -1, -2) @ T)
    return chsh_from_squares(m)


def _dm_ree(rho):
    raise ValueError(
        "relative_entropy_of_entanglement has a closed form for Bell-diagonal states only; pass "
        "qnet.to_bds(rho) for the value of the twirled state (a lower bound, twirling being LOCC)"
    )


def _twirled(fn):
    return lambda rho: fn(np.maximum(dm_to_bds(rho), 0.0))


def _measure(name: str, bds_fn: Callable, dm_fn: Callable, doc: str) -> Callable:
    def measure(state: Any, *, form: str = "auto") -> np.ndarray:
        kind, arr = _v.state(state, "state", form)
        out = bds_fn(arr) if kind == "bds" else dm_fn(arr)
        return out if np.ndim(out) else float(out)

    measure.__name__ = measure.__qualname__ = name
    measure.__doc__ = doc
    return measure


_PARAMS = """
    Parameters
    ----------
    state : array_like or qutip.Qobj
        Bell-diagonal state(s) ``(..., 4)`` or density matrix (matrices) ``(..., 4, 4)``.
    form : {"auto", "bds", "dm"}
        How to read ``state``; ``"auto"`` decides from dtype and shape and asks when ambiguous.

    Returns
    -------
    float or numpy.ndarray
        float64 of the batch shape (a Python float for a single state).
"""

fidelity = _measure("fidelity", bds_fidelity, _dm_fidelity, f"""Fidelity ``⟨Φ+|ρ|Φ+⟩`` with the target Bell state.
{_PARAMS}
    Examples
    --------
    >>> import qnet
    >>> qnet.fidelity(qnet.werner(0.9))
    0.9
""")

concurrence = _measure("concurrence", bds_concurrence, _dm_concurrence, f"""Concurrence: ``max(0, 2 λmax − 1)`` for a BDS, Wootters' formula for a density matrix.
{_PARAMS}
    Examples
    --------
    >>> import qnet
    >>> round(qnet.concurrence(qnet.werner(0.9)), 12)
    0.8
""")

negativity = _measure("negativity", bds_negativity, _dm_negativity, f"""Negativity ``(||ρ^TB||_1 − 1)/2``: ``max(0, λmax − 1/2)`` for a BDS.
{_PARAMS}
    Examples
    --------
    >>> import qnet
    >>> qnet.negativity(qnet.bell_state("Psi-"))
    0.5
""")

log_negativity = _measure("log_negativity", bds_log_negativity, _dm_log_negativity, f"""Logarithmic negativity ``log2 ||ρ^TB||_1``: ``log2(2 λmax)`` for a BDS with ``λmax > 1/2``, else 0.
{_PARAMS}
    Examples
    --------
    >>> import qnet
    >>> qnet.log_negativity(qnet.bell_state("Phi+"))
    1.0
""")

entanglement_of_formation = _measure("entanglement_of_formation", bds_eof, _dm_eof, f"""Entanglement of formation ``h(1/2 + √(1 − C²)/2)`` from the (Wootters) concurrence ``C``.
{_PARAMS}
    Examples
    --------
    >>> import qnet
    >>> qnet.entanglement_of_formation(qnet.bell_state("Phi+"))
    1.0
""")

relative_entropy_of_entanglement = _measure(
    "relative_entropy_of_entanglement", bds_ree, _dm_ree,
    f"""Relative entropy of entanglement of a BDS: ``1 − h(λmax)`` for ``λmax ≥ 1/2``, else 0.

    Density matrices raise ``ValueError`` (no closed form); use ``qnet.to_bds``.
{_PARAMS}
    Examples
    --------
    >>> import qnet
    >>> round(qnet.relative_entropy_of_entanglement(qnet.werner(0.5)), 12)
    0.0
""")

hashing_yield = _measure("hashing_yield", bds_hashing, _twirled(bds_hashing), f"""Yield ``1 − H(λ)`` of the hashing protocol (negative where hashing distils nothing).

    A density matrix is first twirled to its Bell-diagonal part.
{_PARAMS}
    Examples
    --------
    >>> import qnet
    >>> qnet.hashing_yield(qnet.bell_state("Phi+"))
    1.0
""")

chsh_max = _measure("chsh_max", bds_chsh, _dm_chsh, f"""Largest CHSH value over measurement settings (Horodecki criterion ``2 √(m1 + m2)``).

    ``m1, m2`` are the two largest eigenvalues of ``TᵀT`` with ``T_ij = Tr(ρ σ_i⊗σ_j)``;
    a value above 2 violates the CHSH inequality.
{_PARAMS}
    Examples
    --------
    >>> import qnet
    >>> round(qnet.chsh_max(qnet.bell_state("Phi+")), 12)
    2.828427124746
""")

fidelity_witness = _measure("fidelity_witness", bds_witness, lambda rho: 0.5 - _dm_fidelity(rho), f"""Expectation of the fidelity witness ``W = 1/2 − |Φ+⟩⟨Φ+|``; negative values certify entanglement.
{_PARAMS}
    Examples
    --------
    >>> import qnet
    >>> round(qnet.fidelity_witness(qnet.werner(0.8)), 12)
    -0.3
""")

bb84_key_fraction = _measure("bb84_key_fraction", bds_bb84, _twirled(bds_bb84), f"""Asymptotic BB84 secret-key fraction ``max(0, 1 − h(e_x) − h(e_z))``.

    ``e_z = λ(Ψ+) + λ(Ψ−)`` and ``e_x = λ(Φ−) + λ(Ψ−)`` are the error rates in the
    Z and X bases (for a density matrix they are its twirl's).
{_PARAMS}
    Examples
    --------
    >>> import qnet
    >>> qnet.bb84_key_fraction(qnet.bell_state("Phi+"))
    1.0
""")

six_state_key_fraction = _measure("six_state_key_fraction", bds_six_state, _twirled(bds_six_state), f"""Asymptotic six-state secret-key fraction (one-way post-processing): ``max(0, 1 − H(λ))``.
{_PARAMS}
    Examples
    --------
    >>> import qnet
    >>> qnet.six_state_key_fraction(qnet.bell_state("Phi+"))
    1.0
""")

#: Figures of merit by name (the names other functions accept as ``fom=``).
MEASURES: dict[str, Callable] = {
    "fidelity": fidelity,
    "concurrence": concurrence,
    "negativity": negativity,
    "log_negativity": log_negativity,
    "entanglement_of_formation": entanglement_of_formation,
    "relative_entropy_of_entanglement": relative_entropy_of_entanglement,
    "hashing_yield": hashing_yield,
    "chsh_max": chsh_max,
    "fidelity_witness": fidelity_witness,
    "bb84_key_fraction": bb84_key_fraction,
    "six_state_key_fraction": six_state_key_fraction,
}


#: Direction of every figure of merit: ``"maximize"`` (better when higher) or ``"minimize"`` (better
#: when lower: the fidelity witness ``1/2 − F`` is negative for the states it certifies).
FOM_DIRECTION: dict[str, str] = {name: "minimize" if name == "fidelity_witness" else "maximize" for name in MEASURES}


#: Figures that are rates of what a pair delivers (distilled pairs per pair, key bits per pair). Below 0 a pair
#: delivers nothing, so every improvement count (:func:`qnet.purification_gain`, the studies' tables) uses
#: ``max(0, value)`` for these: a negative yield times a success probability below 1, or a
#: less negative yield, is not a gain.
RATE_MEASURES: tuple[str, ...] = ("hashing_yield", "bb84_key_fraction", "six_state_key_fraction")


def fom_sign(fom: str) -> float:
    """``+1.0`` for a figure of merit that is better when higher, ``-1.0`` for one better when lower.

    Every optimizer and every gain in qnet works on ``fom_sign(fom) * value``, so that an improvement
    is always positive.

    Parameters
    ----------
    fom : str
        Name of a figure of merit, a key of :data:`MEASURES`.

    Examples
    --------
    >>> import qnet
    >>> qnet.fom_sign("fidelity"), qnet.fom_sign("fidelity_witness")
    (1.0, -1.0)
    """
    _v.option(fom, "fom", FOM_DIRECTION)
    return 1.0 if FOM_DIRECTION[fom] == "maximize" else -1.0


#: Range of every named figure of merit over all two-qubit states.
_BOUNDS: dict[str, tuple[float, float]] = {
    **dict.fromkeys(MEASURES, (0.0, 1.0)),
    "negativity": (0.0, 0.5),
    "hashing_yield": (-1.0, 1.0),
    "chsh_max": (0.0, 2.0 * np.sqrt(2.0)),
    "fidelity_witness": (-0.5, 0.5),
}
_DIRECTIONS = ("maximize", "minimize")


@dataclass(frozen=True)
class FigureOfMerit:
    """What a purification is judged by: a function of the delivered state, its direction and range.

    Every optimizer and gain of qnet takes one as ``fom=`` (a name of :data:`MEASURES` is the shortcut
    for :meth:`named`). Gains and optima are taken in the figure's direction, so that an improvement is
    always positive.

    Parameters
    ----------
    name : str
        Label used in results and figures.
    function : callable
        Maps Bell-diagonal states ``(..., 4)`` to values ``(...)`` (vectorized; no validation needed).
    direction : {"maximize", "minimize"}
        Whether higher or lower values are better.
    bounds : (float, float)
        Range of the values over all states (used to bound truncated expectations).
    weighted : bool
        Multiply the value by the operation's success probability (a failure counts as 0).
    dm_function : callable, optional
        The same figure for density matrices ``(..., 4, 4)``; without it, density-matrix inputs are refused.

    Examples
    --------
    >>> import numpy as np, qnet
    >>> fom = qnet.FigureOfMerit.named("log_negativity", weighted=True)
    >>> fom.direction, fom.bounds
    ('maximize', (0.0, 1.0))
    >>> infidelity = qnet.FigureOfMerit("infidelity", lambda lam: 1 - lam[..., 0], "minimize", (0.0, 1.0))
    >>> float(infidelity(qnet.werner(0.9)))
    0.09999999999999998
    >>> fom.sign, infidelity.sign
    (1.0, -1.0)
    """

    name: str
    function: Callable[[np.ndarray], np.ndarray]
    direction: str = "maximize"
    bounds: tuple[float, float] = (-np.inf, np.inf)
    weighted: bool = False
    dm_function: Callable[[np.ndarray], np.ndarray] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"name must be a non-empty string, got {self.name!r}")
        for attr in ("function", "dm_function"):
            value = getattr(self, attr)
            if not callable(value) and not (attr == "dm_function" and value is None):
                raise TypeError(f"{attr} must be callable, got {type(value).__name__} {value!r}")
        _v.option(self.direction, "direction", _DIRECTIONS)
        bounds = _v.as_array(self.bounds, "bounds")
        if bounds.shape != (2,) or bounds.dtype.kind not in "iuf":
            raise TypeError(f"bounds must be two real numbers (low, high), got {self.bounds!r}")
        lo, hi = float(bounds[0]), float(bounds[1])
        if not lo < hi:
            raise ValueError(f"bounds must satisfy low < high, got {self.bounds!r}")
        object.__setattr__(self, "bounds", (lo, hi))
        object.__setattr__(self, "weighted", _v.flag(self.weighted, "weighted"))

    @classmethod
    def named(cls, name: str, *, weighted: bool = False) -> "FigureOfMerit":
        """The named figure of merit of :data:`MEASURES` (closed forms for Bell-diagonal states).

        Examples
        --------
        >>> import qnet
        >>> qnet.FigureOfMerit.named("fidelity_witness").direction
        'minimize'
        """
        _v.option(name, "fom", MEASURES)
        measure = MEASURES[name]
        return cls(name, BDS_MEASURES[name], FOM_DIRECTION[name], _BOUNDS[name], weighted,
                   lambda rho: np.asarray(measure(rho, form="dm")))

    @property
    def sign(self) -> float:
        """``+1.0`` when higher is better, ``-1.0`` when lower is better."""
        return 1.0 if self.direction == "maximize" else -1.0

    @property
    def bound(self) -> float:
        """Largest absolute value the figure takes."""
        return max(abs(self.bounds[0]), abs(self.bounds[1]))

    def __call__(self, state: np.ndarray, kind: str = "bds") -> np.ndarray:
        """Values of validated states: Bell-diagonal (``kind="bds"``) or density matrices (``"dm"``), checked before
        they steer anything: real, finite, one per state, inside :attr:`bounds` (within 1e-9)."""
        if kind == "bds":
            return self._checked(self.function(state), np.shape(state)[:-1])
        if self.dm_function is None:
            raise ValueError(f"the figure of merit {self.name!r} has no dm_function, so it cannot judge density "
                             "matrices; give one, or pass Bell-diagonal states")
        return self._checked(self.dm_function(state), np.shape(state)[:-2])

    def _checked(self, values: Any, batch: tuple) -> np.ndarray:
        arr = np.asarray(values)
        if arr.dtype.kind not in "iuf" or arr.dtype == bool:
            raise TypeError(f"the figure of merit {self.name!r} must return real numbers, got {arr.dtype} "
                            f"{repr(values)[:80]}")
        arr = arr.astype(np.float64, copy=False)
        if arr.shape != batch:
            try:
                arr = np.broadcast_to(arr, batch)
            except ValueError:
                raise ValueError(f"the figure of merit {self.name!r} must return one value per state (shape {batch}), "
                                 f"got shape {arr.shape}") from None
        bad = ~np.isfinite(arr)
        if bad.any():
            raise ValueError(f"the figure of merit {self.name!r} returned {float(arr[bad].flat[0])!r}; it must be finite")
        lo, hi = self.bounds
        slack = 1e-9 * max(1.0, abs(lo) if np.isfinite(lo) else 1.0, abs(hi) if np.isfinite(hi) else 1.0)
        out = (arr < lo - slack) | (arr > hi + slack)
        if out.any():
            raise ValueError(f"the figure of merit {self.name!r} returned {float(arr[out].flat[0])!r}, outside its bounds "
                             f"{self.bounds}")
        return arr
