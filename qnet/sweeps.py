"""Resumable parameter sweeps on any ``concurrent.futures.Executor``.

Each point is a dict of keyword arguments; its key is a hash of its canonical JSON. Every
finished point is appended at once to a JSON-lines file (one line ``{"key", "work", "point",
"result"}``, flushed and fsync'ed), so an interrupted sweep loses nothing that finished, and a
rerun with the same file computes only the missing points. ``work`` is the identity of what
computed the result (like sinter's ``strong_id``): the function (its qualified name and a hash of
its code, defaults, closure and, for a ``functools.partial``, its fixed arguments), the fixed
parameters the caller declares with ``identity=``, the qnet version and the fingerprint of qnet's own
code (:func:`code_fingerprint`: a library change that could change a result changes the work). A file
holds the results of one work only: a sweep with another function, other fixed parameters or other qnet
code refuses the file instead of returning its results. Works with a local process pool (default),
a thread pool, or Dask distributed (``Client.get_executor()``).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import SweepFileWarning
from .results import Result
from ._records import jsonable

__all__ = ["point_key", "work_key", "sweep", "SweepResult", "load_sweep", "code_fingerprint"]


@functools.cache
def code_fingerprint() -> dict[str, str | None]:
    """The identity of the qnet code that runs: a hash of every source and data file of the package, and the git
    commit of its checkout when there is one.

    ``source`` is the first 16 hex digits of the SHA-256 of the package's ``.py`` and ``.csv`` files (relative
    paths and contents, in path order), so any edit, committed or not, changes it; ``commit`` is ``None`` outside a
    git checkout. Sweep work keys and the studies' JSON carry it.

    Examples
    --------
    >>> import qnet
    >>> fp = qnet.code_fingerprint()
    >>> sorted(fp), len(fp["source"])
    (['commit', 'source'], 16)
    """
    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.suffix in (".py", ".csv") and "__pycache__" not in p.parts):
        h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return {"source": h.hexdigest()[:16], "commit": _git_commit(root.parent)}


def _git_commit(folder: Path) -> str | None:
    import subprocess

    if not (folder / ".git").exists():
        return None
    try:
        out = subprocess.run(["git", "-C", str(folder), "rev-parse", "HEAD"], capture_output=True, text=True,
                             timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def _tagged(value: Any) -> Any:
    """JSON form for hashing: a non-finite float is ``{"float": "nan"}``, so it hashes apart from ``"nan"``."""
    return jsonable(value, lambda x: {"float": repr(x)})


def _canonical(value: Any, what: str = "sweep points") -> str:
    try:
        return json.dumps(_tagged(value), sort_keys=True, separators=(",", ":"), allow_nan=False)
    except RecursionError:
        raise TypeError(f"{what} must be plain data nested at most a few hundred levels deep, and must not contain "
                        f"itself") from None
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{what} must be JSON-serialisable (numbers, strings, lists, dicts), got "
                        f"{repr(value)[:200]}: {exc}") from None


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def point_key(point: Mapping[str, Any]) -> str:
    """Hash (16 hex digits of SHA-256) of a point's canonical JSON; equal dicts give equal keys.

    Non-finite floats hash apart from the strings that name them (``nan`` is not ``"nan"``).

    Examples
    --------
    >>> import qnet
    >>> qnet.point_key({"a": 1, "b": [2, 3]}) == qnet.point_key({"b": (2, 3), "a": 1})
    True
    >>> qnet.point_key({"x": float("nan")}) == qnet.point_key({"x": "nan"})
    False
    """
    if not isinstance(point, Mapping):
        raise TypeError(f"a sweep point must be a dict of keyword arguments, got {type(point).__name__}")
    return _digest(_canonical(point))


def _code_identity(code: Any) -> list:
    """Byte code, constants (nested code objects recursively) and names of a code object."""
    consts = [_code_identity(c) if hasattr(c, "co_code") else repr(c) for c in code.co_consts]
    return [code.co_code.hex(), consts, list(code.co_names)]


_ADDRESS = re.compile(r"0x[0-9a-fA-F]{6,}")


def _value_identity(value: Any) -> Any:
    """JSON form of a value a sweep's function is bound to, the same in every process: plain data as itself,
    containers element by element, graphs by their nodes, edges and attributes, random generators by their state,
    qnet's problem objects by their identity; anything else by a ``repr`` that holds no memory address (a
    ``TypeError`` otherwise: such a value cannot be recognised by the next run)."""
    try:
        return json.loads(_canonical(value))
    except TypeError:
        pass
    if isinstance(value, Mapping):
        return {"mapping": sorted(([_value_identity(k), _value_identity(v)] for k, v in value.items()),
                                  key=lambda kv: json.dumps(kv, sort_keys=True))}
    if isinstance(value, (list, tuple)):
        return [_value_identity(v) for v in value]
    if hasattr(value, "adj") and hasattr(value, "graph") and hasattr(value, "nodes"):  # a networkx graph
        return {"graph": type(value).__name__, "attributes": _value_identity(dict(value.graph)),
                "nodes": sorted(([_value_identity(n), _value_identity(dict(d))] for n, d in value.nodes(data=True)),
                                key=lambda x: json.dumps(x, sort_keys=True)),
                "edges": sorted(([_value_identity(u), _value_identity(v), _value_identity(dict(d))]
                                 for u, v, d in value.edges(data=True)), key=lambda x: json.dumps(x, sort_keys=True))}
    if isinstance(value, np.random.Generator):
        return {"generator": _value_identity(value.bit_generator.state)}
    if isinstance(getattr(value, "identity", None), str):
        return {"type": type(value).__qualname__, "identity": value.identity}
    text = repr(value)
    if _ADDRESS.search(text):
        raise TypeError(f"a sweep cannot recognise {type(value).__name__} {text[:80]} in another process (its repr "
                        f"holds a memory address); bind plain data instead, or declare what it stands for with "
                        f"identity=")
    return text


def _cell_filled(cell: Any) -> bool:
    try:
        cell.cell_contents
    except ValueError:
        return False
    return True


def _function_identity(func: Callable) -> Any:
    """What decides a callable's results, as JSON: name, code, defaults, closure; a partial's fixed arguments."""
    if isinstance(func, functools.partial):
        return {"partial": _function_identity(func.func), "args": _value_identity(func.args),
                "keywords": _value_identity(func.keywords)}
    target = func if hasattr(func, "__code__") else getattr(type(func), "__call__", func)
    name = f"{getattr(func, '__module__', None) or type(func).__module__}." \
           f"{getattr(func, '__qualname__', None) or type(func).__qualname__}"
    code = getattr(target, "__code__", None)
    cells = [c.cell_contents for c in (getattr(target, "__closure__", None) or ()) if _cell_filled(c)]
    return {
        "name": name,
        "code": _code_identity(code) if code is not None else None,
        "defaults": _value_identity(getattr(target, "__defaults__", None)),
        "kwdefaults": _value_identity(getattr(target, "__kwdefaults__", None)),
        "closure": [_function_identity(c) if callable(c) else _value_identity(c) for c in cells],
    }


def work_key(func: Callable, identity: Mapping[str, Any] | None = None) -> str:
    """Identity of the work a sweep does: the function, the declared fixed parameters, the qnet version and the
    fingerprint of qnet's source (:func:`code_fingerprint`).

    Parameters
    ----------
    func : callable
        The function evaluated at every point. Its qualified name, a hash of its byte code, its
        defaults and its closure count (for a ``functools.partial``, also its fixed arguments).
    identity : dict, optional
        Fixed parameters that decide the results but reach ``func`` in another way (a global, a
        file, a configuration object): declare them here.

    Examples
    --------
    >>> import functools, qnet
    >>> def f(x, scale):
    ...     return x * scale
    >>> qnet.work_key(functools.partial(f, scale=2)) == qnet.work_key(functools.partial(f, scale=3))
    False
    >>> qnet.work_key(f, {"n_mc": 100}) == qnet.work_key(f, {"n_mc": 100})
    True
    """
    from . import __version__

    if not callable(func):
        raise TypeError(f"func must be callable, got {type(func).__name__}")
    if identity is not None and not isinstance(identity, Mapping):
        raise TypeError(f"identity must be a dict of the fixed parameters, got {type(identity).__name__}")
    work = {"function": _function_identity(func), "identity": json.loads(_canonical(identity or {}, "identity")),
            "qnet": __version__, "qnet_source": code_fingerprint()["source"]}
    return _digest(_canonical(work, "the work's identity"))


def load_sweep(path: str | os.PathLike) -> dict[str, dict]:
    """Records of a sweep file by key.

    A torn last line (an interrupted write) is ignored; any other line that is not a record (invalid
    UTF-8, invalid JSON) is skipped with a :class:`SweepFileWarning` naming its line number.

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
    path = _sweep_path(path)
    out: dict[str, dict] = {}
    if not path.exists():
        return out
    bad: list[int] = []
    conflicts: list[int] = []
    with open(path, "rb") as fh:
        lines = fh.read().split(b"\n")
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        rec = _record(raw)
        if rec is not None:
            if rec["key"] in out and _canonical_or_none(out[rec["key"]]) != _canonical_or_none(rec):
                conflicts.append(number)
            out[rec["key"]] = rec
        elif number < len(lines):  # the last piece has no newline: a torn write, not a corrupt line
            bad.append(number)
    if bad:
        shown = ", ".join(map(str, bad[:10])) + (f" and {len(bad) - 10} more" if len(bad) > 10 else "")
        warnings.warn(f"{path}: skipped {len(bad)} unreadable line(s) (line {shown}); they are not records",
                      SweepFileWarning, stacklevel=2)
    if conflicts:
        shown = ", ".join(map(str, conflicts[:10]))
        warnings.warn(f"{path}: {len(conflicts)} record(s) repeat an earlier key with another result (line {shown}); "
                      f"the last one is used", SweepFileWarning, stacklevel=2)
    return out


