"""The arguments many entry points share, read once (engine tier, shared by every module, not public API).

Operation noise (an :class:`~qnet.OperationNoise`, or the shortcut keywords ``gate_fidelity`` and
``measurement_error``), figures of merit (a name of :data:`~qnet.MEASURES` or a :class:`~qnet.FigureOfMerit`) and
memory rates (a :class:`~qnet.PauliMemory` or an array): each is validated here, with errors that name the
parameter, so that every function that takes one reads it the same way.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from . import _validation as _v
from .measures import MEASURES, RATE_MEASURES, FigureOfMerit
from .memories import PauliMemory, T1T2Memory
from .noise import OperationNoise


def resolve(noise: Any, gate_fidelity: Any = None, measurement_error: Any = None, *,
            name: str = "noise") -> OperationNoise:
    """The operation noise of a call: ``noise`` (an :class:`OperationNoise` or ``None``), or the shortcut keywords
    ``gate_fidelity``/``measurement_error``, never both."""
    if noise is None:
        return OperationNoise(1.0 if gate_fidelity is None else gate_fidelity,
                              0.0 if measurement_error is None else measurement_error)
    if not isinstance(noise, OperationNoise):
        raise TypeError(f"{name} must be a qnet.OperationNoise or None, got {type(noise).__name__} {noise!r}")
    given = [k for k, v in (("gate_fidelity", gate_fidelity), ("measurement_error", measurement_error))
             if v is not None]
    if given:
        raise TypeError(f"give the operation noise once: {name}= or {' and '.join(given)}=, not both")
    return noise


def scalar_noise(noise: Any, name: str = "noise") -> OperationNoise:
    """A validated :class:`OperationNoise` of single numbers (``None``: ideal) for chains and networks."""
    noise = resolve(noise, name=name)
    if not noise.is_scalar:
        raise ValueError(f"{name} must hold single numbers here (one noise for every operation), got {noise!r}")
    return noise


def floor_rates(fom: str, values: Any) -> Any:
    """``max(0, values)`` for a figure of :data:`RATE_MEASURES`, the values unchanged for any other figure.

    Examples
    --------
    >>> import numpy as np
    >>> from qnet._arguments import floor_rates
    >>> floor_rates("hashing_yield", np.array([-0.3, 0.2])), floor_rates("fidelity", 0.4)
    (array([0. , 0.2]), 0.4)
    """
    return np.maximum(values, 0.0) if fom in RATE_MEASURES else values


def as_figure_of_merit(fom: Any, weighted: Any = None, name: str = "fom") -> FigureOfMerit:
    """A :class:`FigureOfMerit` from ``fom`` (one, or a name of :data:`MEASURES`) and an optional ``weighted``
    flag that overrides it."""
    if isinstance(fom, str):
        fom = FigureOfMerit.named(_v.option(fom, name, MEASURES))
    elif not isinstance(fom, FigureOfMerit):
        raise TypeError(f"{name} must be a qnet.FigureOfMerit or one of {sorted(MEASURES)}, got "
                        f"{type(fom).__name__} {fom!r}")
    if weighted is None or _v.flag(weighted, "weighted") == fom.weighted:
        return fom
    return replace(fom, weighted=bool(weighted))


def pauli_rate_array(rates: Any, name: str = "rates") -> np.ndarray:
    """Validated Pauli rates ``(..., 3)`` of a :class:`PauliMemory` or an array."""
    if isinstance(rates, PauliMemory):
        return rates.rates
    if isinstance(rates, T1T2Memory):
        raise TypeError(f"{name} must be Pauli rates here, got a T1T2Memory")
    arr = _v.nonnegative(rates, name)
    if arr.ndim == 0 or arr.shape[-1] != 3:
        raise ValueError(f"{name} must have last axis of length 3 (gamma_x, gamma_y, gamma_z), got shape {arr.shape}")
    return arr
