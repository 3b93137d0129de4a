"""Quantum memories: what a stored qubit suffers per unit time.

* :class:`PauliMemory`: continuous-time Pauli decoherence with rates ``(γx, γy, γz)`` (per unit time) in the
  Lindbladian ``L(ρ) = Σ_i γ_i (σ_i ρ σ_i − ρ)``; it keeps a Bell-diagonal pair Bell-diagonal, so every engine
  carries it.
* :class:`T1T2Memory`: amplitude damping towards ``|0⟩`` with relaxation time ``T1`` and dephasing to coherence
  time ``T2 <= 2*T1``; it leaves the Bell-diagonal family and needs density matrices.

What a memory does to a pair over a time is in :mod:`qnet.channels` (:func:`qnet.idle`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _validation as _v

__all__ = ["PauliMemory", "T1T2Memory", "pauli_rates", "depolarizing_rates", "dephasing_rates", "bit_flip_rates"]


@dataclass(frozen=True)
class PauliMemory:
    """Continuous-time Pauli memory with rates ``(gx, gy, gz)`` (per unit time, >= 0).

    Examples
    --------
    >>> import qnet
    >>> qnet.PauliMemory(0.01, 0.02, 0.5).rates
    array([0.01, 0.02, 0.5 ])
    >>> qnet.PauliMemory.depolarizing(0.3).rates
    array([0.1, 0.1, 0.1])
    >>> qnet.PauliMemory.from_pattern(1.0, (0.2, 0.3, 0.5)).rates
    array([0.2, 0.3, 0.5])
    """

    gx: float
    gy: float
    gz: float

    def __post_init__(self) -> None:
        for name in ("gx", "gy", "gz"):
            value = _v.real_number(getattr(self, name), name)
            _v.nonnegative(value, name)
            object.__setattr__(self, name, value)

    @property
    def rates(self) -> np.ndarray:
        """The rates as a float array ``[gx, gy, gz]``."""
        return np.array([self.gx, self.gy, self.gz])

    @classmethod
    def from_pattern(cls, gamma: float, pattern: tuple[float, float, float]) -> "PauliMemory":
        """Total rate ``gamma`` split by relative strengths ``(a, b, c)`` with ``a + b + c = 1``."""
        return cls(*pauli_rates(gamma, pattern).tolist())

    @classmethod
    def depolarizing(cls, gamma: float) -> "PauliMemory":
        """Depolarizing memory: ``gamma/3`` for each Pauli."""
        return cls.from_pattern(gamma, (1 / 3, 1 / 3, 1 / 3))

    @classmethod
    def dephasing(cls, gamma: float) -> "PauliMemory":
        """Pure dephasing memory: ``gz = gamma``."""
        return cls(0.0, 0.0, gamma)

    @classmethod
    def bit_flip(cls, gamma: float) -> "PauliMemory":
        """Pure bit-flip memory: ``gx = gamma``."""
        return cls(gamma, 0.0, 0.0)

    @classmethod
    def from_t2(cls, T2: float) -> "PauliMemory":
        """Pure dephasing with coherence time ``T2``: a qubit's coherence decays as ``exp(-t/T2)``, so
        ``gz = 1/(2 T2)`` (the same as ``T1T2Memory(float("inf"), T2).pauli_twirl()``).

        Examples
        --------
        >>> import qnet
        >>> qnet.PauliMemory.from_t2(0.1).rates                 # T2 = 100 ms, rates per second
        array([0., 0., 5.])
        """
        T2 = _v.real_number(T2, "T2")
        if not T2 > 0:
            raise ValueError(f"T2 must be > 0, got {T2!r}")
        return cls.dephasing(0.5 / T2)


#: Largest decay rate a memory may have (a rate times a time beyond this cannot be represented without overflow).
_MAX_RATE = 1e300


@dataclass(frozen=True)
class T1T2Memory:
    """Amplitude-damping memory with relaxation time ``T1`` and coherence time ``T2 <= 2*T1``.

    ``float("inf")`` switches a process off (``T1=inf`` is pure dephasing).
    It leaves the Bell-diagonal family, so :func:`idle` needs a density matrix.

    Examples
    --------
    >>> import qnet
    >>> qnet.T1T2Memory(T1=10.0, T2=5.0)
    T1T2Memory(T1=10.0, T2=5.0)
    """

    T1: float
    T2: float

    def __post_init__(self) -> None:
        for name in ("T1", "T2"):
            value = _v.real_number(getattr(self, name), name)
            if not value > 0 or np.isnan(value):
                raise ValueError(f"{name} must be > 0 (inf allowed), got {value!r}")
            if not np.isfinite(1.0 / float(value)) or 1.0 / float(value) > _MAX_RATE:
                raise ValueError(f"{name}={value!r} makes a decay rate 1/{name} beyond {_MAX_RATE:g}; give the time "
                                 f"in a unit where it is at least {1 / _MAX_RATE:g}")
            object.__setattr__(self, name, float(value))
        if self.T2 > 2 * self.T1:
            raise ValueError(f"T2 must be <= 2*T1 (physical T1/T2 memory), got T1={self.T1!r}, T2={self.T2!r}")

    def pauli_twirl(self) -> PauliMemory:
        """The Pauli memory with the same Pauli-diagonal action: the single-qubit Pauli twirl of the T1/T2 channel.

        The channel's Pauli-transfer eigenvalues are ``ηx = ηy = exp(-t/T2)`` and ``ηz = exp(-t/T1)``; the Pauli
        memory with those eigenvalues at every ``t`` has ``γx = γy = 1/(4 T1)`` and ``γz = 1/(2 T2) - 1/(4 T1)``
        (>= 0 because ``T2 <= 2 T1``). The twirl drops the relaxation towards ``|0⟩`` (the non-unital part), which
        is what the Bell-diagonal engines can carry; how much that changes a result is a question for the
        density-matrix path.

        Examples
        --------
        >>> import qnet
        >>> qnet.T1T2Memory(T1=1.0, T2=0.5).pauli_twirl()
        PauliMemory(gx=0.25, gy=0.25, gz=0.75)
        """
        g1 = 0.0 if np.isinf(self.T1) else 0.25 / self.T1
        return PauliMemory(g1, g1, max(0.0, 0.5 / self.T2 - g1))


# ---------------------------------------------------------------- rates from a total and a pattern
def pauli_rates(gamma: Any, pattern: Any) -> np.ndarray:
    """Pauli rates ``gamma * (a, b, c)`` from a total rate and a point of the simplex.

    Parameters
    ----------
    gamma : float or array_like
        Total rate ``γ = γx + γy + γz`` (>= 0).
    pattern : array_like, shape (..., 3)
        Relative strengths ``(a, b, c)``, each >= 0, summing to 1 (tolerance 1e-9).

    Returns
    -------
    numpy.ndarray
        Rates of shape ``broadcast(gamma, pattern[..., 0]) + (3,)``.

    Examples
    --------
    >>> import qnet
    >>> qnet.pauli_rates(2.0, (0.0, 0.0, 1.0))
    array([0., 0., 2.])
    """
    gamma = _v.nonnegative(gamma, "gamma")
    pattern = _v.nonnegative(pattern, "pattern")
    if pattern.ndim == 0 or pattern.shape[-1] != 3:
        raise ValueError(f"pattern must have last axis of length 3 (a, b, c), got shape {pattern.shape}")
    total = pattern.sum(axis=-1)
    off = np.abs(total - 1.0) > _v.TRACE_ATOL
    if off.any():
        raise ValueError(f"pattern (a, b, c) must lie on the simplex a + b + c = 1, got sum {_v.first_bad(total, off)}")
    _v.broadcast({"gamma": gamma, "pattern": pattern}, core={"pattern": 1})
    return gamma[..., None] * pattern


def depolarizing_rates(gamma: Any) -> np.ndarray:
    """Rates ``(γ/3, γ/3, γ/3)`` of a depolarizing memory with total rate ``gamma``.

    Examples
    --------
    >>> import qnet
    >>> qnet.depolarizing_rates(3.0)
    array([1., 1., 1.])
    """
    return pauli_rates(gamma, (1 / 3, 1 / 3, 1 / 3))


def dephasing_rates(gamma: Any) -> np.ndarray:
    """Rates ``(0, 0, γ)`` of a pure-dephasing memory.

    Examples
    --------
    >>> import qnet
    >>> qnet.dephasing_rates(0.5)
    array([0. , 0. , 0.5])
    """
    return pauli_rates(gamma, (0.0, 0.0, 1.0))


def bit_flip_rates(gamma: Any) -> np.ndarray:
    """Rates ``(γ, 0, 0)`` of a pure bit-flip memory.

    Examples
    --------
    >>> import qnet
    >>> qnet.bit_flip_rates(2.0)
    array([2., 0., 0.])
    """
    return pauli_rates(gamma, (1.0, 0.0, 0.0))
