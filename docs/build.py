"""Build the documentation into OUTDIR without writing anything into ``docs/``.

Usage (from anywhere)::

    python docs/build.py OUTDIR [more sphinx-build options]

``docs/conf.py`` writes pages that follow the code (the API pages, the gallery, the benchmark table) into the
source folder before Sphinx reads it. Built with this script, that source folder is a fresh copy of ``docs/``
next to the output (``OUTDIR-source/docs``, with ``OUTDIR-source/studies`` linking to the committed figures), so
the repository stays untouched; every warning is an error. OUTDIR must lie outside the repository. Building
with ``python -m sphinx ... docs OUTDIR`` directly still works, and writes those pages under ``docs/``
(git-ignored).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
GENERATED = ("_build", "_generated", "generated", "mod_*.rst", "__pycache__")


def main(argv: list[str]) -> int:
    if not argv or argv[0].startswith("-"):
        print("usage: python docs/build.py OUTDIR [sphinx-build options]", file=sys.stderr)
        return 2
    out = Path(argv[0]).resolve()
    stage = out.with_name(out.name + "-source")
    if stage == DOCS.parent or DOCS.parent in stage.parents:
        print(f"build.py: error: OUTDIR must lie outside the repository (its source copy would be {stage})",
              file=sys.stderr)
        return 2
    shutil.rmtree(stage, ignore_errors=True)
    source = stage / "docs"
    shutil.copytree(DOCS, source, ignore=shutil.ignore_patterns(*GENERATED))
    # pages point at committed figures as ../studies/...: the same relative path must work from the copy
    (stage / "studies").symlink_to(DOCS.parent / "studies", target_is_directory=True)
    env = {**os.environ, "QNET_REPO_ROOT": str(DOCS.parent)}
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html", *argv[1:], str(source), str(out)]
    return subprocess.run(cmd, env=env).returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
