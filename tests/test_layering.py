"""The house stays layered: no qnet module imports (at the top or inside a function) a module above it, imports a
name another module keeps outside its ``__all__`` (except from the private modules of its own package), or
reaches into another subpackage's private names."""

import ast
import importlib
import importlib.util
from pathlib import Path

import pytest

import qnet

#: Bottom to top. ``_kernels`` (numba engine) may be used by any module and imports none of these.
LAYERS = ["limits", "_validation", "_records", "_ranking", "errors", "_bell", "states", "noise", "measures",
          "memories", "_arguments", "results", "channels", "circuits", "_distil", "purification", "rounds",
          "swapping", "timing", "links", "_tree", "schedules", "chains", "spdc", "montecarlo", "protocol_search",
          "_swap_rules", "swap_policies", "sweeps", "networks"]
ROOT = Path(qnet.__file__).parent


#: Subpackages of qnet that hold modules of the library (a layer as a whole; their files may import each other).
PACKAGES = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"_kernels", "studies", "data"}


def _files(module: str) -> list[Path]:
    """The files of a layer: a module, or every file of a subpackage."""
    if module in PACKAGES:
        return sorted((ROOT / module).glob("*.py"))
    return [ROOT / f"{module}.py"]


def test_kernels_import_no_module_above_them():
    """``qnet._kernels`` is the bottom of the house: its modules import one another, never a qnet module above."""
    for path in sorted((ROOT / "_kernels").glob("*.py")):
        for module, name, line in _name_imports(path):
            assert module.startswith("qnet._kernels"), f"{path.relative_to(ROOT)}:{line} imports {name} from {module}"


def test_every_module_has_a_layer():
    modules = ({p.stem for p in ROOT.glob("*.py")} - {"__init__", "__main__"}) | PACKAGES
    assert modules == set(LAYERS), f"give every module a place in LAYERS: {sorted(modules ^ set(LAYERS))}"


@pytest.mark.parametrize("module", LAYERS)
def test_no_module_imports_one_above_it(module):
    rank = LAYERS.index(module)
    for path in _files(module):
        for imported, name, line in _name_imports(path):
            layer = name if imported == "qnet" else imported.split(".")[1]  # "from . import x" names a module
            if layer in ("_kernels", module) or layer.startswith("__"):
                continue
            assert LAYERS.index(layer) < rank, f"{path.relative_to(ROOT)}:{line} imports qnet.{layer}, above it"


def _dotted(path: Path) -> str:
    parts = ("qnet",) + path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _visible(module: str, importer: str) -> bool:
    """Whether ``importer`` may read ``module``'s non-public names: every private part of ``module``'s path (a name
    starting with ``_``) belongs to a package that holds ``importer`` (``qnet._bell`` is every module's,
    ``qnet.chains._model`` only ``qnet.chains``'s)."""
    parts = module.split(".")
    return any(p.startswith("_") for p in parts) and all(
        not p.startswith("_") or importer.startswith(".".join(parts[:i]) + ".") for i, p in enumerate(parts))


def _name_imports(path: Path):
    """(module, name, line) of every import of a name from a qnet module in ``path``, in functions too."""
    own = _dotted(path)
    package = own if path.name == "__init__.py" else own.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module == "qnet" or module.startswith("qnet."):
                for alias in node.names:
                    yield module, alias.name, node.lineno
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("qnet."):
                    module, _, name = alias.name.rpartition(".")
                    yield module, name, node.lineno


def test_private_modules_are_their_packages():
    """The rule's reading of "private modules of its own package", on cases it must tell apart."""
    assert _visible("qnet._bell", "qnet.networks.simulator")  # qnet's private module: every module's
    assert _visible("qnet._kernels.events", "qnet.networks.simulator")
    assert _visible("qnet.chains._model", "qnet.chains.problem")  # a subpackage's: its own files'
    assert not _visible("qnet.chains._model", "qnet.networks.simulator")  # not another subpackage's
    assert not _visible("qnet.states", "qnet.purification")  # a public module shows its __all__ only


LIBRARY = sorted(p for p in ROOT.rglob("*.py") if "data" not in p.relative_to(ROOT).parts)


@pytest.mark.parametrize("path", LIBRARY, ids=[str(p.relative_to(ROOT)) for p in LIBRARY])
def test_no_module_imports_a_name_another_keeps_outside_its_all(path):
    """A module imports from another only what that module exports (its ``__all__``, or a submodule), except from
    the private modules of its own package (``qnet._bell``, ``qnet._kernels.*`` for every module; ``_model`` for the
    files of ``qnet.chains``): the engine tier lives in private modules, and public modules show only their public
    face. Private names (``_x``) stay in their subpackage."""
    importer = _dotted(path)
    package = importer if path.name == "__init__.py" else importer.rpartition(".")[0]
    found = []
    for module, name, line in _name_imports(path):
        target = importlib.import_module(module)
        where = f"{path.relative_to(ROOT)}:{line}"
        if name == "*" or name.startswith("__"):
            continue
        if importlib.util.find_spec(f"{module}.{name}") if hasattr(target, "__path__") else False:
            sub = f"{module}.{name}"  # a submodule: it must be visible itself
            if any(p.startswith("_") for p in sub.split(".")) and not _visible(sub, importer):
                found.append(f"{where} imports {sub}, a private module of another package")
        elif name.startswith("_") and module.rpartition(".")[0] != package:
            found.append(f"{where} imports the private name {name} of {module}, outside its subpackage")
        elif not _visible(module, importer) and name not in getattr(target, "__all__", ()):
            found.append(f"{where} imports {name} from {module}, which keeps it outside its __all__")
    assert not found, "\n".join(found)


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
