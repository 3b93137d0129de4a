"""Shared plumbing of the studies: command line, output folder, metadata, figures, CSV, progress."""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import platform
import re
import sys
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from .._records import csv_text, jsonable, open_partial


class StudyParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, ``prog: error: argument --x: ...``, with exit code 2."""

    def error(self, message: str):  # noqa: D401 - argparse's hook
        self.exit(2, f"{self.prog}: error: {message}\n")


def number(kind: type = float, low: float | None = None, high: float | None = None, *, low_open: bool = False,
           high_open: bool = False):
    """An argparse ``type``: a finite number of ``kind`` in the stated range, else argparse's one-line error."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {'an integer' if kind is int else 'a number'}") \
                from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{text!r} is not finite")
        if low is not None and (value <= low if low_open else value < low):
            raise argparse.ArgumentTypeError(f"must be {'>' if low_open else '>='} {_show(low)}, got {text}")
        if high is not None and (value >= high if high_open else value > high):
            raise argparse.ArgumentTypeError(f"must be {'<' if high_open else '<='} {_show(high)}, got {text}")
        return value

    return parse


def _show(bound: float) -> str:
    return str(bound) if isinstance(bound, int) else f"{bound:g}"


def _negative_values(p: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """``--memory -1,0,0`` read as an option and its value: argparse takes a token that starts with ``-`` and is
    not a plain negative number for an option, so such a value is joined to its option (``--memory=-1,0,0``); no
    option name starts with a digit, so nothing else changes."""
    takes_value = {o for a in p._actions if a.nargs is None and a.option_strings for o in a.option_strings}
    out: list[str] = []
    i = 0
    while i < len(argv):
        if argv[i] in takes_value and i + 1 < len(argv) and len(argv[i + 1]) > 1 and argv[i + 1][0] == "-" \
                and (argv[i + 1][1].isdigit() or argv[i + 1][1] == "."):
            out.append(f"{argv[i]}={argv[i + 1]}")
            i += 2
        else:
            out.append(argv[i])
            i += 1
    return out


def parse_args(p: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """Parse, then check that ``--out`` can be created and written (an argparse error otherwise). A new run starts
    with nothing staged."""
    discard()
    _CAPTIONS.clear()
    _CAPTIONS.update(getattr(_study_module(p.prog), "FIGURES", {}))
    args = p.parse_args(_negative_values(p, sys.argv[1:] if argv is None else list(argv)))
    _RUN.clear()
    _RUN.update(_run_arguments(args))
    default_out = p.get_default("out")
    marker = Path(args.out) / RUN_MARKER
    if Path(args.out) == Path(default_out) and marker.is_file() and not args.overwrite:
        try:
            before = json.loads(marker.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            before = None
        if isinstance(before, dict) and before != _RUN:
            changed = sorted(set(before) | set(_RUN), key=str)
            changed = [k for k in changed if before.get(k) != _RUN.get(k)]
            shown = ", ".join(f"--{k.replace('_', '-')} {before.get(k)!r} -> {_RUN.get(k)!r}" for k in changed[:4])
            p.error(f"argument --out: {str(args.out)!r} holds a run with other parameters ({shown}); give --out "
                    f"for a new folder, or --overwrite")
    try:
        prepare_output(args.out)
        # a fresh name of our own (O_EXCL): never a write through a link someone left in the folder
        fd, probe = tempfile.mkstemp(prefix=".qnet-write-test-", dir=args.out)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        p.error(f"argument --out: cannot write to {str(args.out)!r}: {exc.strerror or exc}")
    return args


def _folder(text: str) -> Path:
    """argparse ``type`` of ``--out``: a folder name (an empty one would mean the current folder, silently)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must name a folder, got an empty string (use . for the current folder)")
    return Path(text)


_ROLE = re.compile(r":[a-z]+:`~?([^`<]*?)(?:\s*<[^>]*>)?`")


def plain_text(doc: str) -> str:
    """A study docstring as plain text for ``--help`` and the gallery page: reST roles (``:func:`x```) and inline
    literals (````x````) lose their markup."""
    return _ROLE.sub(r"\1", doc or "").replace("``", "")


def parser(name: str, description: str) -> argparse.ArgumentParser:
    """Argument parser with the options every study has: ``--out``, ``--quick``, ``--no-progress``."""
    p = StudyParser(
        prog=f"python -m qnet.studies.{name}",
        description=plain_text(description),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--out",
        type=_folder,
        default=Path("qnet-results") / name,
        help="output folder for figures and data (default: %(default)s)",
    )
    p.add_argument("--quick", action="store_true", help="small grids for a fast smoke run (used by the tests)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace a run with other parameters in the default output folder (otherwise refused)")
    p.add_argument("--no-progress", action="store_true", help="do not show progress bars")
    return p


def prepare_output(path: Path) -> Path:
    """Create the output folder (and parents); return it."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    return path


def environment() -> dict[str, str]:
    """Versions of qnet (with the fingerprint of its source and its git commit) and of the libraries that produced
    the numbers."""
    import numba
    import scipy

    import qnet

    code = qnet.code_fingerprint()
    return {
        "qnet": qnet.__version__,
        "qnet_source": code["source"],
        "git_commit": code["commit"] or "",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "numba": numba.__version__,
        "command": " ".join([Path(sys.argv[0]).name] + sys.argv[1:]),
    }


# ---------------------------------------------------------------- outputs: staged, then published together
#: Outputs of the running study, written under temporary names: (temporary, final) in the order written.
_PENDING: list[tuple[Path, Path]] = []


def _staged(path: Path, mode: str = "x", **kw):
    """Open a fresh temporary file beside ``path`` (:func:`qnet._records.open_partial`); it becomes ``path`` when
    the study publishes its outputs (:func:`report`)."""
    tmp, fh = open_partial(path, mode, **kw)
    _PENDING.append((tmp, Path(path)))
    return fh


#: A run's parameters, kept in its output folder, so that a run with other parameters does not overwrite it unasked.
RUN_MARKER = ".qnet-run.json"
#: The parameters of the running study (its options but the output folder, progress and overwrite flags).
_RUN: dict = {}


def _run_arguments(args: argparse.Namespace) -> dict:
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in sorted(vars(args).items())
            if k not in ("out", "no_progress", "overwrite")}


def publish() -> None:
    """Rename every staged output to its final name, in the order written: a run's figures and data replace the
    previous run's together, at its end (with the run's parameters in ``RUN_MARKER``)."""
    if _PENDING and _RUN:
        folder = _PENDING[0][1].parent
        with _staged(folder / RUN_MARKER, "x", encoding="utf-8") as fh:
            fh.write(json.dumps(jsonable(_RUN), sort_keys=True) + "\n")
    while _PENDING:
        tmp, final = _PENDING.pop(0)
        os.replace(tmp, final)


def discard() -> None:
    """Delete the staged outputs of a run that did not finish (the previous outputs stay as they were)."""
    while _PENDING:
        _PENDING.pop()[0].unlink(missing_ok=True)


def write_json(path: Path, payload: Mapping[str, Any]) -> Path:
    """Write ``payload`` (numpy values converted) plus the environment as pretty JSON (staged until the end)."""
    data = {"environment": environment(), **jsonable(payload)}
    with _staged(path, "x", encoding="utf-8") as fh:
        fh.write(json.dumps(data, indent=2, sort_keys=False) + "\n")
    return Path(path)


def write_csv(path: Path, columns: Mapping[str, Iterable[Any]]) -> Path:
    """Write equal-length columns to a CSV file with a header row (text cells through :func:`csv_text`; staged until
    the end)."""
    names = list(columns)
    cols = [np.asarray(list(columns[n]) if not isinstance(columns[n], np.ndarray) else columns[n]).ravel() for n in names]
    lengths = {len(c) for c in cols}
    if len(lengths) > 1:
        raise ValueError(f"CSV columns have different lengths: {dict(zip(names, map(len, cols)))}")
    with _staged(path, "x", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow([csv_text(n) for n in names])
        for row in zip(*cols):
            writer.writerow([repr(float(v)) if isinstance(v, (float, np.floating)) else
                             csv_text(v) if isinstance(v, str) else v for v in row])
    return Path(path)


def sweep_file(out: Path, stem: str, func, identity: Mapping[str, Any]) -> Path:
    """The study's sweep file ``<stem>-<work key>.jsonl`` in ``out``; files of the same stem made by other work
    (another point function, other fixed parameters, other qnet code) are removed with a message, so they are
    recomputed and never reused."""
    import qnet

    path = Path(out) / f"{stem}-{qnet.work_key(func, identity)}.jsonl"
    for old in sorted(Path(out).glob(f"{stem}-*.jsonl")):
        if old != path:
            print(f"recomputing: {old.name} was made by other work (other code or parameters); removed",
                  file=sys.stderr)
            old.unlink()
            old.with_name(old.name + ".lock").unlink(missing_ok=True)
    return path


def run(main, name: str) -> None:
    """Run a study from the command line: a parameter set that has no answer (a chain or network that never
    delivers, a window that cannot cover it, an optimizer with nothing positive to find) ends in one line
    ``python -m qnet.studies.<name>: error: ...`` and exit code 2, Ctrl-C in one line and exit code 130; the outputs
    the run staged are discarded, so the folder keeps the previous run's outputs whole."""
    from ..errors import InfeasibleError, NetworkError, NeverDeliversError, TruncationError

    prog = f"python -m qnet.studies.{name}"
    try:
        main()
    except KeyboardInterrupt:
        discard()
        print(f"{prog}: interrupted (the previous outputs are unchanged)", file=sys.stderr)
        raise SystemExit(130) from None
    except (NeverDeliversError, InfeasibleError, TruncationError, NetworkError) as exc:
        discard()
        print(f"{prog}: error: {' '.join(str(exc).split())}", file=sys.stderr)
        raise SystemExit(2) from None
    except BaseException:
        discard()
        raise


def report(out: Path, lines: list[str], *, figures: Mapping[str, Any] | None = None,
           terms: Mapping[str, str] | None = None, cached: Iterable[str] = ()) -> None:
    """What every study does at the end: publish its staged outputs together, then print where it wrote and (at
    most) three lines of its result; optionally each figure with what it answers (its caption), the study's terms
    in words, and which parts came from the cache of an earlier run."""
    publish()
    print(f"wrote {Path(out)}")
    for line in lines[:3]:
        print(f"  {line}")
    if figures:
        print("figures:")
        for stem, (caption, _) in figures.items():
            print(f"  {stem}.png: {caption}")
    if terms:
        print("terms:")
        for term, meaning in terms.items():
            print(f"  {term}: {meaning}")
    cached = list(cached)
    if cached:
        print(f"from the cache of an earlier run with the same parameters and code: {', '.join(cached)} "
              f"(--fresh recomputes)")


#: The running study's figure captions (its ``FIGURES``), whose "(a)", "(b)", ... are the panels' letters.
_CAPTIONS: dict = {}


def _study_module(prog: str):
    """The running study's module (it made the parser, so it is imported; run with ``python -m`` it is
    ``__main__``), or None."""
    if not prog.startswith("python -m qnet.studies."):
        return None
    name = prog.split()[-1]
    main = sys.modules.get("__main__")
    if getattr(getattr(main, "__spec__", None), "name", None) == name:
        return main
    return sys.modules.get(name)


def _panel_letter(fig, stem: str) -> None:
    """Every study's figures carry their panel letter the same way: the caption's "(x)" at the top left, in bold,
    unless a title already starts with it."""
    m = re.match(r"\(([a-z])\)", (_CAPTIONS.get(stem) or ("",))[0])
    if not m:
        return
    letter = m.group(0)
    titles = [ax.get_title(loc) for ax in fig.axes for loc in ("left", "center")]
    titles.append(fig.get_suptitle())
    if not any(t.startswith(letter) for t in titles):
        fig.text(0.005, 1.0, letter, ha="left", va="bottom", fontsize=11, weight="bold")


def save_figure(fig, out: Path, stem: str) -> list[Path]:
    """Save a matplotlib figure as ``stem.png`` (200 dpi) and ``stem.pdf`` (staged until the end); close it."""
    import matplotlib.pyplot as plt

    paths = [Path(out) / f"{stem}.png", Path(out) / f"{stem}.pdf"]
    _panel_letter(fig, stem)
    if _RUN.get("quick"):  # a smoke run's coarse grids are not the study's result: say so on the figure itself
        fig.text(0.995, 1.005, "quick run (--quick): coarse grids, not the study's result", ha="right", va="bottom",
                 fontsize=6, color="0.45")  # above everything; the tight bounding box makes room for it
    with _staged(paths[0], "xb") as fh:
        fig.savefig(fh, format="png", dpi=200, bbox_inches="tight")
    with _staged(paths[1], "xb") as fh:
        fig.savefig(fh, format="pdf", bbox_inches="tight", metadata={"CreationDate": None})  # reproducible bytes
    plt.close(fig)
    return paths


def use_agg() -> None:
    """Select the non-interactive backend (studies only write files)."""
    import matplotlib

    matplotlib.use("Agg")


def progress(iterable: Iterable, *, total: int | None = None, desc: str = "", enabled: bool = True):
    """tqdm progress bar on stderr, or the plain iterable when disabled."""
    if not enabled:
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, total=total, desc=desc, file=sys.stderr, dynamic_ncols=True)
