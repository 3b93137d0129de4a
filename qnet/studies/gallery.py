"""Regenerate the gallery: run every study into ``studies/<name>/`` and write ``studies/README.md``.

Usage::

    python -m qnet.studies.gallery            # full runs of every study
    python -m qnet.studies.gallery --quick    # smoke runs (small grids)
    python -m qnet.studies.gallery optimal_time swapping_143km   # only these studies

The README shows each PNG figure with the command that made it and links the PDF and the data files.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import qnet.studies

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
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qnet.studies.gallery", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("studies", nargs="*", help="studies to run (default: all)")
    parser.add_argument("--root", type=Path, default=Path("studies"), help="gallery folder (default: %(default)s)")
    parser.add_argument("--quick", action="store_true", help="run every study with --quick")
    parser.add_argument("--readme-only", action="store_true", help="only rewrite README.md from existing figures")
    args = parser.parse_args(argv)
    names = study_names()
    unknown = sorted(set(args.studies) - set(names))
    if unknown:
        parser.error(f"unknown studies {unknown}; available: {names}")
    selected = args.studies or names
    if not args.readme_only:
        for name in selected:
            cmd = [sys.executable, "-m", f"qnet.studies.{name}", "--out", str(args.root / name)]
            cmd += ["--quick"] if args.quick else []
            print("$", " ".join(cmd[1:]), flush=True)
            subprocess.run(cmd, check=True)
    present = [n for n in names if (args.root / n).is_dir()]
    print(json.dumps({"readme": str(write_readme(args.root, present, args.quick)), "studies": present}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
