"""Input checks shared by the public API.

Every public function validates its arguments here, before any work, and
raises ``ValueError``/``TypeError`` naming the parameter, the offending value
and what is allowed. Kernels underneath never validate.
"""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from .limits import MAX_SAMPLES, MAX_T_TRUNC

#: Largest allowed deviation of a state's trace (sum of Bell coefficients) from 1.
TRACE_ATOL = 1e-9
#: Entries of a BDS this far below zero are rounding noise and are clipped to 0.
NEG_ATOL = 1e-12
#: Largest allowed deviation from Hermiticity / most negative eigenvalue of a density matrix.
HERMITIAN_ATOL = 1e-9

STATE_FORMS = ("auto", "bds", "dm")


def show(value: Any) -> str:
    """Short, readable rendering of an offending value for error messages."""
    arr = np.asarray(value)
    if arr.ndim == 0:
        return repr(arr.item())
    if arr.size <= 8:
        return np.array2string(arr, precision=6, separator=", ")
    return f"array of shape {arr.shape}"


def first_bad(arr: np.ndarray, bad: np.ndarray) -> str:
    """Render the first element of ``arr`` (or row, for state arrays) flagged by ``bad``."""
    idx = np.argwhere(bad)[0]
    where = f" at index {tuple(int(i) for i in idx)}" if idx.size else ""  # a single number has no index
    return f"{show(arr[tuple(idx)])}{where}"


def as_array(value: Any, name: str) -> np.ndarray:
    """``numpy.asarray`` whose failures (ragged nesting, exotic objects) name the parameter."""
    try:
        return np.asarray(value)
    except ValueError as exc:
        raise ValueError(f"{name} must be a rectangular array (every row of the same length), got ragged nesting: "
                         f"{exc}") from None
    except Exception as exc:  # pragma: no cover - exotic objects
        raise TypeError(f"{name} must be array-like, got {type(value).__name__}") from exc


def shorten(value: Any, limit: int = 60) -> str:
    """``repr(value)`` cut to about ``limit`` characters for an error message (its head and its tail kept)."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit * 2 // 3] + " ... " + text[-(limit // 6):]


def real_array(value: Any, name: str) -> np.ndarray:
    """Convert to a finite float64 array or raise (booleans are flags, not numbers)."""
    if isinstance(value, (str, bytes, bool, np.bool_)) or value is None:
        raise TypeError(f"{name} must be a real number or array of real numbers, got {type(value).__name__} "
                        f"{value!r}")
    arr = as_array(value, name)
    if arr.dtype == bool:
        raise TypeError(f"{name} must be real numbers, got booleans")
    if arr.dtype == object or arr.dtype.kind not in "iuf":
        if arr.dtype.kind == "c":
            raise TypeError(f"{name} must be real, got complex values")
        if arr.dtype == object and any(isinstance(x, int) and not isinstance(x, bool) and abs(x) >= 2**63
                                       for x in np.ravel(arr)[:1000]):
            raise ValueError(f"{name} has an integer beyond 2**63 ({shorten(value)}); qnet's numbers are 64-bit")
        raise TypeError(f"{name} must be numeric, got dtype {arr.dtype}")
    arr = arr.astype(np.float64, copy=False)
    nonfinite = ~np.isfinite(arr)
    if nonfinite.any():
        raise ValueError(f"{name} must be finite, got {first_bad(arr, nonfinite)}")
    return arr


def nonnegative(value: Any, name: str) -> np.ndarray:
    """Finite float array with every entry >= 0."""
    arr = real_array(value, name)
    neg = arr < 0
    if neg.any():
        raise ValueError(f"{name} must be >= 0, got {first_bad(arr, neg)}")
    return arr


def positive(value: Any, name: str) -> np.ndarray:
    """Finite float array with every entry > 0."""
    arr = real_array(value, name)
    bad = arr <= 0
    if bad.any():
        raise ValueError(f"{name} must be > 0, got {first_bad(arr, bad)}")
    return arr


def in_interval(value: Any, name: str, low: float, high: float, *, low_open: bool = False,
                high_open: bool = False) -> np.ndarray:
    """Finite float array with every entry in the stated interval."""
    arr = real_array(value, name)
    bad = (arr <= low if low_open else arr < low) | (arr >= high if high_open else arr > high)
    if bad.any():
        interval = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        raise ValueError(f"{name} must lie in {interval}, got {first_bad(arr, bad)}")
    return arr


def probability(value: Any, name: str, *, zero_ok: bool = True) -> np.ndarray:
    """Probabilities in [0, 1] (or (0, 1] with ``zero_ok=False``)."""
    return in_interval(value, name, 0.0, 1.0, low_open=not zero_ok)


def scalar(check: Any, value: Any, name: str, *args: Any, **kwargs: Any) -> float:
    """``check(value, name, ...)`` (one of the checks above) for a parameter that takes a single number."""
    arr = check(value, name, *args, **kwargs)
    if arr.ndim != 0:
        raise ValueError(f"{name} must be a single number, got an array of shape {arr.shape}")
    return float(arr)


def seed_int(value: Any, name: str = "seed") -> int:
    """The one seed rule of qnet's random functions (as networkx's ``create_random_state``): an integer in
    ``[0, 2**32)``, a ``numpy.random.Generator`` or ``SeedSequence`` (an integer is drawn from it), or ``None``
    (fresh OS entropy). Compiled kernels take the returned integer; results record it, so any run can be
    repeated."""
    if value is None:
        return int(np.random.SeedSequence().generate_state(1)[0])
    if isinstance(value, np.random.SeedSequence):
        return int(value.generate_state(1)[0])
    if isinstance(value, np.random.Generator):
        return int(value.integers(2**32))
    return integer(value, name, 0, 2**32 - 1)


def flag(value: Any, name: str) -> bool:
    """A boolean option: ``True`` or ``False`` (numpy booleans too), never a string or a number."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__} {value!r}")
    return bool(value)


