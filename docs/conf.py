"""Sphinx configuration of the qnet documentation.

Build (from the repository root; ``docs/build.py`` builds from a copy of ``docs/``, so the repository stays
untouched)::

    python docs/build.py ../qnet-docs/html

Before Sphinx reads the sources this file writes a few pages that must follow
the code, so that they can never go stale:

* ``api/mod_<module>.rst``: one page per module imported into the flat ``qnet``
  namespace by ``qnet/__init__.py``, with an autosummary table of that module's
  ``__all__`` (each name gets its own page under ``api/generated/``);
* ``_generated/gallery.rst``: one section per study in ``qnet/studies/`` with its
  command line and the committed figures under ``studies/<name>/``;
* ``_generated/benchmarks.md``: a copy of ``benchmarks/results.md``.

All of these are ignored by git (``docs/.gitignore``).
"""

from __future__ import annotations

import ast
import importlib
import os
import re
import shutil
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = Path(os.environ.get("QNET_REPO_ROOT", DOCS.parent)).resolve()  # docs/build.py builds from a copy of docs/
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MPLBACKEND", "Agg")

import qnet  # noqa: E402

# -- project -------------------------------------------------------------------------------------
project = "qnet"
author = "the qnet developers"
copyright = "2026, the qnet developers"
release = qnet.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build", "_generated", "Thumbs.db", ".DS_Store", "**/README.md"]
default_role = "math"
nitpicky = False

# -- autodoc / autosummary / numpydoc -------------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = True
autodoc_typehints = "none"  # numpydoc's Parameters section already states types
autodoc_default_options = {"member-order": "bysource"}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = False
numpydoc_xref_param_type = False

# -- HTML ----------------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"qnet {release}"
html_static_path = ["_static"]
html_css_files = ["qnet.css"]  # wide equations scroll instead of being cut
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_show_sourcelink = False
html_last_updated_fmt = None  # reproducible builds, no git call

# Math renders offline: MathJax 2.7 ships with the build, copied from the jupyter-server-mathjax package (the
# Jupyter project's packaged MathJax, installed with the docs extra) into _static/mathjax; no CDN is used.
MATHJAX_SOURCE = Path(importlib.import_module("jupyter_server_mathjax").__file__).parent / "static"
mathjax_path = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full"
mathjax2_config = {
    "TeX": {"Macros": {"ket": ["|#1\\rangle", 1], "bra": ["\\langle #1|", 1]}},
    "messageStyle": "none",
    # the package ships the STIX-Web fonts only (as Jupyter uses them): no TeX web fonts, no image fonts
    "HTML-CSS": {"availableFonts": [], "preferredFont": None, "webFont": "STIX-Web", "imageFont": None,
                 "linebreaks": {"automatic": True}},  # long equations break at operators to fit the page
}


def _copy_mathjax(app, exception) -> None:
    """After an HTML build, put the MathJax files where ``mathjax_path`` points (``_static/mathjax``)."""
    if exception is None and app.builder.format == "html":
        shutil.copytree(MATHJAX_SOURCE, Path(app.outdir) / "_static" / "mathjax", dirs_exist_ok=True)


def setup(app) -> None:
    app.connect("build-finished", _copy_mathjax)


