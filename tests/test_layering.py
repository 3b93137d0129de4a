"""The house stays layered: no qnet module imports (at the top or inside a function) a module above it, and no
module reaches into another module's private names."""

import ast
import importlib
from pathlib import Path

import pytest

import qnet

#: Bottom to top. ``_kernels`` (numba engine) may be used by any module and imports none of these.
LAYERS = ["limits", "_validation", "_records", "_ranking", "errors", "_bell", "states", "noise", "measures", "memories", "_arguments", "results", "channels", "circuits", "_distil", "purification", "rounds", "swapping",
          "timing", "links", "_tree", "schedules", "chains", "spdc", "montecarlo", "protocol_search", "swap_policies", "sweeps", "networks"]
ROOT = Path(qnet.__file__).parent


#: Subpackages of qnet that hold modules of the library (a layer as a whole; their files may import each other).
PACKAGES = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"_kernels", "studies", "data"}


def _files(module: str) -> list[Path]:
    """The files of a layer: a module, or every file of a subpackage."""
    if module in PACKAGES:
        return sorted((ROOT / module).glob("*.py"))
    return [ROOT / f"{module}.py"]


def _imports(path: Path):
    """(module imported, names imported, line) for every relative import of a qnet module in ``path`` (in a
    subpackage, ``from ..x`` names qnet.x; ``from .x`` a file of the same subpackage, reported as None)."""
    top = 2 if path.parent != ROOT and path.parent.name in PACKAGES else 1
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level in (1, top):
            sibling = top == 2 and node.level == 1
            if node.module is None:  # "from . import x": a module, or the package's own __version__
                for alias in node.names:
                    if alias.name != "__version__":
                        yield (None if sibling else alias.name), [], node.lineno
            else:
                yield (None if sibling else node.module.split(".")[0]), [a.name for a in node.names], node.lineno


def test_every_module_has_a_layer():
    modules = ({p.stem for p in ROOT.glob("*.py")} - {"__init__", "__main__"}) | PACKAGES
    assert modules == set(LAYERS), f"give every module a place in LAYERS: {sorted(modules ^ set(LAYERS))}"


@pytest.mark.parametrize("module", LAYERS)
def test_no_module_imports_one_above_it(module):
    rank = LAYERS.index(module)
    for path in _files(module):
        for imported, _, line in _imports(path):
            if imported in ("_kernels", None):
                continue
            assert LAYERS.index(imported) < rank, f"{path.relative_to(ROOT)}:{line} imports qnet.{imported}, above it"


@pytest.mark.parametrize("module", LAYERS + ["_kernels/" + p.stem for p in (ROOT / "_kernels").glob("*.py")])
def test_no_module_imports_private_names_of_another(module):
    """Private names stay in their module, or in their subpackage (its engine-tier files share them)."""
    for path in _files(module) if "/" not in module else [ROOT / f"{module}.py"]:
        for imported, names, line in _imports(path):
            if imported is None:
                continue
            # "from . import _validation as _v" and "from ._kernels import x" import private modules, not names
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            assert not private, f"{path.relative_to(ROOT)}:{line} imports private names {private} of qnet.{imported}"


def test_no_two_modules_export_the_same_name():
    """A name in two modules' ``__all__`` would make ``qnet.<name>`` whichever module was imported last."""
    seen: dict[str, str] = {}
    clashes = []
    for module in LAYERS:
        for name in getattr(importlib.import_module(f"qnet.{module}"), "__all__", []):
            if name in seen:
                clashes.append(f"{name}: qnet.{seen[name]} and qnet.{module}")
            seen[name] = module
    assert not clashes, clashes


def test_no_function_shadows_its_module():
    """``qnet.<name>`` (and ``qnet.<package>.<name>``) is the module ``<name>`` wherever a module has that name: a
    function of the same name would replace it as the package's attribute, so ``import qnet.x as m`` would bind the
    function. Studies and data are not library modules."""
    shadowed = []
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__" or parts[0] in ("studies", "data"):
            continue
        package = importlib.import_module(".".join(("qnet",) + parts[:-1]))
        attribute = getattr(package, parts[-1], None)
        if attribute is not None and not isinstance(attribute, type(qnet)):
            shadowed.append(".".join(("qnet",) + parts))
    assert not shadowed, shadowed