def _zero_d(value: Any) -> Any:
    """A 0-d numpy array as its scalar (records take what the functions take); anything else unchanged."""
    return value[()] if isinstance(value, np.ndarray) and value.ndim == 0 else value


def real_number(value: Any, name: str) -> float:
    """One real number (a Python or numpy real, or a 0-d array of one; not a bool or string) as a float."""
    value = _zero_d(value)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    return float(value)


def integer(value: Any, name: str, low: int | None = None, high: int | None = None) -> int:
    """A whole number (a Python or numpy integer or a 0-d array of one; not a bool, float or string) in
    ``[low, high]``."""
    value = _zero_d(value)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        lo = "-inf" if low is None else low
        hi = "inf" if high is None else high
        raise ValueError(f"{name} must be an integer in [{lo}, {hi}], got {value}")
    return int(value)


def option(value: Any, name: str, allowed: Iterable[str]) -> str:
    """A string option from a fixed list (the message lists the valid ones)."""
    allowed = tuple(allowed)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, one of {allowed}, got {type(value).__name__} {value!r}")
    if value not in allowed:
        raise ValueError(f"unknown {name} {value!r}; valid values are {', '.join(map(repr, allowed))}")
    return value


def broadcast(name_values: dict[str, np.ndarray], *, core: dict[str, int] | None = None) -> tuple[int, ...]:
    """Common batch shape of several arrays, or a ValueError naming their shapes.

    ``core`` gives, per name, how many trailing axes are not batch axes
    (e.g. 1 for a BDS ``(..., 4)``, 2 for a density matrix ``(..., 4, 4)``).
    """
    core = core or {}
    shapes = {k: np.shape(v)[: np.ndim(v) - core.get(k, 0)] for k, v in name_values.items()}
    try:
        return tuple(np.broadcast_shapes(*shapes.values()))
    except ValueError:
        desc = ", ".join(f"{k} batch shape {s}" for k, s in shapes.items())
        raise ValueError(f"batch shapes do not broadcast: {desc}") from None