def _record(raw: bytes) -> dict | None:
    """One line of a sweep file as a record ``{"key": str, "result": ..., ...}``, or None when it is not one (invalid
    UTF-8 or JSON, too deep or too long a number for the parser, or another shape)."""
    try:
        rec = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):  # JSONDecodeError is a ValueError; so are huge ints
        return None
    if isinstance(rec, dict) and isinstance(rec.get("key"), str) and "result" in rec:
        return rec
    return None


def _canonical_or_none(rec: dict) -> str | None:
    try:
        return json.dumps(rec.get("result"), sort_keys=True)
    except (TypeError, ValueError, RecursionError):
        return None


def _sweep_path(path: Any) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file path, got {type(path).__name__}")
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"path must be a file for the sweep's records, got the directory {str(path)!r}")
    if path.exists() and not path.is_file():
        raise ValueError(f"path must be a regular file for the sweep's records, got {str(path)!r} (a device, pipe "
                         f"or socket cannot hold them)")
    return path


@contextlib.contextmanager
def _locked(path: Path):
    """Hold an exclusive advisory lock on ``<path>.lock`` (POSIX ``flock``; elsewhere no lock) while a sweep reads and
    appends: a second sweep on the same file waits, with a warning, and then reuses every point the first one saved
    instead of computing them again."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            warnings.warn(f"{path}: another sweep is writing this file; waiting for it, then reusing its points",
                          SweepFileWarning, stacklevel=3)
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _drop_torn_line(path: Path) -> None:
    """End the file at a line boundary before records are appended: a last line without its newline is completed
    when it is a whole record (:func:`load_sweep` returned it), and cut when a write was interrupted."""
    if path.exists() and path.stat().st_size:
        with open(path, "rb+") as fh:
            data = fh.read()
            if not data.endswith(b"\n"):
                start = data.rfind(b"\n") + 1
                if _record(data[start:]) is not None:
                    fh.write(b"\n")
                else:
                    fh.truncate(start)


@dataclass(frozen=True, repr=False)
class SweepResult(Result):
    """Results of a sweep in the order of the points, how many were computed or reused, and the work's identity."""

    points: list
    results: list
    computed: int
    reused: int
    path: Path
    work: str = ""


