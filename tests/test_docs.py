"""The documentation builds without warnings, its code examples run, and it covers every public name.

* the Sphinx build (``python docs/build.py OUTDIR``: ``sphinx-build -W --keep-going`` on a copy of docs/) is run
  exactly as the README documents it, in a temporary folder;
* every tutorial script in ``docs/tutorials/`` runs with small grids and writes
  its figure;
* every ``>>>`` example of the hand-written pages runs as a doctest;
* every public name of every module re-exported by ``qnet/__init__.py`` has an
  API page, and every public function has a runnable example in its docstring.
"""

from __future__ import annotations

import ast
import doctest
import importlib
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
TUTORIALS = sorted((DOCS / "tutorials").glob("*.py"))
PAGES = sorted(
    p
    for p in DOCS.rglob("*.rst")
    if not {"_build", "_generated", "generated"} & set(p.relative_to(DOCS).parts)
    and not p.name.startswith("mod_")
)


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["MPLBACKEND"] = "Agg"
    env.update(extra)
    return env


def public_modules() -> list[str]:
    source = (ROOT / "qnet" / "__init__.py").read_text(encoding="utf-8")
    return [
        node.module
        for node in ast.parse(source).body
        if isinstance(node, ast.ImportFrom) and node.level == 1 and any(a.name == "*" for a in node.names)
    ]


def public_names() -> list[tuple[str, str]]:
    out = []
    for module_name in public_modules():
        module = importlib.import_module(f"qnet.{module_name}")
        out += [(module_name, name) for name in module.__all__]
    return out


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """One build (also under pytest-xdist), exactly as the README documents it: warnings are errors."""
    tmp_path = tmp_path_factory.mktemp("docs")
    out = tmp_path / "html"
    def generated():  # where docs/conf.py writes when it builds straight from docs/
        files = [*(DOCS / "_generated").glob("*"), *(DOCS / "api").glob("mod_*.rst"),
                 *(DOCS / "api" / "generated").glob("*")]
        return {p: p.stat().st_mtime_ns for p in files if p.is_file()}

    before = generated()
    cmd = [sys.executable, str(DOCS / "build.py"), str(out), "-q", "-E", "-d", str(tmp_path / "doctrees")]
    proc = subprocess.run(cmd, cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"sphinx-build failed:\n{proc.stdout[-5000:]}\n{proc.stderr[-10000:]}"
    after = generated()
    assert after == before, f"the build wrote into docs/: {sorted(set(after.items()) ^ set(before.items()))[:5]}"
    copy = tmp_path / "html-source" / "docs"  # the generated pages went to the build's own copy of docs/
    assert (copy / "api" / "mod_chains.rst").is_file() and (copy / "_generated" / "gallery.rst").is_file()
    return out


def test_sphinx_build_without_warnings_covers_every_public_name(site):
    out = site
    for page in ("index", "conventions", "getting_started", "gallery", "benchmarks", "validation", "api/index"):
        assert (out / f"{page}.html").is_file(), page
    names = public_names()
    assert names, "qnet exports nothing?"
    missing = []
    for module_name, name in names:
        page = site / "api" / f"mod_{module_name}.html"
        own = site / "api" / "generated" / f"qnet.{name}.html"
        if not own.is_file() and f'id="qnet.{name}"' not in page.read_text(encoding="utf-8"):
            missing.append(f"{module_name}.{name}")
    assert not missing, f"public names without API documentation: {missing}"


BROWSERS = ("chromium-headless-shell", "chromium", "chromium-browser")


def _browser() -> str | None:
    import shutil

    return next((path for path in map(shutil.which, BROWSERS) if path), None)


@pytest.mark.parametrize("page", ["conventions", "claims", "derivations/optimal_time_border"])
def test_formulas_render_offline_in_a_real_browser(site, page):
    """Headless Chromium (Debian's package; .ci/run installs it) with every network request sent to a dead
    proxy and every host name unresolvable: MathJax, shipped with the build, still renders every formula."""
    browser = _browser()
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail(f"no headless Chromium ({', '.join(BROWSERS)}) on this CI machine: .ci/run installs it")
        pytest.skip("no headless Chromium here (apt-get install chromium-headless-shell)")
    html = (site / f"{page}.html").read_text(encoding="utf-8")
    assert "cdn" not in html.lower() and "MathJax.js" in html   # the renderer is local
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--proxy-server=127.0.0.1:9",
           "--host-resolver-rules=MAP * ~NOTFOUND", "--virtual-time-budget=20000", "--dump-dom",
           (site / f"{page}.html").as_uri()]
    dom = subprocess.run(cmd, capture_output=True, text=True, timeout=120).stdout
    formulas = html.count('class="math notranslate nohighlight"')
    rendered = dom.count('class="MathJax"') + dom.count('class="MathJax_Display"')
    assert formulas > 10 and rendered >= formulas, (formulas, rendered)
    assert "Math Processing Error" not in dom


def test_every_public_function_has_a_runnable_example():
    missing = []
    for module_name, name in public_names():
        obj = getattr(importlib.import_module(f"qnet.{module_name}"), name)
        if inspect.isroutine(obj) and ">>>" not in (inspect.getdoc(obj) or ""):
            missing.append(f"{module_name}.{name}")
    assert not missing, f"public functions whose docstring has no '>>>' example: {missing}"


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(DOCS)) for p in PAGES])
def test_page_examples_run(page, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))
    result = doctest.testfile(str(page), module_relative=False, optionflags=doctest.ELLIPSIS, verbose=False,
                              report=True)  # fmt: skip
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {page.name}"


@pytest.mark.parametrize("script", TUTORIALS, ids=[p.stem for p in TUTORIALS])
def test_tutorial_runs_and_writes_its_figure(script, tmp_path):
    proc = subprocess.run(
        [sys.executable, "-W", "error", str(script), str(tmp_path)],
        cwd=tmp_path,
        env=_env(QNET_TUTORIAL_QUICK="1"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, f"{script.name} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    figure = tmp_path / f"{script.stem}.png"
    assert figure.is_file() and figure.stat().st_size > 10_000, f"{script.name} did not write {figure.name}"


@pytest.mark.parametrize("script", TUTORIALS, ids=[p.stem for p in TUTORIALS])
def test_tutorial_is_shown_in_the_docs(script):
    page = DOCS / "tutorials" / f"{script.stem}.rst"
    assert page.is_file(), f"no page for tutorial {script.name}"
    text = page.read_text(encoding="utf-8")
    assert f".. literalinclude:: {script.name}" in text
    assert script.stem in (DOCS / "tutorials" / "index.rst").read_text(encoding="utf-8")


def test_readme_examples_run_as_written():
    """Every block of the README runs on its own (each imports what it uses) and prints what the page shows."""
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) >= 3 and all(b.lstrip().startswith(">>> import qnet") for b in blocks)
    for i, block in enumerate(blocks):
        test = doctest.DocTestParser().get_doctest(block, {}, f"README block {i + 1}", "README.md", 0)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
        runner.run(test)
        assert runner.failures == 0 and runner.tries > 0, f"README block {i + 1} fails"