#: Inputs of reduced precision (float32, complex64, float16) are checked within this many of their machine epsilons,
#: then converted to float64/complex128 and renormalised (sum or trace exactly 1).
REDUCED_PRECISION_EPS = 16


def _reduced_precision(value: Any) -> float | None:
    """The tolerance for an input stored with fewer than 64 bits per real number, else None."""
    dtype = getattr(value, "dtype", None)
    if isinstance(dtype, np.dtype) and dtype.kind in "fc" and np.finfo(dtype).eps > np.finfo(np.float64).eps:
        return max(TRACE_ATOL, REDUCED_PRECISION_EPS * float(np.finfo(dtype).eps))
    return None


def bds(value: Any, name: str = "state") -> np.ndarray:
    """Validate a Bell-diagonal state array ``(..., 4)`` ordered [Φ+, Φ−, Ψ+, Ψ−].

    Entries must be >= 0 (values above ``-NEG_ATOL`` are clipped to 0) and
    each state must sum to 1 within ``TRACE_ATOL``. Large C-contiguous float64
    arrays are checked in one compiled pass; any failure is re-checked below to
    build the message. Reduced-precision inputs (float32, float16) are checked
    within ``REDUCED_PRECISION_EPS`` of their epsilon, converted to float64 and
    renormalised.
    """
    fast = _bds_fast(value)
    if fast is not None:
        return fast
    reduced = _reduced_precision(value)
    if reduced is not None:
        arr = real_array(value, name)
        if arr.ndim == 0 or arr.shape[-1] != 4:
            raise ValueError(f"{name} must be a Bell-diagonal state with last axis of length 4 "
                             f"([Phi+, Phi-, Psi+, Psi-]), got shape {arr.shape}")
        neg = arr < -reduced
        if neg.any():
            raise ValueError(f"{name} has negative Bell coefficients: {first_bad(arr, neg)}; coefficients must be "
                             f">= 0 (tolerance {reduced:g} for its {value.dtype} precision)")
        arr = np.maximum(arr, 0.0)
        total = arr.sum(axis=-1)
        off = np.abs(total - 1.0) > reduced
        if off.any():
            raise ValueError(f"{name} coefficients must sum to 1 (tolerance {reduced:g} for its {value.dtype} "
                             f"precision), got sum {first_bad(total, off)}")
        return arr / total[..., None]
    arr = real_array(value, name)
    if arr.ndim == 0 or arr.shape[-1] != 4:
        raise ValueError(
            f"{name} must be a Bell-diagonal state with last axis of length 4 "
            f"([Phi+, Phi-, Psi+, Psi-]), got shape {arr.shape}"
        )
    neg = arr < -NEG_ATOL
    if neg.any():
        raise ValueError(f"{name} has negative Bell coefficients: {first_bad(arr, neg)}; coefficients must be >= 0")
    if (arr < 0).any():
        arr = np.maximum(arr, 0.0)
    total = arr.sum(axis=-1)
    off = np.abs(total - 1.0) > TRACE_ATOL
    if off.any():
        raise ValueError(
            f"{name} coefficients must sum to 1 (tolerance {TRACE_ATOL:g}), got sum {first_bad(total, off)}"
        )
    return arr


#: Arrays with at least this many entries are checked by the compiled kernel.
FAST_CHECK_MIN_SIZE = 4096


def bds_deferrable(value: Any, form: str = "auto") -> bool:
    """True for a large C-contiguous float64 ``(..., 4)`` array read as BDS, whose values a compiled
    kernel may check while it works (then re-validated here only to raise on failure)."""
    return (
        form != "dm"
        and isinstance(value, np.ndarray)
        and value.dtype == np.float64
        and value.ndim >= 1
        and value.shape[-1] == 4
        and value.size >= FAST_CHECK_MIN_SIZE
        and value.flags.c_contiguous
        and (form == "bds" or value.ndim < 2 or value.shape[-2] != 4)
    )


