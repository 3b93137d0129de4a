"""Resumable parameter sweeps on any ``concurrent.futures.Executor``.

Each point is a dict of keyword arguments; its key is a hash of its canonical JSON. Every
finished point is appended at once to a JSON-lines file (one line ``{"key", "point",
"result"}``, flushed and fsync'ed), so an interrupted sweep loses nothing that finished, and a
rerun with the same file computes only the missing points. Works with a local process pool
(default), a thread pool, or Dask distributed (``Client.get_executor()``).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

import numpy as np

__all__ = ["point_key", "sweep", "SweepResult", "load_sweep"]


def jsonable(value: Any) -> Any:
    """Plain-JSON form of numpy values, containers and dataclasses (non-finite floats as strings)."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return repr(value)  # JSON has no inf/nan; keep them readable
    if hasattr(value, "__dataclass_fields__"):
        return {k: jsonable(getattr(value, k)) for k in value.__dataclass_fields__}
    if isinstance(value, PurePath):
        return str(value)
    return value


def _canonical(point: Mapping) -> str:
    try:
        return json.dumps(jsonable(point), sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"sweep points must be JSON-serialisable dicts (numbers, strings, lists), got {point!r}: {exc}") \
            from None


def point_key(point: Mapping[str, Any]) -> str:
    """Hash (16 hex digits of SHA-256) of a point's canonical JSON; equal dicts give equal keys.

    Examples
    --------
    >>> import qnet
    >>> qnet.point_key({"a": 1, "b": [2, 3]}) == qnet.point_key({"b": (2, 3), "a": 1})
    True
    """
    if not isinstance(point, Mapping):
        raise TypeError(f"a sweep point must be a dict of keyword arguments, got {type(point).__name__}")
    return hashlib.sha256(_canonical(point).encode()).hexdigest()[:16]


def load_sweep(path: str | os.PathLike) -> dict[str, dict]:
    """Records of a sweep file by key. A torn last line (interrupted write) is ignored.

    Examples
    --------
    >>> import json, os, tempfile, qnet
    >>> path = os.path.join(tempfile.mkdtemp(), "s.jsonl")
    >>> qnet.load_sweep(path)   # no file yet
    {}
    >>> with open(path, "w") as fh:
    ...     print(json.dumps({"key": "k1", "point": {"x": 1}, "result": 2}), file=fh)
    ...     print('{"key": "k2", "point": {"x"', file=fh, end="")   # an interrupted write
    >>> qnet.load_sweep(path)
    {'k1': {'key': 'k1', 'point': {'x': 1}, 'result': 2}}
    """
    path = Path(path)
    out: dict[str, dict] = {}
    if not path.exists():
        return out
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(rec, dict) and "key" in rec and "result" in rec:
                out[rec["key"]] = rec
    return out


def _end_torn_line(path: Path) -> None:
    """Terminate a last line left unfinished by an interrupted write, so that appended records stay readable."""
    if path.exists() and path.stat().st_size:
        with open(path, "rb+") as fh:
            fh.seek(-1, os.SEEK_END)
            if fh.read(1) != b"\n":
                fh.write(b"\n")


@dataclass(frozen=True)
class SweepResult:
    """Results of a sweep in the order of the points, and how many were computed or reused."""

    points: list
    results: list
    computed: int
    reused: int
    path: Path


def _call(func: Callable, point: dict) -> Any:
    return func(**point)


def sweep(
    func: Callable[..., Any],
    points: Iterable[Mapping[str, Any]],
    path: str | os.PathLike,
    *,
    executor: Executor | None = None,
    max_workers: int | None = None,
    progress: bool = True,
    desc: str = "sweep",
) -> SweepResult:
    """Evaluate ``func(**point)`` for every point, saving each result as soon as it is done.

    Parameters
    ----------
    func : callable
        Called with each point's items as keyword arguments; must return JSON-serialisable data
        (numbers, strings, lists, dicts, numpy arrays and dataclasses are converted). For a
        process pool or a cluster it must be picklable (a module-level function).
    points : iterable of dict
        The parameter points. Duplicates are computed once.
    path : path-like
        JSON-lines file of results. Existing results in it are reused (resume).
    executor : concurrent.futures.Executor, optional
        Where to run (e.g. ``ThreadPoolExecutor``, ``dask.distributed.Client(...).get_executor()``).
        Default: a ``ProcessPoolExecutor(max_workers)`` created and shut down by this call.
    max_workers : int, optional
        Workers of the default process pool.
    progress : bool
        Show a tqdm progress bar (stderr).

    Returns
    -------
    SweepResult

    Raises
    ------
    RuntimeError
        If some points raised; all other points are saved first, and the message names the
        failed points and the first error.

    Examples
    --------
    >>> import qnet, tempfile, os
    >>> from concurrent.futures import ThreadPoolExecutor
    >>> def f(x, y):
    ...     return {"sum": x + y}
    >>> out = os.path.join(tempfile.mkdtemp(), "s.jsonl")
    >>> with ThreadPoolExecutor(2) as ex:
    ...     r = qnet.sweep(f, [{"x": 1, "y": 2}, {"x": 3, "y": 4}], out, executor=ex, progress=False)
    >>> r.results, r.computed
    ([{'sum': 3}, {'sum': 7}], 2)
    >>> with ThreadPoolExecutor(2) as ex:
    ...     qnet.sweep(f, [{"x": 1, "y": 2}], out, executor=ex, progress=False).reused
    1
    """
    if not callable(func):
        raise TypeError(f"func must be callable, got {type(func).__name__}")
    if executor is not None and not isinstance(executor, Executor):
        raise TypeError(f"executor must be a concurrent.futures.Executor, got {type(executor).__name__}")
    if isinstance(points, Mapping):
        raise TypeError("points must be an iterable of dicts, got a single dict; wrap it in a list")
    pts = [dict(p) if isinstance(p, Mapping) else p for p in points]
    keys = [point_key(p) for p in pts]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    done = load_sweep(path)
    todo: dict[str, dict] = {}
    for k, p in zip(keys, pts):
        if k not in done and k not in todo:
            todo[k] = p
    reused = sum(1 for k in set(keys) if k in done)
    own = executor is None and todo
    ex = ProcessPoolExecutor(max_workers=max_workers) if own else executor
    errors: list[tuple[dict, BaseException]] = []
    bar = None
    if progress and todo:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), desc=desc, dynamic_ncols=True)
    try:
        if todo:
            futures = {ex.submit(_call, func, p): k for k, p in todo.items()}
            _end_torn_line(path)
            with open(path, "a", encoding="utf-8") as fh:
                for fut in as_completed(futures):
                    k = futures[fut]
                    try:
                        rec = {"key": k, "point": jsonable(todo[k]), "result": jsonable(fut.result())}
                        line = json.dumps(rec, allow_nan=True)
                    except Exception as exc:  # noqa: BLE001 - reported below, other points still saved
                        errors.append((todo[k], exc))
                        continue
                    fh.write(line + "\n")
                    fh.flush()
                    os.fsync(fh.fileno())
                    done[k] = rec
                    if bar is not None:
                        bar.update(1)
    finally:
        if bar is not None:
            bar.close()
        if own:
            ex.shutdown(wait=True, cancel_futures=True)
    if errors:
        p, exc = errors[0]
        raise RuntimeError(
            f"{len(errors)} of {len(todo)} sweep points failed (the others are saved in {path}); first failure at "
            f"{p!r}: {type(exc).__name__}: {exc}"
        ) from exc
    return SweepResult(points=pts, results=[done[k]["result"] for k in keys], computed=len(todo), reused=reused,
                       path=path)
