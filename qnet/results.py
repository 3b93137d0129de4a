"""What every result type of qnet shares: a short ``repr`` and a JSON-able ``to_dict()``.

Results are frozen dataclasses; their arrays (delivery-time distributions of thousands of steps, batches
of states) are shown in ``repr`` by shape only, and ``to_dict()`` gives plain JSON data (lists, numbers,
strings; non-finite floats by name), e.g. to save a result next to a figure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import PurePath
from typing import Any, NamedTuple

import numpy as np

__all__ = ["Result", "Heralded"]


def jsonable(value: Any, nonfinite: Callable[[float], Any] = repr) -> Any:
    """Plain-JSON form of numpy values, containers and dataclasses.

    JSON has no inf or nan: a non-finite float becomes ``nonfinite(value)``, by default its readable
    name (``"nan"``); hashing uses a tagged form instead, so that it never equals a string.
    """
    if isinstance(value, Mapping):
        return {str(k): jsonable(v, nonfinite) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v, nonfinite) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist(), nonfinite)
    if isinstance(value, np.generic):
        return jsonable(value.item(), nonfinite)
    if isinstance(value, float) and not np.isfinite(value):
        return nonfinite(value)
    if hasattr(value, "__dataclass_fields__"):
        return {k: jsonable(getattr(value, k), nonfinite) for k in value.__dataclass_fields__}
    if isinstance(value, PurePath):
        return str(value)
    return value


def _short(value: Any) -> str:
    if isinstance(value, Result):
        return repr(value)
    if isinstance(value, np.ndarray):
        if value.size <= 4:
            return np.array2string(value, precision=6, separator=", ")
        return f"<array {value.shape} {value.dtype}>"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    if isinstance(value, (list, tuple)) and len(value) > 6:
        return f"<{type(value).__name__} of {len(value)}>"
    return repr(value)


class Result:
    """Base of qnet's frozen result dataclasses: a short ``repr`` (arrays by shape) and ``to_dict()``.

    Examples
    --------
    >>> import qnet
    >>> r = qnet.chain_delivery(("swap",), 0.5, 1.0, 0.9, 100.0, t_trunc=2000)
    >>> len(repr(r)) < 400, isinstance(r, qnet.Result)
    (True, True)
    >>> import json
    >>> sorted(json.loads(json.dumps(r.to_dict())))[:3]
    ['coverage', 'cut_type', 'cutoff']
    """

    __slots__ = ()

    def to_dict(self) -> dict:
        """The result as plain JSON data (arrays as lists, non-finite floats by name)."""
        return jsonable(self)

    def __repr__(self) -> str:
        fields = getattr(self, "__dataclass_fields__", {})
        shown = [f"{k}={_short(getattr(self, k))}" for k, f in fields.items() if f.repr]
        return f"{type(self).__name__}({', '.join(shown)})"


class Heralded(NamedTuple):
    """What a heralded two-pair operation returns (:func:`qnet.purify`, :func:`qnet.swap`, :func:`qnet.swap_chain`).

    A named tuple, so ``state, p = qnet.purify(...)`` unpacks it.

    Attributes
    ----------
    state : numpy.ndarray
        The output pair, conditioned on success: Bell-diagonal ``batch + (4,)`` (float64) or a density
        matrix ``batch + (4, 4)`` (complex128).
    p_success : numpy.ndarray
        Success probability of the operation, float64 of shape ``batch`` (0-d for single states).

    Examples
    --------
    >>> import qnet
    >>> out = qnet.swap(qnet.werner(0.9), qnet.werner(0.9), bsm="linear_optics")
    >>> out.state.shape, float(out.p_success)
    ((4,), 0.5)
    """

    state: np.ndarray
    p_success: np.ndarray

    def to_dict(self) -> dict:
        """The result as plain JSON data."""
        return jsonable(self._asdict())


def content_hash(*parts: Any) -> str:
    """Identity of a problem (16 hex digits of SHA-256): arrays by dtype, shape and bytes, everything else by
    its JSON form (engine tier, not in ``__all__``)."""
    import hashlib
    import json

    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, np.ndarray):
            a = np.ascontiguousarray(part)
            h.update(f"{a.dtype.str}{a.shape}".encode() + a.tobytes())
        else:
            h.update(json.dumps(jsonable(part, lambda x: {"nonfinite": repr(x)}), sort_keys=True).encode())
        h.update(b"|")
    return h.hexdigest()[:16]