def _bds_fast(value: Any) -> np.ndarray | None:
    """Validated BDS array when ``value`` is a large valid float64 C-contiguous ``(..., 4)`` array, else None."""
    if not bds_deferrable(value, "bds"):
        return None
    from ._kernels.validation import bds_check

    bad, small_neg = bds_check(value.reshape(-1, 4), NEG_ATOL, TRACE_ATOL)
    if bad >= 0:
        return None
    return np.maximum(value, 0.0) if small_neg else value


def density_matrix(value: Any, name: str = "rho") -> np.ndarray:
    """Validate a two-qubit density matrix ``(..., 4, 4)``: Hermitian, trace 1, positive semidefinite."""
    arr = _qobj_to_array(value, name)
    if isinstance(arr, (str, bytes, bool, np.bool_)) or arr is None:
        raise TypeError(f"{name} must be a 4x4 density matrix, got {type(value).__name__}")
    arr = as_array(arr, name)
    if arr.dtype == object or arr.dtype.kind not in "iufc":
        raise TypeError(f"{name} must be a numeric 4x4 matrix, got dtype {arr.dtype}")
    reduced = _reduced_precision(arr)
    arr = arr.astype(np.complex128, copy=False)
    if arr.ndim < 2 or arr.shape[-2:] != (4, 4):
        raise ValueError(f"{name} must be a two-qubit density matrix of shape (..., 4, 4), got shape {arr.shape}")
    if reduced is not None:  # checked within its precision, then its Hermitian part renormalised to trace 1
        herm_tol = max(HERMITIAN_ATOL, reduced)
        trace_tol = reduced
    else:
        fast = _dm_fast(arr)
        if fast is not None:
            return fast
        herm_tol, trace_tol = HERMITIAN_ATOL, TRACE_ATOL
    finite = np.isfinite(arr).all(axis=(-2, -1))
    if not finite.all():
        raise ValueError(f"{name} must be finite, got non-finite entries in matrix {first_bad(finite, ~finite)}")
    herm_err = np.abs(arr - np.conj(np.swapaxes(arr, -1, -2))).max(axis=(-2, -1))
    bad = herm_err > herm_tol
    if bad.any():
        raise ValueError(
            f"{name} must be Hermitian (tolerance {herm_tol:g}); largest |rho - rho^dagger| is "
            f"{first_bad(herm_err, bad)}"
        )
    trace = np.trace(arr, axis1=-2, axis2=-1).real
    bad = np.abs(trace - 1.0) > trace_tol
    if bad.any():
        raise ValueError(f"{name} must have trace 1 (tolerance {trace_tol:g}), got trace {first_bad(trace, bad)}")
    hermitian = 0.5 * (arr + np.conj(np.swapaxes(arr, -1, -2)))
    min_eig = np.linalg.eigvalsh(hermitian)[..., 0]
    bad = min_eig < -herm_tol
    if bad.any():
        raise ValueError(
            f"{name} must be positive semidefinite (tolerance {herm_tol:g}), got smallest eigenvalue "
            f"{first_bad(min_eig, bad)}"
        )
    return hermitian / trace[..., None, None] if reduced is not None else hermitian


def _dm_fast(arr: np.ndarray) -> np.ndarray | None:
    """Hermitian part of a complex128 ``(..., 4, 4)`` array whose matrices all pass the checks of
    :func:`density_matrix`, computed in one compiled pass; None if any fails (the numpy checks then raise)."""
    from ._kernels import DM_PARALLEL_MIN_ROWS, kernel_rows, map_rows
    from ._kernels.validation import dm_check

    rows = kernel_rows(arr, arr.shape[:-2], (4, 4), dtype=np.complex128)
    herm = np.empty(rows.shape, dtype=np.complex128)
    bad = map_rows(dm_check, rows.shape[0], (rows, herm, HERMITIAN_ATOL, TRACE_ATOL), (0, 1),
                   min_rows=DM_PARALLEL_MIN_ROWS)
    if max(bad) >= 0:
        return None
    return herm.reshape(arr.shape)


