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
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, Callable, Sequence

import numba
import numpy as np

jit = partial(numba.njit, cache=True, error_model="numpy", nogil=True)

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

    ``args[i]`` for ``i`` in ``split`` are arrays whose first axis holds the ``n`` rows (outputs included), and are
    sliced per chunk; an array of split with a single row (a row shared by every row) is passed whole, as is every
    other argument. Below ``min_rows`` rows, or with one thread, the kernel runs once on the calling thread.
    """
    threads = numba.get_num_threads() if n >= min_rows else 1
    if threads <= 1:
        return [kernel(*args)]
    bounds = [n * k // threads for k in range(threads + 1)]

    def chunk(lo: int, hi: int) -> list[Any]:
        return [a[lo:hi] if i in split and a.shape[0] == n else a for i, a in enumerate(args)]

    futures = [_executor().submit(kernel, *chunk(lo, hi)) for lo, hi in zip(bounds[1:-1], bounds[2:])]
    first = kernel(*chunk(bounds[0], bounds[1]))
    return [first] + [f.result() for f in futures]


__all__ = ["DM_PARALLEL_MIN_ROWS", "PARALLEL_MIN_ROWS", "jit", "kernel_rows", "map_rows", "readonly"]
