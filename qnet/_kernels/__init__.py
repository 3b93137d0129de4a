"""Private numba kernels.

Every kernel is compiled through :data:`jit` (``cache=True`` so a second
process reuses the machine code, ``error_model="numpy"`` so division follows
IEEE rules instead of raising, ``nogil=True`` so threads run kernels side by
side). Kernels never raise: the public wrappers in ``qnet/*.py`` check and
reshape arrays first (some kernels also check the values they read in the same
pass and report a flag, from which the wrapper raises the validator's message).
Wrappers hand inputs over through :func:`kernel_rows`, so every kernel sees one
array type and numba compiles it once.

Row-wise batch kernels run on all cores through :func:`map_rows`: the rows are
split into one contiguous chunk per thread and the same compiled kernel runs on
each chunk. Every row is computed by the same machine code whatever the split,
so the results are bit for bit those of one thread. The number of threads is
numba's standard setting (``NUMBA_NUM_THREADS``, or ``numba.set_num_threads``
in the calling thread).

Nothing here imports numba until a kernel is needed: physics modules hold their kernel modules through
:func:`lazy`, and :data:`jit` is made at the first kernel module's import, so ``import qnet`` costs no numba.
"""

from __future__ import annotations

import importlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from types import ModuleType
from typing import Any, Callable, Sequence

import numpy as np


def __getattr__(name: str) -> Any:
    """``jit`` (``numba.njit`` with qnet's options), made when the first kernel module imports it."""
    if name == "jit":
        import numba

        globals()["jit"] = partial(numba.njit, cache=True, error_model="numpy", nogil=True)
        return globals()["jit"]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class _Lazy(ModuleType):
    """A kernel module imported at its first attribute access."""

    def __getattr__(self, attr: str) -> Any:
        module = importlib.import_module(self.__name__)
        self.__dict__.update(module.__dict__)  # later accesses are plain attribute reads
        return getattr(module, attr)


def lazy(name: str) -> ModuleType:
    """The kernel module ``qnet._kernels.<name>``, imported (and numba with it) when first used."""
    return _Lazy(f"{__name__}.{name}")


#: Typed integer constants for kernel calls: an int literal passed to a jitted function types it as Literal[int], and
#: numba compiles one specialization per literal value; these keep one (int64) signature per function.
ZERO, ONE = np.int64(0), np.int64(1)

#: Batches with fewer rows than this run on the calling thread (a thread hand-off costs ~20-50 µs).
PARALLEL_MIN_ROWS = 100_000
#: The same for density-matrix rows, each about 50 times the work of a Bell-diagonal row.
DM_PARALLEL_MIN_ROWS = 5_000

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _forget_pool() -> None:
    """After a fork the child has none of the parent's threads: it starts a pool of its own when needed."""
    global _pool
    _pool = None


os.register_at_fork(after_in_child=_forget_pool)


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            import numba

            _pool = ThreadPoolExecutor(max_workers=max(1, numba.config.NUMBA_NUM_THREADS - 1),
                                       thread_name_prefix="qnet-rows")
        return _pool


def readonly(arr: np.ndarray) -> np.ndarray:
    """A read-only view of ``arr``. Numba compiles one machine-code version per argument type, and a writable and
    a read-only array are different types: wrappers pass every kernel input read-only, so each kernel compiles once
    whichever way its input was made (``np.broadcast_to`` views are read-only, fresh arrays writable)."""
    view = arr.view()
    view.flags.writeable = False
    return view


def kernel_rows(arr: Any, batch: tuple[int, ...], core: tuple[int, ...] = (), *, dtype: Any = np.float64,
                share: bool = False) -> np.ndarray:
    """``arr`` broadcast to ``batch + core`` as read-only C-contiguous rows ``(n,) + core`` (copied only if it must
    be), the one array type kernels receive. With ``share``, an array holding a single entry of shape ``core`` is
    passed as one row ``(1,) + core``, which kernels that accept a shared row reuse for every row."""
    arr = np.asarray(arr)
    if share and arr.size == int(np.prod(core)):
        return readonly(np.ascontiguousarray(arr, dtype=dtype).reshape((1,) + core))
    return readonly(np.ascontiguousarray(np.broadcast_to(arr, batch + core), dtype=dtype).reshape((-1,) + core))


def map_rows(kernel: Callable[..., Any], n: int, args: Sequence[Any], split: Sequence[int],
             min_rows: int = PARALLEL_MIN_ROWS) -> list[Any]:
    """Run ``kernel(*args)`` over the rows ``[0, n)`` on numba's number of threads; return each chunk's result.

    ``args[i]`` for ``i`` in ``split`` are arrays whose first axis holds the ``n`` rows (outputs included), or tuples
    of such arrays, and are sliced per chunk; an array of split with a single row (a row shared by every row) is
    passed whole, as is every other argument. Below ``min_rows`` rows, or with one thread, the kernel runs once on the calling thread.
    """
    if n < min_rows:
        return [kernel(*args)]
    import numba

    threads = numba.get_num_threads()
    if threads <= 1:
        return [kernel(*args)]
    bounds = [n * k // threads for k in range(threads + 1)]

    def rows(a: Any, lo: int, hi: int) -> Any:
        if isinstance(a, tuple):
            return tuple(rows(x, lo, hi) for x in a)
        return a[lo:hi] if a.shape[0] == n else a

    def chunk(lo: int, hi: int) -> list[Any]:
        return [rows(a, lo, hi) if i in split else a for i, a in enumerate(args)]

    futures = [_executor().submit(kernel, *chunk(lo, hi)) for lo, hi in zip(bounds[1:-1], bounds[2:])]
    first = kernel(*chunk(bounds[0], bounds[1]))
    return [first] + [f.result() for f in futures]


__all__ = ["DM_PARALLEL_MIN_ROWS", "PARALLEL_MIN_ROWS", "jit", "kernel_rows", "lazy", "map_rows", "readonly"]
