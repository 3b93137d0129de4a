"""Fuzz test of the whole public API: every public callable, every argument, malformed.

For every callable in ``qnet.__all__`` a valid call is taken from its own docstring examples (the
examples are run with every public callable wrapped so that the first call each example makes
is recorded). Then each argument of that call is replaced, one at a time, by malformed variants
chosen from the valid value's kind: NaN, inf, negative, zero, above one, tiny and huge numbers,
wrong shapes and dtypes, booleans, strings, empty and ragged arrays, NaN or negative entries,
absurd sizes, unknown options. Every call must end in one of:

* a ``ValueError``/``TypeError`` whose message names the parameter, or one of qnet's own
  ``TruncationError``/``NeverDeliversError``/``InfeasibleError`` (which say what to change);
* a result without NaN (variants that can be valid for some parameters, e.g. ``0`` or ``inf``),

and variants that are never valid (NaN, strings for numbers, booleans for numbers or numbers for
booleans, ragged nesting, unknown options) must not be accepted. No call may take more than a few
seconds. A public callable added later is picked up automatically; one whose docstring has no
runnable example calling it fails here.
"""

from __future__ import annotations

import doctest
import functools
import inspect
import math
import signal
import sys
import time
import warnings

import numpy as np
import pytest

import qnet
from qnet.chains import ChainDelivery

#: Seconds one call may take before it is reported (and the alarm that stops a runaway call).
CALL_LIMIT = 5.0
#: Documented NaN conventions (name: why). Everything else returning NaN fails.
NAN_ALLOWED = {
    "optimal_time_border": "NaN marks a line of the simplex on which t* does not cross mid-interval (documented)",
}
#: Types qnet returns but users do not build (no docstring example constructs them; not fuzzed).
RESULT_TYPES = {"Result", "ChainTree", "ScheduleResult", "Gain", "OptimalTime", "PolicyComparison", "ChainDelivery", "CutoffOptimum",
                "SPDCSwappingResult", "MonteCarloResult", "SweepResult", "PathChoice", "PairService",
                "Heralded", "ScheduleSearch", "RequestDeliveries", "NetworkSimulation", "SwapPolicyResult",
                "CircuitSearch", "SearchedCircuit"}
#: String parameters that are free text (a label), not a choice from a list.
FREE_TEXT = {"desc", "name"}
#: Node labels a record takes before it meets a graph: any hashable is a valid networkx node (a number, a string,
#: even NaN), so they are checked against the graph by the function that gets one (``simulate_network``).
NODE_LABELS = {("Request", "source"), ("Request", "target")}
#: Exceptions that are not about one parameter but name the window and tolerance to change.
CLEAR_TYPES = (qnet.TruncationError, qnet.NeverDeliversError, qnet.InfeasibleError)

NAN = float("nan")


def _public_callables() -> list[str]:
    out = []
    for name in qnet.__all__:
        obj = getattr(qnet, name)
        if inspect.isclass(obj) and issubclass(obj, BaseException):
            continue
        if callable(obj):
            out.append(name)
    return out


def _from_doctest() -> bool:
    return sys._getframe(2).f_code.co_filename.startswith("<doctest")


def record_valid_calls() -> dict[str, tuple[tuple, dict]]:
    """Run every public docstring's examples; return the first direct call each makes of each public callable."""
    calls: dict[str, tuple[tuple, dict]] = {}
    originals, inits = {}, {}

    def wrap_function(name, fn):
        @functools.wraps(fn)
        def recorder(*args, **kwargs):
            if _from_doctest():
                calls.setdefault(name, (args, kwargs))
            return fn(*args, **kwargs)
        return recorder

    def wrap_init(name, init):
        @functools.wraps(init)
        def recorder(self, *args, **kwargs):
            if type(self).__name__ == name and _from_doctest():
                calls.setdefault(name, (args, kwargs))
            return init(self, *args, **kwargs)
        return recorder

    for name in _public_callables():
        obj = getattr(qnet, name)
        if inspect.isclass(obj):
            if "__init__" in vars(obj):
                inits[obj] = vars(obj)["__init__"]
                obj.__init__ = wrap_init(name, inits[obj])
        else:
            originals[name] = obj
            setattr(qnet, name, wrap_function(name, obj))
    try:
        finder = doctest.DocTestFinder(recurse=False)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        for name in _public_callables():
            obj = originals.get(name, getattr(qnet, name))
            for test in finder.find(obj, name, globs={}):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    runner.run(test, out=lambda text: None)
    finally:
        for name, fn in originals.items():
            setattr(qnet, name, fn)
        for cls, init in inits.items():
            cls.__init__ = init
    # aliases (e.g. twirl = to_bds) share the call of the object they name
    by_object = {id(getattr(qnet, n)): call for n, call in calls.items()}
    for name in _public_callables():
        calls.setdefault(name, by_object.get(id(getattr(qnet, name))))
    return {k: v for k, v in calls.items() if v is not None}


