"""Run every benchmark case and write ``benchmarks/results.md``.

Usage::

    python benchmarks/run.py              # all modules
    python benchmarks/run.py idle purify  # only modules whose name contains a word
    NUMBA_NUM_THREADS=1 python benchmarks/run.py   # one core, as the targets assume
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
    header = (
        f"# qnet benchmarks\n\nqnet {qnet.__version__}, numpy {np.__version__}, Python {platform.python_version()}, "
        f"{platform.machine()}; medians of repeated runs, references measured in the same run.\n\n"
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