# -- generated pages -----------------------------------------------------------------------------
def _write_if_changed(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` unless it already holds it (keeps incremental builds incremental)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def public_modules() -> list[str]:
    """Modules re-exported by ``qnet/__init__.py`` (``from .<module> import *``), in file order."""
    source = (ROOT / "qnet" / "__init__.py").read_text(encoding="utf-8")
    names = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module and any(a.name == "*" for a in node.names):
            names.append(node.module)
    return names


def namespace_modules() -> list[str]:
    """Modules ``qnet/__init__.py`` imports as namespaces (``from . import <module>``), kept off the flat
    ``qnet`` namespace (``qnet.limits``)."""
    source = (ROOT / "qnet" / "__init__.py").read_text(encoding="utf-8")
    return [a.name for node in ast.parse(source).body
            if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module is None for a in node.names
            if a.name != "__version__"]


def _title(doc: str | None, fallback: str) -> str:
    line = (doc or "").strip().splitlines()[0] if (doc or "").strip() else fallback
    return line.rstrip(".")


def write_api_pages() -> list[str]:
    """One autosummary page per public module; returns the module names."""
    modules = public_modules()
    documented: dict[str, str] = {}  # public name -> module whose page documents it
    for old in (DOCS / "api").glob("mod_*.rst"):
        if old.stem.removeprefix("mod_") not in modules + namespace_modules():
            old.unlink()
    for name in modules:
        module = importlib.import_module(f"qnet.{name}")
        exported = list(getattr(module, "__all__", []))
        # A name exported by two modules is documented once, on the page of the first one
        # (``from .<module> import *`` of the later module rebinds ``qnet.<name>``; see the note).
        public = [n for n in exported if n not in documented]
        shared = [n for n in exported if n in documented]
        documented.update({n: name for n in public})
        data = [n for n in public if _is_data(getattr(module, n))]
        callables = [n for n in public if n not in data]
        heading = f"``qnet.{name}``: {_title(module.__doc__, name)}"
        lines = [
            f".. _api-{name}:",
            "",
            heading,
            "=" * len(heading),
            "",
            f".. automodule:: qnet.{name}",
            "   :no-members:",
            # a module named like one of its functions would not be indexed, so qnet.<name> stays the function (no
            # such module now: tests/test_layering.py refuses one)
            *(["   :no-index:"] if name in exported else []),
            "",
            "All names below are available directly as ``qnet.<name>``.",
            "",
            ".. currentmodule:: qnet",
            "",
            ".. autosummary::",
            "   :toctree: generated/",
            "   :nosignatures:",
            "",
        ]
        lines += [f"   {n}" for n in callables]
        if shared:
            lines += ["", "Also exported by this module (documented on an earlier page): "
                      + ", ".join(f"``{n}`` (:ref:`api-{documented[n]}`)" for n in shared) + "."]
        if data:
            lines += ["", "Constants", "---------", ""]
            for n in data:
                lines += [f".. data:: {n}", ""]
                text = _attribute_doc(module, n) or ["(undocumented)"]
                lines += [f"   {line}" if line else "" for line in text]
                lines += ["", "   Value: ``" + _short_repr(getattr(module, n)) + "``", ""]
        _write_if_changed(DOCS / "api" / f"mod_{name}.rst", "\n".join(lines) + "\n")
    for name in namespace_modules():  # names kept off the top level, documented under their namespace
        module = importlib.import_module(f"qnet.{name}")
        heading = f"``qnet.{name}``: {_title(module.__doc__, name)}"
        lines = [f".. _api-{name}:", "", heading, "=" * len(heading), "", f".. automodule:: qnet.{name}",
                 "   :no-members:", "", f"The names below are available as ``qnet.{name}.<name>``.", "",
                 f".. currentmodule:: qnet.{name}", ""]
        found: dict[str, list[str]] = {}  # each name's doc comment, from the module that defines it
        for m in sorted(m for m in sys.modules if m.startswith("qnet.") and not m.startswith("qnet._kernels")):
            for n, doc in _attribute_docs(m).items():
                found.setdefault(n, doc)
        for n in module.__all__:
            text = found.get(n)
            lines += [f".. data:: {n}", ""]
            lines += [f"   {line}" if line else "" for line in (text or ["(undocumented)"])]
            lines += ["", "   Value: ``" + _short_repr(getattr(module, n)) + "``", ""]
        _write_if_changed(DOCS / "api" / f"mod_{name}.rst", "\n".join(lines) + "\n")
    # The API index lists the modules in the order of qnet/__init__.py (states first, studies' tools last).
    toc = [".. toctree::", "   :maxdepth: 1", ""] + [f"   /api/mod_{name}" for name in modules + namespace_modules()]
    _write_if_changed(DOCS / "_generated" / "api_toc.rst", "\n".join(toc) + "\n")
    # Stubs of names that were renamed or removed must not linger (they would be orphan pages).
    for stub in (DOCS / "api" / "generated").glob("qnet.*.rst"):
        if stub.stem.removeprefix("qnet.") not in documented:
            stub.unlink()
    return modules


def _is_data(obj) -> bool:
    import inspect

    return not (inspect.isclass(obj) or inspect.isroutine(obj) or inspect.ismodule(obj) or callable(obj))


def _attribute_docs(modname: str) -> dict[str, list[str]]:
    """``#:`` doc comments of a module's top-level names (what autodoc would show for ``qnet.<module>.<name>``)."""
    from sphinx.pycode import ModuleAnalyzer

    found = ModuleAnalyzer.for_module(modname).find_attr_docs()
    return {name: [line for line in lines if line is not None] for (ns, name), lines in found.items() if ns == ""}


def _attribute_doc(module, name: str) -> list[str]:
    """The ``#:`` doc comment of ``module.name``, read where the name is defined: the module itself, or the qnet
    module (often a private one of the engine tier) that defines the object the module imports."""
    value = getattr(module, name)
    homes = [module.__name__] + sorted(m for m, mod in list(sys.modules.items()) if m.startswith("qnet.")
                                       and m != module.__name__ and getattr(mod, name, None) is value)
    for home in homes:
        text = _attribute_docs(home).get(name)
        if text:
            return text
    return []


def _short_repr(value) -> str:
    import numpy as np

    if isinstance(value, np.ndarray):
        text = np.array2string(value, precision=6, separator=", ", max_line_width=10_000).replace("\n", "")
        text = re.sub(r"\s+", " ", text)
    elif isinstance(value, dict):
        text = "{" + ", ".join(repr(k) + ": ..." for k in value) + "}" if not all(
            isinstance(v, (str, int, float, tuple, type(None))) for v in value.values()
        ) else repr(value)
    else:
        text = repr(value)
    if len(text) > 400:
        text = text[:400] + " ..."
    return text.replace("``", "`\\`")


def _study_modules() -> list[str]:
    # ``gallery`` is the driver that re-runs every study, not a study.
    return sorted(
        p.stem for p in (ROOT / "qnet" / "studies").glob("*.py") if not p.stem.startswith("_") and p.stem != "gallery"
    )


def _committed_run(folder: Path) -> tuple[str | None, dict]:
    """Command line and scalar parameters recorded in the study's committed JSON (by ``_common.write_json``)."""
    import json

    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        command = data.get("environment", {}).get("command")
        params = data.get("parameters", {})
        if command:
            scalars = {k: v for k, v in params.items() if isinstance(v, (int, float, str, bool))}
            return command, scalars
    return None, {}


def write_gallery() -> None:
    """Gallery of study figures: command, description and the committed PNGs under ``studies/<name>/``."""
    out = ["..", "   Written by docs/conf.py from qnet/studies/*.py and studies/<name>/*.png; do not edit.", ""]
    studies = _study_modules()
    if not studies:
        out += ["No study has been added to ``qnet/studies/`` yet.", ""]
    for name in studies:
        try:
            module = importlib.import_module(f"qnet.studies.{name}")
            doc = module.__doc__ or ""
        except Exception as exc:  # a broken study must not hide the others; the warning fails -W builds
            raise RuntimeError(f"cannot import qnet.studies.{name} for the gallery: {exc}") from exc
        heading = f"``{name}``: {_title(doc, name)}"
        out += [f".. _gallery-{name}:", "", heading, "-" * len(heading), ""]
        if getattr(module, "DOCS_PAGE", None):
            out += [f"Read with :doc:`{module.DOCS_PAGE}`.", ""]
        from qnet.studies._common import plain_text

        body = _dedent("\n".join(plain_text(doc).strip().splitlines()[1:])).strip()
        if body:  # study docstrings are plain text written for --help: show them verbatim
            out += [".. code-block:: text", ""] + [f"   {line}" if line else "" for line in body.splitlines()] + [""]
        folder = ROOT / "studies" / name
        command, params = _committed_run(folder) if folder.is_dir() else (None, {})
        if command:
            args = command.split()[1:]  # recorded as "<script> <args>"
            shown = " ".join([f"python -m qnet.studies.{name}"] + args)
            out += ["Command that made the committed figures (``--help`` lists every option):"]
        else:
            shown = f"python -m qnet.studies.{name} --out qnet-results/{name}"
            out += ["Command (``--quick`` makes a small smoke run, ``--help`` lists every option):"]
        out += ["", ".. code-block:: console", "", f"   $ {shown}", ""]
        if params:
            out += ["Parameters of that run: " + ", ".join(f"``{k} = {v!r}``" for k, v in params.items()) + ".", ""]
        from qnet.studies.gallery import figure_files

        pngs = figure_files(module, folder) if folder.is_dir() else []
        captions = getattr(module, "FIGURES", {})
        if pngs:
            out += [f"Committed figures (``studies/{name}/``), in panel order:", ""]
            for png in pngs:
                # Paths in an included file are relative to the including page (docs/gallery.rst).
                rel = os.path.relpath(png, DOCS).replace(os.sep, "/")
                text, data = captions.get(png.stem, ("", []))
                text = re.sub(r"([*`|_\\])", r"\\\1", text)  # plain text, not reST markup
                caption = f"``{png.name}``" + (f": {text}" if text else "")
                if data:
                    caption += " Data: " + ", ".join(f"``{d}``" for d in data) + "."
                out += [f".. figure:: {rel}", "   :width: 90%", "", f"   {caption}", ""]
            data = sorted(p.name for p in folder.iterdir() if p.suffix in {".csv", ".json", ".pdf"})
            if data:
                out += ["Data and vector figures in the same folder: " + ", ".join(f"``{d}``" for d in data) + ".", ""]
        else:
            out += [f"No figures of this study are committed under ``studies/{name}/`` yet; run the command above.", ""]
    _write_if_changed(DOCS / "_generated" / "gallery.rst", "\n".join(out) + "\n")