# ---------------------------------------------------------------- malformed variants
def variants(pname: str, value) -> list[tuple[str, object, bool]]:
    """``(label, malformed value, never valid)`` for a valid argument value."""
    if pname == "path" and isinstance(value, (str, bytes)) or hasattr(value, "__fspath__"):
        return [("directory", ".", True), ("None", None, True), ("int", 7, True)]
    if isinstance(value, (bool, np.bool_)):
        return [("string flag", "False", True), ("int flag", 1, True), ("None", None, True)]
    if isinstance(value, str):
        free_text = pname in FREE_TEXT
        return [("unknown option", "bogus-option", not free_text), ("int for a name", 3, True), ("None", None, False)]
    if isinstance(value, (int, np.integer)):
        return [("nan", NAN, True), ("float", 2.5, True), ("string", "3", True), ("bool", True, True),
                ("negative", -1, False), ("zero", 0, False), ("absurd", 10**12, False), ("2**64", 2**64, False),
                ("inf", float("inf"), True), ("array", np.array([2, 3]), False)]
    if isinstance(value, (float, np.floating)):
        return [("nan", NAN, True), ("string", "0.5", True), ("bool", True, True), ("complex", 0.5 + 1j, True),
                ("negative", -0.5, False), ("zero", 0.0, False), ("above one", 1.5, False),
                ("inf", float("inf"), False), ("tiny", 1e-300, False), ("huge", 1e300, False),
                ("array", np.array([0.5, 0.6]), False), ("ragged", [[0.5], [0.5, 0.6]], True), ("None", None, False)]
    if isinstance(value, (list, tuple, np.ndarray)):
        try:
            arr = np.asarray(value)
        except ValueError:
            arr = None
        if arr is not None and arr.dtype.kind in "iufc" and arr.size > 0:
            kind = complex if arr.dtype.kind == "c" else float
            nan_entry = arr.astype(kind)
            nan_entry.reshape(-1)[0] = NAN
            negative = arr.astype(kind)
            negative.reshape(-1)[0] = -0.3
            out = [("nan entry", nan_entry, True), ("negative entry", negative, False),
                   ("scaled by 1.7", arr.astype(kind) * 1.7, False), ("empty", np.zeros((0,) + arr.shape[1:]), False),
                   ("wrong shape", np.ones((2, 3)), False),
                   ("strings", np.full(arr.shape, "a"), True), ("ragged", [[0.1, 0.2], [0.3]], True),
                   ("bool array", np.ones(arr.shape, bool), True), ("string", "abc", True), ("None", None, False)]
            if arr.dtype.kind != "c":
                out.append(("complex", arr.astype(complex) + 1j, True))
            return out
        return [("string", "abc", True), ("None", None, False), ("int", 7, False)]
    if value is None:
        return [("string", "abc", False)]
    return [("None", None, False), ("string", "abc", True), ("int", 7, False)]


def has_nan(x, depth: int = 0) -> bool:
    """NaN anywhere in a result (ChainDelivery.state is documented NaN where the pmf is negligible)."""
    if depth > 4:
        return False
    if isinstance(x, (float, np.floating)):
        return math.isnan(x)
    if isinstance(x, (complex, np.complexfloating)):
        return math.isnan(x.real) or math.isnan(x.imag)
    if isinstance(x, np.ndarray):
        return x.dtype.kind in "fc" and bool(np.isnan(x).any())
    if isinstance(x, (tuple, list)):
        return any(has_nan(v, depth + 1) for v in x)
    if isinstance(x, dict):
        return any(has_nan(v, depth + 1) for v in x.values())
    if hasattr(x, "__dataclass_fields__"):
        skip = {"state"} if isinstance(x, ChainDelivery) else set()
        return any(has_nan(getattr(x, f), depth + 1) for f in x.__dataclass_fields__ if f not in skip)
    return False


