"""Regenerate the gallery: run every study into ``studies/<name>/`` and write ``studies/README.md``.

Usage::

    python -m qnet.studies.gallery            # full runs of every study
    python -m qnet.studies.gallery --quick    # smoke runs (small grids)
    python -m qnet.studies.gallery optimal_time swapping_143km   # only these studies
    python -m qnet.studies.gallery --check    # rerun every study and compare its numbers with the gallery's

The README shows each PNG figure with the command that made it and links the PDF and the data files.
``--check`` reruns each study (full, as the gallery was made) into a temporary folder and compares every number of
its CSV and JSON files with the committed ones (relative tolerance ``CHECK_RTOL``; text equal; the JSON records
of ``CHECK_IGNORED``, which name the code, the machine and wall-clock times, are not compared); it prints one line
per study and exits with 1 when any number differs.
"""

from __future__ import annotations

import argparse
import importlib
import csv
import json
import math
import pkgutil
import subprocess
import sys
import tempfile
from pathlib import Path

import qnet.studies
from qnet._records import replacing
from qnet.studies._common import StudyParser

__all__ = ["study_names", "figure_files", "summary_line", "write_readme", "compare", "check", "main"]

EXCLUDED = {"gallery"}


def study_names() -> list[str]:
    """Every study module of :mod:`qnet.studies` (public modules with a ``main``)."""
    names = []
    for info in pkgutil.iter_modules(qnet.studies.__path__):
        if info.name.startswith("_") or info.name in EXCLUDED:
            continue
        if hasattr(importlib.import_module(f"qnet.studies.{info.name}"), "main"):
            names.append(info.name)
    return sorted(names)


def figure_files(module, folder: Path) -> list[Path]:
    """The study's PNG figures in panel order (its ``FIGURES``), then any others by name."""
    order = list(getattr(module, "FIGURES", {}))
    pngs = sorted(folder.glob("*.png"))
    return sorted(pngs, key=lambda p: (order.index(p.stem) if p.stem in order else len(order), p.name))


def summary_line(module) -> str:
    """First line of a study's docstring."""
    doc = (module.__doc__ or "").strip().splitlines()
    return doc[0] if doc else ""


def write_readme(root: Path, names: list[str], quick: bool) -> Path:
    lines = [
        "# Study gallery",
        "",
        "Figures made by qnet's studies, committed with the data behind them. Regenerate everything with",
        "",
        "```bash",
        "python -m qnet.studies.gallery" + (" --quick" if quick else ""),
        "```",
        "",
        "Each study also runs on its own (`python -m qnet.studies.<name> --help`); by default it writes to",
        "`qnet-results/<name>/`.",
        "",
    ]
    for name in names:
        module = importlib.import_module(f"qnet.studies.{name}")
        folder = root / name
        page = getattr(module, "DOCS_PAGE", None)
        lines += [f"## {name}", "", summary_line(module), ""]
        if page:
            lines += [f"Read with the documentation page [{page}](../docs/{page}.rst).", ""]
        lines += ["```bash",
                  f"python -m qnet.studies.{name}{' --quick' if quick else ''} --out studies/{name}", "```", ""]
        for png in figure_files(module, folder):
            caption, data = getattr(module, "FIGURES", {}).get(png.stem, ("", []))
            pdf = png.with_suffix(".pdf")
            links = [f"[PDF]({name}/{pdf.name})"] if pdf.exists() else []
            data = [d for d in data if (folder / d).exists()] or \
                ([png.with_suffix(".csv").name] if png.with_suffix(".csv").exists() else [])
            links += [f"[data{'' if i == 0 else ': ' + d}]({name}/{d})" for i, d in enumerate(data)]
            lines += [f"### {png.stem}", "", f"![{png.stem}]({name}/{png.name})", ""]
            lines += [caption, ""] if caption else []
            lines += [" · ".join(links), ""]
        meta = sorted(folder.glob("*.json"))
        if meta:
            lines += ["Parameters and results: " + ", ".join(f"[{m.name}]({name}/{m.name})" for m in meta), ""]
    path = root / "README.md"
    with replacing(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines))
    return path


#: Numbers of a rerun and of the gallery agree within this relative tolerance (and ``CHECK_ATOL`` near 0): the
#: studies are deterministic (fixed seeds); what remains is round-off of another machine's libraries.
CHECK_RTOL = 1e-9
CHECK_ATOL = 1e-13
#: JSON records that describe the run, not its results: the code and machine, and wall-clock times.
CHECK_IGNORED = ("environment", "runtime_s", "seconds_per_panel")


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _same(a, b) -> bool:
    """Equal values: numbers within the tolerances (NaN equals NaN), everything else exactly."""
    if isinstance(a, bool) or isinstance(b, bool) or not isinstance(a, (int, float)) or not isinstance(b, (int, float)):
        return a == b
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= CHECK_ATOL + CHECK_RTOL * max(abs(a), abs(b))


