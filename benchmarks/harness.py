"""Benchmark harness: medians of repeated runs, each case against a reference measured in the same run.

A benchmark module ``benchmarks/bench_<topic>.py`` defines ``CASES``, a list of
:class:`Case`. ``python benchmarks/run.py`` imports every such module, runs
every case and writes ``benchmarks/results.md``.
"""

from __future__ import annotations

import gc
import statistics
import time
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
    ``warmup`` calls (e.g. numba compilation) are not timed.
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


def measure(case: Case) -> dict:
    """Run one case; return a dict with ``median_s``, ``reference_s``, ``speedup`` and ``meets_target``."""
    args = case.setup()
    out = {"median_s": median_time(case.run, args, case.repeat, case.warmup)}
    if case.reference is not None:
        out["reference_s"] = median_time(case.reference, args, case.reference_repeat, 1)
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
