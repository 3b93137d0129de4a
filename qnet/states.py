"""Two-qubit states: Bell-diagonal arrays, density matrices and QuTiP interop.

A Bell-diagonal state (BDS) is a float array whose last axis has length 4,
ordered ``[Φ+, Φ−, Ψ+, Ψ−]``; leading axes are batch axes. Slot ``k = 2*x + z``
is also the Pauli error ``[I, Z, X, Y]`` on one qubit of ``|Φ+⟩`` (``x`` the
bit-flip bit, ``z`` the phase-flip bit). A general two-qubit state is a complex
density matrix of shape ``(..., 4, 4)`` in the basis ``|00⟩, |01⟩, |10⟩, |11⟩``
with qubit A (Alice) first.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _validation as _v
from ._bell import BELL_VECTORS, bds_to_dm, dm_to_bds, werner_rows

__all__ = [
    "BELL_LABELS",
    "BELL_VECTORS",
    "werner",
    "bell_diagonal",
    "bell_state",
    "to_density_matrix",
    "to_bds",
    "twirl",
    "werner_twirl",
    "to_qobj",
    "from_qobj",
]

#: Names of the four Bell-diagonal slots, in qnet's order.
BELL_LABELS = ("Phi+", "Phi-", "Psi+", "Psi-")


def werner(F: Any) -> np.ndarray:
    """Werner state of fidelity ``F`` as a Bell-diagonal array.

    Parameters
    ----------
    F : float or array_like
        Fidelity with ``|Φ+⟩``, in [0, 1]. Arrays give a batch of states.

    Returns
    -------
    numpy.ndarray
        float64 array of shape ``np.shape(F) + (4,)``: ``[F, (1-F)/3, (1-F)/3, (1-F)/3]``.

    Raises
    ------
    ValueError
        If any ``F`` is outside [0, 1] or not finite.

    Examples
    --------
    >>> import qnet
    >>> qnet.werner(0.85)
    array([0.85, 0.05, 0.05, 0.05])
    >>> qnet.werner([1.0, 0.25]).shape
    (2, 4)
    """
    return werner_rows(_v.probability(F, "F"))


def bell_diagonal(coeffs: Any) -> np.ndarray:
    """Validated Bell-diagonal state from its four coefficients.

    Parameters
    ----------
    coeffs : array_like, shape (..., 4)
        Weights of ``[Φ+, Φ−, Ψ+, Ψ−]``; non-negative, each state summing to 1
        within ``1e-9``.

    Returns
    -------
    numpy.ndarray
        float64 copy of shape ``(..., 4)``.

    Raises
    ------
    ValueError
        Wrong last axis, negative or non-finite entries, or sums off 1.
    TypeError
        Non-numeric or complex input.

    Examples
    --------
    >>> import qnet
    >>> qnet.bell_diagonal([0.9, 0.05, 0.03, 0.02])
    array([0.9 , 0.05, 0.03, 0.02])
    """
    return np.array(_v.bds(coeffs, "coeffs"), dtype=np.float64, copy=True)


def bell_state(label: str) -> np.ndarray:
    """The pure Bell state ``label`` (one of ``"Phi+", "Phi-", "Psi+", "Psi-"``) as a BDS.

    Examples
    --------
    >>> import qnet
    >>> qnet.bell_state("Psi-")
    array([0., 0., 0., 1.])
    """
    _v.option(label, "label", BELL_LABELS)
    out = np.zeros(4)
    out[BELL_LABELS.index(label)] = 1.0
    return out


def to_density_matrix(state: Any) -> np.ndarray:
    """Density matrix of a Bell-diagonal state.

    Parameters
    ----------
    state : array_like, shape (..., 4)
        Bell-diagonal state(s).

    Returns
    -------
    numpy.ndarray
        complex128 array of shape ``(..., 4, 4)``, ``Σ_k λ_k |B_k⟩⟨B_k|``.

    Examples
    --------
    >>> import qnet
    >>> rho = qnet.to_density_matrix(qnet.bell_state("Phi+"))
    >>> rho.real.round(2)
    array([[0.5, 0. , 0. , 0.5],
           [0. , 0. , 0. , 0. ],
           [0. , 0. , 0. , 0. ],
           [0.5, 0. , 0. , 0.5]])
    """
    lam = _v.bds(state, "state")
    return bds_to_dm(lam)


def to_bds(rho: Any) -> np.ndarray:
    """Bell-basis diagonal of a two-qubit state (its Pauli twirl).

    The result is the Bell-diagonal state obtained by applying a random
    bilateral Pauli operation ``P⊗P*`` (the twirl that removes every
    off-diagonal element in the Bell basis); its fidelity equals the input's.

    Parameters
    ----------
    rho : array_like or qutip.Qobj, shape (..., 4, 4)
        Density matrix (matrices).

    Returns
    -------
    numpy.ndarray
        float64 array of shape ``(..., 4)``.

    Examples
    --------
    >>> import numpy as np, qnet
    >>> rho = np.diag([0.5, 0, 0, 0.5]).astype(complex)   # classically correlated |00>,|11>
    >>> qnet.to_bds(rho)
    array([0.5, 0.5, 0. , 0. ])
    """
    rho = _v.density_matrix(rho, "rho")
    return np.maximum(dm_to_bds(rho), 0.0)


#: Alias of :func:`to_bds`: the Bell-diagonal twirl of a two-qubit state.
twirl = to_bds


def werner_twirl(state: Any) -> np.ndarray:
    """Depolarize a state to Werner form, keeping its fidelity.

    This is the ``U⊗U*`` twirl used by BBPSSW: the result is
    ``werner(fidelity(state))``. Accepts a BDS ``(..., 4)``; apply
    :func:`to_bds` first for density matrices.

    Examples
    --------
    >>> import qnet
    >>> qnet.werner_twirl([0.8, 0.2, 0.0, 0.0])
    array([0.8       , 0.06666667, 0.06666667, 0.06666667])
    """
    lam = _v.bds(state, "state")
    return werner_rows(lam[..., 0])


def to_qobj(state: Any, form: str = "auto"):
    """QuTiP ``Qobj`` (dims ``[[2, 2], [2, 2]]``) of a BDS or a density matrix.

    A batch of states gives a list of ``Qobj`` (nested like the batch axes).

    Examples
    --------
    >>> import qnet
    >>> q = qnet.to_qobj(qnet.werner(0.9))
    >>> q.dims
    [[2, 2], [2, 2]]
    """
    import qutip

    kind, arr = _v.state(state, "state", form)
    rho = bds_to_dm(arr) if kind == "bds" else arr

    def build(r):
        if r.ndim == 2:
            return qutip.Qobj(r, dims=[[2, 2], [2, 2]])
        return [build(x) for x in r]

    return build(rho)


def from_qobj(qobj) -> np.ndarray:
    """Validated complex ``(4, 4)`` density matrix of a two-qubit QuTiP ``Qobj`` (a ket is turned into ``|ψ⟩⟨ψ|``).

    Examples
    --------
    >>> import qutip, qnet
    >>> ket = (qutip.tensor(qutip.basis(2, 0), qutip.basis(2, 0)) + qutip.tensor(qutip.basis(2, 1), qutip.basis(2, 1))).unit()
    >>> qnet.to_bds(qnet.from_qobj(ket)).round(12)
    array([1., 0., 0., 0.])
    """
    if not _v.is_qobj(qobj):
        raise TypeError(f"qobj must be a qutip.Qobj, got {type(qobj).__name__}")
    return _v.density_matrix(qobj, "qobj")
