"""Operation noise: the imperfections of the local gates and measurements of a node.

One record, :class:`OperationNoise`, describes them for every operation qnet models: the bilateral
CNOTs and measurements of a purification (``qnet.purify``), the Bell measurement of a swap
(``qnet.swap``), the distillations of a repeater chain (``qnet.RepeaterChain``) and the nodes of a
network (node attribute ``noise``).

* ``gate_fidelity`` ``f``: after each two-qubit gate, the two qubits of a node are depolarized,
  ``ρ → f ρ + (1 − f) I/4 ⊗ Tr_node ρ`` (for a swap: the two measured qubits).
* ``measurement_error`` ``q``: each measured outcome bit is reported flipped with probability ``q``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _validation as _v

__all__ = ["OperationNoise", "IDEAL"]


@dataclass(frozen=True, eq=False)
class OperationNoise:
    """Noise of a node's local operations: gate fidelity and measurement error, validated on construction.

    Parameters
    ----------
    gate_fidelity : float or array_like
        Fidelity ``f`` in [0, 1] of each two-qubit gate (two-qubit depolarizing noise after the gate).
        Arrays broadcast with the batch of the states they act on.
    measurement_error : float or array_like
        Probability ``q`` in [0, 1] that a measured bit is reported flipped. Broadcasts.

    Examples
    --------
    >>> import qnet
    >>> noise = qnet.OperationNoise(gate_fidelity=0.99, measurement_error=0.01)
    >>> noise
    OperationNoise(gate_fidelity=0.99, measurement_error=0.01)
    >>> out, p = qnet.purify(qnet.werner(0.9), qnet.werner(0.9), "dejmps", noise=noise)
    >>> round(float(out[0]), 6)
    0.916597
    >>> qnet.OperationNoise(gate_fidelity=1.2)
    Traceback (most recent call last):
    ...
    ValueError: gate_fidelity must lie in [0.0, 1.0], got 1.2
    """

    gate_fidelity: Any = 1.0
    measurement_error: Any = 0.0

    def __post_init__(self) -> None:
        for name in ("gate_fidelity", "measurement_error"):
            arr = _v.probability(getattr(self, name), name)
            if arr.ndim == 0:
                value: Any = float(arr)
            else:
                value = np.array(arr, dtype=np.float64)
                value.setflags(write=False)
            object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        def show(v: Any) -> str:
            return repr(v) if isinstance(v, float) else f"<array {np.shape(v)}>"

        return f"OperationNoise(gate_fidelity={show(self.gate_fidelity)}, measurement_error={show(self.measurement_error)})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, OperationNoise):
            return NotImplemented
        return all(np.array_equal(getattr(self, n), getattr(other, n)) for n in ("gate_fidelity", "measurement_error"))

    __hash__ = None  # type: ignore[assignment]  # may hold arrays

    @property
    def is_ideal(self) -> bool:
        """True when every gate is perfect and no outcome is misreported."""
        return bool(np.all(np.asarray(self.gate_fidelity) == 1.0) and np.all(np.asarray(self.measurement_error) == 0.0))

    @property
    def is_scalar(self) -> bool:
        """True when both parameters are single numbers (one noise for every operation)."""
        return isinstance(self.gate_fidelity, float) and isinstance(self.measurement_error, float)

    def worst(self, other: "OperationNoise") -> "OperationNoise":
        """The noisier of two scalar records, parameter by parameter (lower fidelity, higher error).

        Examples
        --------
        >>> import qnet
        >>> qnet.OperationNoise(0.99, 0.0).worst(qnet.OperationNoise(1.0, 0.02))
        OperationNoise(gate_fidelity=0.99, measurement_error=0.02)
        """
        return OperationNoise(float(np.minimum(self.gate_fidelity, other.gate_fidelity)),
                              float(np.maximum(self.measurement_error, other.measurement_error)))


#: Perfect operations.
IDEAL = OperationNoise()