def _call(func: Callable, point: dict) -> Any:
    return func(**point)


def _die_with_parent(parent: int) -> None:
    """Initializer of the default pool's workers: exit when the process that started the sweep is gone.

    On Linux the kernel sends SIGTERM at the parent's death (``PR_SET_PDEATHSIG``); everywhere a daemon
    thread also checks the parent id twice a second (an orphan is re-parented).
    """
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG = 1
        except OSError:  # pragma: no cover - no glibc
            pass

    def watch() -> None:
        while os.getppid() == parent:
            threading.Event().wait(0.5)
        os._exit(1)

    if os.getppid() != parent:
        os._exit(1)
    threading.Thread(target=watch, daemon=True, name="qnet-sweep-parent-watch").start()


def sweep(
    func: Callable[..., Any],
    points: Iterable[Mapping[str, Any]],
    path: str | os.PathLike,
    *,
    executor: Executor | None = None,
    max_workers: int | None = None,
    progress: bool = True,
    desc: str = "sweep",
    identity: Mapping[str, Any] | None = None,
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
        JSON-lines file of results. Existing results in it are reused (resume) when they come from
        the same work (:func:`work_key`); a file written by other work is refused with a ``ValueError``.
    executor : concurrent.futures.Executor, optional
        Where to run (e.g. ``ThreadPoolExecutor``, ``dask.distributed.Client(...).get_executor()``).
        Default: a ``ProcessPoolExecutor(max_workers)`` created and shut down by this call.
    max_workers : int, optional
        Workers of the default process pool.
    progress : bool
        Show a tqdm progress bar (stderr).
    desc : str
        Label of the progress bar.
    identity : dict, optional
        Fixed parameters that decide the results without being arguments of ``func`` (see
        :func:`work_key`); they are part of the work's identity.

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
    work = work_key(func, identity)
    if executor is not None and not isinstance(executor, Executor):
        raise TypeError(f"executor must be a concurrent.futures.Executor, got {type(executor).__name__}")
    if max_workers is not None and (isinstance(max_workers, bool) or not isinstance(max_workers, (int, np.integer))
                                    or max_workers < 1):
        raise ValueError(f"max_workers must be an integer >= 1 or None, got {max_workers!r}")
    if not isinstance(progress, (bool, np.bool_)):
        raise TypeError(f"progress must be True or False, got {type(progress).__name__} {progress!r}")
    if not isinstance(desc, str):
        raise TypeError(f"desc must be a string, got {type(desc).__name__}")
    if isinstance(points, (Mapping, str, bytes)) or not isinstance(points, Iterable):
        raise TypeError(f"points must be an iterable of dicts, got {type(points).__name__}; wrap a single dict in a "
                        "list")
    pts = [dict(p) if isinstance(p, Mapping) else p for p in points]
    keys = [point_key(p) for p in pts]
    path = _sweep_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(path):  # one sweep writes a file at a time; a second one waits, then reuses its points
        done = load_sweep(path)
        other = {rec.get("work") for rec in done.values()} - {work}
        if other:
            raise ValueError(
                f"{path} holds results of other work (work key {sorted(map(str, other))}, this sweep's is {work!r}: "
                f"another function, other fixed parameters or other qnet code); use another path or delete it"
            )
        todo: dict[str, dict] = {}
        for k, p in zip(keys, pts):
            if k not in done and k not in todo:
                todo[k] = p
        reused = sum(1 for k in set(keys) if k in done)
        own = executor is None and todo
        ex = ProcessPoolExecutor(max_workers=max_workers, initializer=_die_with_parent, initargs=(os.getpid(),)) \
            if own else executor
        errors: list[tuple[dict, BaseException]] = []
        bar = None
        if progress and todo:
            from tqdm import tqdm

            bar = tqdm(total=len(todo), desc=desc, dynamic_ncols=True)
        try:
            if todo:
                futures = {ex.submit(_call, func, p): k for k, p in todo.items()}
                _drop_torn_line(path)
                with open(path, "a", encoding="utf-8") as fh:
                    for fut in as_completed(futures):
                        k = futures[fut]
                        try:
                            rec = {"key": k, "work": work, "point": jsonable(todo[k]), "result": jsonable(fut.result())}
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
                           path=path, work=work)