def _dedent(text: str) -> str:
    import textwrap

    return textwrap.dedent(text)


def write_benchmarks() -> None:
    """Copy ``benchmarks/results.md`` (or a note that it has not been produced yet)."""
    src = ROOT / "benchmarks" / "results.md"
    if src.exists():
        text = src.read_text(encoding="utf-8")
        # The page has its own title; demote the file's top-level heading.
        text = re.sub(r"^# .*\n", "", text, count=1)
    else:
        text = "No benchmark results have been committed yet (``benchmarks/results.md`` is missing).\n"
    _write_if_changed(DOCS / "_generated" / "benchmarks.md", text)



def _resolve_constants(tree: ast.Module, known: dict[str, str]) -> dict[str, str]:
    """Module-level ``NAME = <number>`` assignments (and aliases of known names) as strings."""
    found = dict(known)
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            value = node.value
            for target in targets:
                if not isinstance(target, ast.Name) or value is None:
                    continue
                if isinstance(value, ast.Constant) and isinstance(value.value, (int, float)):
                    found[target.id] = repr(value.value)
                elif isinstance(value, ast.Name) and value.id in found:
                    found[target.id] = found[value.id]
    return found


_TOL_PATTERNS = (
    re.compile(r"\b(?:atol|abs)\s*=\s*([A-Za-z_][A-Za-z0-9_]*|[0-9.]+e-?[0-9]+|0\.[0-9]+)"),
    re.compile(r"(?:<|<=)\s*([A-Z_][A-Z0-9_]*|[0-9.]+e-[0-9]+)\b(?!\s*\*)"),
)
_REL_PATTERN = re.compile(r"\b(?:rtol|rel)\s*=\s*([A-Za-z_][A-Za-z0-9_]*|[0-9.]+e-?[0-9]+)")
_SIGMA_PATTERN = re.compile(r"<\s*([0-9]+)\s*\*\s*(?:math\.sqrt|np\.sqrt|sigma|[a-z_]*std|[a-z_]*stderr|mc\[)")