class _Runaway(Exception):
    pass


def _stop(signum, frame):
    raise _Runaway


def call(fn, args, kwargs):
    """``(outcome, value, seconds)``: outcome "ok", "raised" or "runaway" (stopped after 2 * CALL_LIMIT)."""
    previous = signal.signal(signal.SIGALRM, _stop)
    signal.setitimer(signal.ITIMER_REAL, 2 * CALL_LIMIT)
    start = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            return "ok", fn(*args, **kwargs), time.perf_counter() - start
    except _Runaway:
        return "runaway", None, time.perf_counter() - start
    except Exception as exc:  # noqa: BLE001 - judged by the caller
        return "raised", exc, time.perf_counter() - start
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def fuzz(name: str, fn, args: tuple, kwargs: dict) -> tuple[list[str], int, int]:
    """Problems found, calls made and clear errors seen for one public callable."""
    sig = inspect.signature(fn)
    problems, n_calls, n_clear = [], 0, 0
    full = sig.bind(*args, **kwargs)
    full.apply_defaults()  # defaults are arguments too: every parameter is fuzzed
    for pname, value in full.arguments.items():
        if sig.parameters[pname].kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            continue
        if (name, pname) in NODE_LABELS:
            continue
        for label, bad, never_valid in variants(pname, value):
            bound = sig.bind(*args, **kwargs)
            bound.apply_defaults()
            bound.arguments[pname] = bad
            outcome, res, seconds = call(fn, bound.args, bound.kwargs)
            n_calls += 1
            where = f"{name}({pname}={label})"
            if seconds > CALL_LIMIT:
                problems.append(f"{where}: took {seconds:.1f} s")
            if outcome == "raised":
                if isinstance(res, CLEAR_TYPES) or (isinstance(res, (ValueError, TypeError)) and pname in str(res)):
                    n_clear += 1
                else:
                    problems.append(f"{where}: {type(res).__name__} not naming {pname!r}: {str(res)[:200]}")
            elif outcome == "ok":
                if never_valid:
                    problems.append(f"{where}: accepted")
                elif name not in NAN_ALLOWED and has_nan(res):
                    problems.append(f"{where}: NaN in the result")
    return problems, n_calls, n_clear


# ---------------------------------------------------------------- the tests
@pytest.fixture(scope="module")
def valid_calls():
    return record_valid_calls()


@pytest.fixture()
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a path argument fuzzed into a plain name writes here, not into the repository


@pytest.fixture()
def thread_pool():
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        yield pool


def _replayable(name, valid_calls, tmp_path, pool):
    """The recorded valid call, made replayable: a sweep gets a live executor and a fresh file."""
    args, kwargs = valid_calls[name]
    if name == "sweep":
        bound = inspect.signature(qnet.sweep).bind(*args, **kwargs)
        bound.arguments["path"] = tmp_path / "fuzz.jsonl"
        bound.arguments["executor"] = pool
        return bound.args, bound.kwargs
    return args, kwargs


@pytest.mark.parametrize("name", [n for n in _public_callables() if n not in RESULT_TYPES])
def test_public_callable_refuses_malformed_arguments(name, valid_calls, in_tmp, tmp_path, thread_pool):
    obj = getattr(qnet, name)
    if name not in valid_calls:
        pytest.fail(f"no runnable docstring example calls qnet.{name}: add one, so that it is fuzzed")
    args, kwargs = _replayable(name, valid_calls, tmp_path, thread_pool)
    outcome, res, _ = call(obj, args, kwargs)
    assert outcome == "ok", f"the valid call from the docstring fails: {res!r}"
    problems, n_calls, n_clear = fuzz(name, obj, args, kwargs)
    assert n_calls > 0 or not inspect.signature(obj).parameters  # a function without arguments has none to break
    assert not problems, "\n".join(problems)
