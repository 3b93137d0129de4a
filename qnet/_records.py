"""Records and identities (engine tier, shared by every module, not part of the public API).

Values made JSON-ready, files written whole or not at all, CSV text that spreadsheets do not run, and the content
hash that names a problem or a piece of work: what results, studies and sweeps write and how they recognise it.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path, PurePath
from typing import Any

import numpy as np


def jsonable(value: Any, nonfinite: Callable[[float], Any] = repr) -> Any:
    """Plain-JSON form of numpy values, containers and dataclasses.

    JSON has no inf or nan: a non-finite float becomes ``nonfinite(value)``, by default its readable
    name (``"nan"``); hashing uses a tagged form instead, so that it never equals a string.
    """
    if isinstance(value, Mapping):
        out = {str(k): jsonable(v, nonfinite) for k, v in value.items()}
        if len(out) < len(value):  # e.g. {1: 2, "1": 3}: JSON keys are text, and two keys would become one
            raise ValueError(f"keys {sorted(map(repr, value))[:6]} of a mapping read the same as text; JSON would keep "
                             f"only one of them")
        return out
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
    if callable(getattr(value, "to_dict", None)):  # e.g. a qnet.Schedule
        return jsonable(value.to_dict(), nonfinite)
    return value


def open_partial(path: Any, mode: str = "w", **kw) -> tuple[Path, Any]:
    """A fresh temporary file beside ``path``, opened for writing by exclusive creation (never through an existing
    name or link): ``(its path, the open file)``. It keeps ``path``'s suffix; the caller renames it to ``path``."""
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.partial-{os.getpid()}-{next(_PARTIAL)}{path.suffix}")
    return tmp, open(tmp, mode.replace("w", "x"), **kw)


@contextlib.contextmanager
def replacing(path: Any, mode: str = "w", **kw):
    """Write ``path`` whole or not at all: a fresh temporary file beside it (:func:`open_partial`) that replaces
    ``path`` when the block ends, and is removed when it fails."""
    tmp, fh = open_partial(path, mode, **kw)
    try:
        with fh:
            yield fh
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


_PARTIAL = itertools.count()


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value: str) -> str:
    """A free-text cell that a spreadsheet cannot run as a formula: a leading ``=``, ``+``, ``-``, ``@``,
    tab or carriage return is escaped with a ``'`` (numbers are written as numbers and never pass here). Every CSV
    qnet writes passes its text cells through here."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def content_hash(*parts: Any) -> str:
    """Identity of a problem (16 hex digits of SHA-256): arrays by dtype, shape and bytes, everything else by
    its JSON form."""
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, np.ndarray):
            a = np.ascontiguousarray(part)
            h.update(f"{a.dtype.str}{a.shape}".encode() + a.tobytes())
        else:
            h.update(json.dumps(jsonable(part, lambda x: {"nonfinite": repr(x)}), sort_keys=True).encode())
        h.update(b"|")
    return h.hexdigest()[:16]