def _tolerances(source: str, constants: dict[str, str]) -> str:
    """Tolerances asserted in a test's source: absolute, relative, and k-sigma Monte Carlo bounds."""

    def value(token: str) -> float | None:
        token = constants.get(token, token)
        try:
            return float(token)
        except ValueError:
            return None

    absolute = {v for pat in _TOL_PATTERNS for t in pat.findall(source) if (v := value(t)) is not None and 0 < v < 1}
    relative = {v for t in _REL_PATTERN.findall(source) if (v := value(t)) is not None and 0 < v < 1}
    parts = []
    if absolute:
        parts.append(", ".join(f"{v:.0e}" for v in sorted(absolute)))
    if relative:
        parts.append("rel. " + ", ".join(f"{v:.0e}" for v in sorted(relative)))
    sigmas = sorted({int(k) for k in _SIGMA_PATTERN.findall(source)})
    if sigmas:
        parts.append(", ".join(f"{k} σ" for k in sigmas))
    return "; ".join(parts) if parts else "exact / qualitative"


def write_test_index() -> None:
    """Every test function of ``tests/test_*.py`` with its docstring (or name) and the tolerances it asserts."""
    tests = ROOT / "tests"
    conftest = tests / "conftest.py"
    base = _resolve_constants(ast.parse(conftest.read_text(encoding="utf-8")), {}) if conftest.exists() else {}
    out = [
        "..",
        "   Written by docs/conf.py from tests/test_*.py; do not edit.",
        "",
        "Every test",
        "----------",
        "",
        "Generated from the test files at build time: each test with its description and the tolerances",
        "found in its assertions (absolute unless marked; \"σ\": standard errors of a Monte Carlo",
        "estimate; \"exact / qualitative\": equality, ordering, shape or error-message checks).",
        "",
    ]
    for path in sorted(tests.glob("test_*.py")):
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        constants = _resolve_constants(tree, base)
        doc = (ast.get_docstring(tree) or "").strip().splitlines()
        heading = f"``tests/{path.name}``"
        out += [heading, "^" * len(heading), ""]
        if doc:
            out += [doc[0].replace("*", "\\*").replace("|", "\\|"), ""]
        rows = []
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
                text = (ast.get_docstring(node) or "").strip().splitlines()
                what = text[0] if text else node.name.removeprefix("test_").replace("_", " ")
                what = what.replace("*", "\\*").replace("|", "\\|").replace("`", "")
                rows.append((node.name, what, _tolerances(ast.get_source_segment(source, node) or "", constants)))
        if rows:
            out += [".. list-table::", "   :header-rows: 1", "   :widths: 35 50 15", "",
                    "   * - test", "     - checks", "     - tolerance"]
            for name, what, tol in rows:
                out += [f"   * - ``{name}``", f"     - {what}", f"     - {tol}"]
            out += [""]
    _write_if_changed(DOCS / "_generated" / "tests.rst", "\n".join(out) + "\n")


write_api_pages()
write_gallery()
write_benchmarks()
write_test_index()
