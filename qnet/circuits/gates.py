"""The gates, local Cliffords and checks a distillation circuit is written with (how each acts on the pairs' Pauli
errors is in ``_frame``, the validation of a circuit's steps in ``_steps``)."""

from __future__ import annotations

import numpy as np

from .._bell import PAULI_BY_LETTER

__all__ = ["GATES", "LOCAL_CLIFFORDS", "MEASUREMENT_BASES"]


_I = PAULI_BY_LETTER["I"]


def _controlled(p: str, q: str) -> np.ndarray:
    """The two-qubit unitary ``"PCQ"``: ``Q`` on the second qubit when the first is in the ``-1`` eigenspace of P."""
    P, Q = PAULI_BY_LETTER[p], PAULI_BY_LETTER[q]
    return np.kron((_I + P) / 2, _I) + np.kron((_I - P) / 2, Q)


#: Two-qubit bilateral gates by name (``"PCQ"``, and the aliases ``"CNOT"`` and ``"CZ"``).
GATES: dict[str, np.ndarray] = {f"{p}C{q}": _controlled(p, q) for p in "XYZ" for q in "XYZ"}
GATES["CNOT"], GATES["CZ"] = GATES["ZCX"], GATES["ZCZ"]

#: Local bilateral Cliffords by name.
LOCAL_CLIFFORDS: dict[str, np.ndarray] = {
    "h": np.array([[1, 1], [1, -1]], dtype=np.complex128) / np.sqrt(2),
    "rx": np.array([[1, -1j], [-1j, 1]], dtype=np.complex128) / np.sqrt(2),
}

#: Measurement bases of a coincidence check.
MEASUREMENT_BASES = ("X", "Y", "Z")
