"""Benchmark harness: medians of repeated runs, each case against a reference measured in the same run.

A benchmark module ``benchmarks/bench_<topic>.py`` defines ``CASES``, a list of
:class:`Case`. ``python benchmarks/run.py`` imports every such module, runs
every case and writes ``benchmarks/results.md``.
"""

from __future__ import annotations

import gc
import importlib
import multiprocessing
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass
class Case:
    """One benchmark case.

    ``setup()`` returns the arguments (a tuple) passed to ``run`` and ``reference``;
    it is called once and not timed. ``run`` is qnet's implementation, ``reference``
    the independent one it is compared with (plain numpy, QuTiP, a peer simulator),
    or ``None``. ``target_s`` is the per-call target from the issue, if any; ``ratio_target`` a target
    relative to the reference timed in the same run: met when ``median <= ratio_target * reference``
    (e.g. 2.0 for "at most twice a plain copy", 1 / 1.7 for "at least 1.7x faster than one thread").
    ``warmup`` calls (e.g. numba compilation) are not timed. ``per`` and ``reference_per`` divide the medians
    (a call that does ``per`` units of work is reported per unit). ``isolated`` times ``run`` and ``reference``
    each in a fresh process of its own (:func:`fresh_process_time`): both must then be module-level functions of
    a module that imports without side effects, and ``setup()`` must return picklable arguments.
    """

    name: str
    setup: Callable[[], tuple]
    run: Callable[..., Any]
    reference: Callable[..., Any] | None = None
    reference_name: str = ""
    target_s: float | None = None
    ratio_target: float | None = None
    repeat: int = 7
    reference_repeat: int = 3
    warmup: int = 1
    note: str = ""
    per: int = 1
    reference_per: int = 1
    isolated: bool = False
    results: dict = field(default_factory=dict)


def median_time(fn: Callable[..., Any], args: tuple, repeat: int, warmup: int) -> float:
    """Median wall time (seconds) of ``fn(*args)`` over ``repeat`` calls after ``warmup`` calls."""
    for _ in range(warmup):
        fn(*args)
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _timed(target: str, args: tuple, repeat: int, warmup: int) -> float:
    """:func:`median_time` of the function named ``module:function`` (run in the worker process)."""
    module, name = target.split(":")
    return median_time(getattr(importlib.import_module(module), name), args, repeat, warmup)


def fresh_process_time(fn: Callable[..., Any], args: tuple, repeat: int, warmup: int) -> float:
    """:func:`median_time` of ``fn(*args)`` in a fresh Python process (spawned, so it inherits no heap).

    Peers' codes and qnet allocate large temporary arrays; on machines where a page fault is expensive (virtual
    machines: 3.9 µs per 4 KiB page measured on the benchmark machine) one code's time depends on the heap the
    other left behind, by up to 2x in one process. Each in a process of its own is timed as its users run it.
    """
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        return pool.submit(_timed, f"{fn.__module__}:{fn.__name__}", args, repeat, warmup).result()


def measure(case: Case) -> dict:
    """Run one case; return a dict with ``median_s``, ``reference_s``, ``speedup`` and ``meets_target``."""
    args = case.setup()
    timer = fresh_process_time if case.isolated else median_time
    out = {"median_s": timer(case.run, args, case.repeat, case.warmup) / case.per}
    if case.reference is not None:
        out["reference_s"] = timer(case.reference, args, case.reference_repeat, 1) / case.reference_per
        out["speedup"] = out["reference_s"] / out["median_s"]
    if case.target_s is not None:
        out["meets_target"] = out["median_s"] <= case.target_s
    if case.ratio_target is not None:
        out["meets_target"] = out["median_s"] <= case.ratio_target * out["reference_s"]
    return out


def target_text(case: Case) -> str:
    """The target cell: an absolute time, a multiple of the reference, or a speed-up over it."""
    if case.ratio_target is not None:
        if case.ratio_target < 1.0:
            return f"≥ {1.0 / case.ratio_target:.2g}× faster than the reference"
        return f"≤ {case.ratio_target:.2g}× the reference"
    return fmt_seconds(case.target_s)


def fmt_seconds(s: float | None) -> str:
    if s is None:
        return "–"
    if s < 1e-3:
        return f"{s * 1e6:.2f} µs"
    if s < 1:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.2f} s"


def table(rows: list[tuple[str, Case, dict]]) -> str:
    """Markdown table of measured cases."""
    lines = [
        "| module | case | qnet (median) | reference | reference (median) | speed-up | target | met |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for module, case, r in rows:
        speed = f"{r['speedup']:.1f}×" if "speedup" in r else "–"
        if case.ratio_target is not None and case.ratio_target >= 1.0:  # a floor: how many times the reference
            speed = f"qnet = {1.0 / r['speedup']:.2f}× the reference"
        elif case.ratio_target is not None:
            speed = f"{r['speedup']:.2f}×"
        met = {True: "yes", False: "**no**"}.get(r.get("meets_target"), "–")
        lines.append(
            f"| {module} | {case.name} | {fmt_seconds(r['median_s'])} | {case.reference_name or '–'} | "
            f"{fmt_seconds(r.get('reference_s'))} | {speed} | {target_text(case)} | {met} |"
        )
    return "\n".join(lines)