def _json_differences(a, b, where: str) -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return [f"{where}: keys differ ({sorted(set(a) ^ set(b))})"]
        return [d for k in a if k not in CHECK_IGNORED for d in _json_differences(a[k], b[k], f"{where}/{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{where}: {len(a)} entries, committed {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in _json_differences(x, y, f"{where}[{i}]")]
    return [] if _same(a, b) else [f"{where}: {a!r}, committed {b!r}"]


def _csv_differences(new: Path, old: Path) -> list[str]:
    with new.open(encoding="utf-8", newline="") as fn, old.open(encoding="utf-8", newline="") as fo:
        rows_new, rows_old = list(csv.reader(fn)), list(csv.reader(fo))
    if len(rows_new) != len(rows_old) or (rows_new and rows_new[0] != rows_old[0]):
        return [f"{old.name}: {len(rows_new)} rows, committed {len(rows_old)} (or other columns)"]
    out = []
    for i, (rn, ro) in enumerate(zip(rows_new[1:], rows_old[1:]), start=2):
        for name, x, y in zip(rows_new[0], rn, ro):
            xn, yn = _number(x), _number(y)
            if not (_same(xn, yn) if xn is not None and yn is not None else x == y):
                out.append(f"{old.name} line {i} {name}: {x}, committed {y}")
    return out


def compare(fresh: Path, committed: Path) -> tuple[int, list[str]]:
    """Files compared and differences between a rerun's data and the committed data of one study."""
    diffs: list[str] = []
    files = sorted(p for p in committed.iterdir() if p.suffix in (".csv", ".json") and not p.name.startswith("."))
    for old in files:
        new = fresh / old.name
        if not new.exists():
            diffs.append(f"{old.name}: not made by the rerun")
        elif old.suffix == ".csv":
            diffs += _csv_differences(new, old)
        else:
            diffs += _json_differences(json.loads(new.read_text(encoding="utf-8")),
                                       json.loads(old.read_text(encoding="utf-8")), "")
    return len(files), diffs


def check(root: Path, names: list[str]) -> int:
    """Rerun ``names`` and compare with ``root``; one line per study; 0 when every number agrees, else 1."""
    failed = 0
    for name in names:
        if not (root / name).is_dir():
            print(f"{name}: no committed data in {root / name}")
            failed += 1
            continue
        with tempfile.TemporaryDirectory() as tmp:
            cmd = [sys.executable, "-m", f"qnet.studies.{name}", "--out", tmp, "--no-progress"]
            print("$", " ".join(["python"] + cmd[1:]), flush=True)
            run = subprocess.run(cmd, capture_output=True, text=True)
            if run.returncode != 0:
                print(f"{name}: the rerun failed ({run.returncode}): {run.stderr.strip().splitlines()[-1:]}")
                failed += 1
                continue
            n, diffs = compare(Path(tmp), root / name)
        if diffs:
            failed += 1
            print(f"{name}: {len(diffs)} differences in {n} files, e.g. " + "; ".join(diffs[:3]))
        else:
            print(f"{name}: the committed numbers are the code's ({n} files)")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = StudyParser(prog="python -m qnet.studies.gallery", description=__doc__,
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("studies", nargs="*", help="studies to run (default: all)")
    parser.add_argument("--root", type=Path, default=Path("studies"), help="gallery folder (default: %(default)s)")
    parser.add_argument("--quick", action="store_true", help="run every study with --quick")
    parser.add_argument("--no-progress", action="store_true", help="run every study with --no-progress")
    parser.add_argument("--readme-only", action="store_true", help="only rewrite README.md from existing figures")
    parser.add_argument("--check", action="store_true",
                        help="rerun the studies and compare their numbers with the gallery's (exit 1 on a difference)")
    args = parser.parse_args(argv)
    names = study_names()
    unknown = sorted(set(args.studies) - set(names))
    if unknown:
        parser.error(f"unknown studies {unknown}; available: {names}")
    selected = args.studies or names
    if args.root.exists() and not args.root.is_dir():
        parser.error(f"argument --root: {str(args.root)!r} is not a folder")
    if (args.readme_only or args.check) and not any((args.root / n).is_dir() for n in names):
        parser.error(f"argument --root: {str(args.root)!r} holds no study folder ({', '.join(names)}); run the "
                     f"gallery without --readme-only or --check first")
    if args.check:
        return check(args.root, selected)
    if not args.readme_only:
        for name in selected:
            cmd = [sys.executable, "-m", f"qnet.studies.{name}", "--out", str(args.root / name)]
            cmd += (["--quick"] if args.quick else []) + (["--no-progress"] if args.no_progress else [])
            print("$", " ".join(["python"] + cmd[1:]), flush=True)
            subprocess.run(cmd, check=True)
    present = [n for n in names if (args.root / n).is_dir()]
    try:
        readme = write_readme(args.root, present, args.quick)
    except OSError as exc:
        parser.error(f"argument --root: cannot write {str(args.root / 'README.md')!r}: {exc.strerror or exc}")
    print(json.dumps({"readme": str(readme), "studies": present}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