def _qobj_to_array(value: Any, name: str = "state") -> Any:
    """Return the dense matrix of a QuTiP ``Qobj`` (checked to be a two-qubit operator), else the value."""
    if is_qobj(value):
        import qutip

        if value.isket:
            value = qutip.ket2dm(value)
        if value.shape != (4, 4):
            raise ValueError(
                f"{name} must be a two-qubit state (4x4 operator or 4-dim ket), got a Qobj of shape {value.shape}"
            )
        return value.full()
    return value


def state_like(value: Any, name: str) -> None:
    """Cheap check of a state whose form is decided later: a QuTiP ``Qobj`` or a finite numeric array whose last
    axis has length 4 (Bell-diagonal ``(..., 4)`` or density matrix ``(..., 4, 4)``)."""
    if is_qobj(value):
        return
    if isinstance(value, (str, bytes, bool, np.bool_)) or value is None:
        raise TypeError(f"{name} must be a state (Bell-diagonal (..., 4) or density matrix (..., 4, 4)), got "
                        f"{type(value).__name__} {value!r}")
    arr = as_array(value, name)
    if arr.dtype == object or arr.dtype.kind not in "iufc":
        raise TypeError(f"{name} must be a numeric state, got dtype {arr.dtype}")
    if arr.ndim == 0 or arr.shape[-1] != 4 or (arr.dtype.kind == "c" and arr.shape[-2:] != (4, 4)):
        raise ValueError(f"{name} must be a state: Bell-diagonal (..., 4) (real) or a density matrix (..., 4, 4), "
                         f"got shape {arr.shape} of dtype {arr.dtype}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite, got non-finite entries")


def is_qobj(value: Any) -> bool:
    """True for a QuTiP ``Qobj``, recognised by its type's module: QuTiP is imported only when one is passed."""
    return any(cls.__name__ == "Qobj" and cls.__module__.split(".")[0] == "qutip" for cls in type(value).__mro__)


def _rows_are_bds(arr: np.ndarray) -> bool:
    """Every row of a real array is a probability vector (one cheap pass; no decomposition)."""
    with np.errstate(invalid="ignore"):
        return bool(np.all(arr >= -NEG_ATOL) and np.all(np.abs(arr.sum(axis=-1) - 1.0) <= TRACE_ATOL))


def _could_be_dm(arr: np.ndarray) -> bool:
    """Every 4x4 block of a real array is symmetric with unit trace (linear checks only; no decomposition)."""
    with np.errstate(invalid="ignore"):
        return bool(np.all(np.abs(arr - np.swapaxes(arr, -1, -2)) <= HERMITIAN_ATOL)
                    and np.all(np.abs(np.trace(arr, axis1=-2, axis2=-1) - 1.0) <= TRACE_ATOL))


