"""Run every benchmark case and write ``benchmarks/results.md``.

Usage::

    python benchmarks/run.py              # all modules
    python benchmarks/run.py idle purify  # only modules whose name contains a word
    NUMBA_NUM_THREADS=1 python benchmarks/run.py   # one core (the rows that compare threads then show 1x)

The header records the machine (CPU model, cores) and numba's thread count: batch kernels over large batches use
every numba thread, and the rows of ``bench_cores.py`` compare both cores with one thread in the same run.
"""

from __future__ import annotations

import argparse
import importlib.util
import platform
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))  # run from a checkout without installing

from harness import measure, table  # noqa: E402


def load_modules(filters: list[str]):
    for path in sorted(HERE.glob("bench_*.py")):
        if filters and not any(f in path.stem for f in filters):
            continue
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield path.stem.removeprefix("bench_"), module


def _machine() -> str:
    """CPU model and logical core count (from /proc/cpuinfo where there is one)."""
    import os

    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:  # pragma: no cover - not Linux
        pass
    return f"{model}, {os.cpu_count()} logical cores"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("filters", nargs="*", help="only run modules whose name contains one of these words")
    parser.add_argument("--out", default=str(HERE / "results.md"), help="Markdown file to write (default: %(default)s)")
    args = parser.parse_args(argv)

    import numpy as np

    import qnet

    rows = []
    for module_name, module in load_modules(args.filters):
        for case in module.CASES:
            print(f"[{module_name}] {case.name} ...", flush=True)
            result = measure(case)
            rows.append((module_name, case, result))
    import numba

    header = (
        f"# qnet benchmarks\n\nqnet {qnet.__version__}, numpy {np.__version__}, numba {numba.__version__}, Python "
        f"{platform.python_version()}; {_machine()}, {numba.get_num_threads()} numba threads; medians of repeated "
        "runs, references measured in the same run.\n\n"
    )
    text = header + table(rows) + "\n"
    notes = [f"- **{m} / {c.name}**: {c.note}" for m, c, _ in rows if c.note]
    if notes:
        text += "\nNotes:\n\n" + "\n".join(notes) + "\n"
    Path(args.out).write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