def state(value: Any, name: str = "state", form: str = "auto") -> tuple[str, np.ndarray]:
    """Validate a state given as a BDS ``(..., 4)`` or a density matrix ``(..., 4, 4)``.

    Returns ``("bds", lam)`` or ``("dm", rho)``. With ``form="auto"`` the form is decided once, by type, shape
    and linear checks, never by decomposing: a QuTiP ``Qobj`` or a complex array is a density matrix; a real array
    whose last two axes are 4x4 is a batch of Bell-diagonal states when its rows are probability vectors and a
    density matrix otherwise, and when it could be both (its blocks are also symmetric with unit trace) a
    ``ValueError`` asks for ``form=``.
    """
    option(form, "form", STATE_FORMS)
    if form == "bds":
        return "bds", bds(value, name)
    if form == "dm" or is_qobj(value):
        return "dm", density_matrix(value, name)
    arr = as_array(value, name) if not isinstance(value, (str, bytes)) else value
    if isinstance(arr, np.ndarray) and arr.dtype.kind == "c":
        if arr.ndim < 2 or arr.shape[-2:] != (4, 4):
            raise TypeError(
                f"{name} is complex with shape {arr.shape}: Bell-diagonal states (..., 4) must be real, "
                f"density matrices must have shape (..., 4, 4)"
            )
        return "dm", density_matrix(arr, name)
    if isinstance(arr, np.ndarray) and arr.ndim >= 2 and arr.shape[-2:] == (4, 4) and arr.dtype.kind in "iuf":
        if not _rows_are_bds(arr):
            try:
                return "dm", density_matrix(arr, name)
            except (ValueError, TypeError) as as_dm:
                try:
                    bds(arr, name)
                except (ValueError, TypeError) as as_bds:
                    raise ValueError(f"{name} of shape {arr.shape} is not a valid state; as a density matrix: {as_dm}; "
                                     f"as Bell-diagonal states: {as_bds}") from None
                raise  # pragma: no cover - rows that fail the quick check fail bds() too
        if _could_be_dm(arr):
            raise ValueError(
                f"{name} of shape {arr.shape} is valid both as density matrices and as a batch of Bell-diagonal "
                f"states; pass form='dm' or form='bds'"
            )
    return "bds", bds(value, name)


def keyword_options(*names: str) -> Callable[[Callable], Callable]:
    """Make the options ``names`` of a public function keyword-only, keeping positional calls working for the 0.2
    series: their values are passed on by name with a ``FutureWarning`` that names the keywords (they are refused
    in 0.3). ``names`` are the options in their former positional order, right after the last positional
    parameter of the decorated function's (new) signature."""

    def wrap(f: Callable) -> Callable:
        params = inspect.signature(f).parameters.values()
        n_pos = sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)

        @functools.wraps(f)
        def call(*args: Any, **kwargs: Any) -> Any:
            if len(args) > n_pos:
                extra = args[n_pos:]
                if len(extra) > len(names):
                    raise TypeError(f"{f.__name__}() takes at most {n_pos + len(names)} positional arguments, got "
                                    f"{len(args)}")
                given = names[:len(extra)]
                twice = [n for n in given if n in kwargs]
                if twice:
                    raise TypeError(f"{f.__name__}() got multiple values for argument {twice[0]!r}")
                warnings.warn(f"{f.__name__}: pass {', '.join(f'{n}=' for n in given)} by keyword; positional options "
                              f"are deprecated and will be refused in qnet 0.3", FutureWarning, stacklevel=2)
                kwargs.update(zip(given, extra))
                args = args[:n_pos]
            return f(*args, **kwargs)

        return call

    return wrap


def n_samples(n: Any) -> int:
    """A number of Monte Carlo samples in ``[2, MAX_SAMPLES]``."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"n_samples must be an integer, got {type(n).__name__} {n!r}")
    if n < 2:
        raise ValueError(f"n_samples must be >= 2 (confidence intervals need two samples), got {n}")
    if n > MAX_SAMPLES:
        raise ValueError(f"n_samples must be <= MAX_SAMPLES = {MAX_SAMPLES} (40 bytes each), got {n}; merge runs "
                         "with different seeds for more")
    return int(n)


def t_trunc(t_trunc: Any) -> int:
    """A time window of an exact chain distribution, in steps, in ``[2, MAX_T_TRUNC]``."""
    if isinstance(t_trunc, bool) or not isinstance(t_trunc, (int, np.integer)):
        raise TypeError(f"t_trunc must be an integer number of time steps, got {type(t_trunc).__name__} {t_trunc!r}")
    if t_trunc < 2:
        raise ValueError(f"t_trunc must be >= 2, got {t_trunc}")
    if t_trunc > MAX_T_TRUNC:
        raise ValueError(f"t_trunc must be <= MAX_T_TRUNC = 2**22 = {MAX_T_TRUNC} steps, got {t_trunc}")
    return int(t_trunc)
