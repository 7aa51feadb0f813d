"""Structure rules of the code base, checked on the source (ast): sizes, no import circles.

- Every package: no module over 500 lines; ``sims/``: no function over 80 lines (DESIGN.md,
  issue 11).
- No import inside a function that closes a circle of module imports: such an import only
  hides the circle; modules are arranged so that every import can sit at the top.

Each exception is listed below with its reason; an exception that no longer applies may be
removed from the list.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "markets", "forecasting", "optimizer", "control", "sims")
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80

LONG_FUNCTIONS: dict[tuple[str, str], str] = {
    # (module, function) pairs in sims/ allowed over MAX_FUNCTION_LINES, with the reason: none
}
LONG_MODULES: dict[str, str] = {
    # modules allowed over MAX_MODULE_LINES, with the reason: none
}
CIRCLES: dict[tuple[str, str], str] = {
    # (module, imported module) pairs allowed to close a circle from inside a function: none
}


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The project module an import of ``name`` loads (a module, or its package)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(path: Path) -> tuple[set[str], list[tuple[str, int]]]:
    """(modules imported at module level, [(module, line)] imported inside functions)."""
    top: set[str] = set()
    inner: list[tuple[str, int]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue  # annotations only: never executed
            names: list[str] = []
            if isinstance(child, ast.Import):
                names = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                names = [f"{child.module}.{alias.name}" for alias in child.names]
            for name in names:
                target = _resolve(name)
                if target is not None:
                    (inner.append((target, child.lineno)) if in_function else top.add(target))
            nested = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            visit(child, nested)

    visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return top, inner


IMPORTS = {name: _imports(path) for name, path in MODULES.items()}


def _reaches(start: str, goal: str) -> bool:
    """Whether importing ``start`` at module level imports ``goal`` (packages included)."""
    seen, stack = set(), [start]
    while stack:
        name = stack.pop()
        if name == goal:
            return True
        if name in seen:
            continue
        seen.add(name)
        parents = [name.rsplit(".", k)[0] for k in range(1, name.count(".") + 1)]
        stack.extend(IMPORTS[name][0] if name in IMPORTS else ())
        stack.extend(parents)
    return False


def test_no_function_import_hides_a_circle():
    circles = {
        (module, target): line
        for module, (_, inner) in IMPORTS.items()
        for target, line in inner
        if target != module and _reaches(target, module)
    }
    unexplained = {pair: line for pair, line in circles.items() if pair not in CIRCLES}
    assert not unexplained, f"imports inside functions that close a circle: {unexplained}"


def test_the_circle_check_finds_a_circle():
    # the check itself: markets.tariff imports markets.bill at module level (for Tariff.bill),
    # so an import of markets.tariff inside markets.bill would close a circle; core imports
    # nothing of markets
    assert _reaches("markets.tariff", "markets.bill")
    assert _reaches("markets.tariff", "markets.urdb")
    assert not _reaches("core.errors", "markets.tariff")


def test_the_tariff_modules_import_no_circle_at_all():
    # Tariff.from_urdb and Tariff.bill without a circle: the URDB reader and the bill engine
    # use the tariff's parts and terms, never markets.tariff (not even inside a function)
    for module in ("markets.urdb", "markets.urdb_charges", "markets.bill", "markets.meter"):
        top, inner = IMPORTS[module]
        assert "markets.tariff" not in top | {target for target, _ in inner}, module


@pytest.mark.parametrize("path", list(MODULES.values()), ids=lambda p: str(p.relative_to(ROOT)))
def test_modules_are_small(path):
    rel = path.relative_to(ROOT).as_posix()
    if rel in LONG_MODULES:
        return
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_MODULE_LINES, f"{rel} is {lines} lines, over {MAX_MODULE_LINES}"


def test_long_module_exceptions_still_apply():
    # an exception for a module that is now small (or gone) is dropped from the list
    for rel in LONG_MODULES:
        path = ROOT / rel
        assert path.is_file(), rel
        assert len(path.read_text(encoding="utf-8").splitlines()) > MAX_MODULE_LINES, rel


def test_long_function_exceptions_still_apply():
    # an exception for a function that is now short (or gone) is dropped from the list
    for rel, name in LONG_FUNCTIONS:
        tree = ast.parse((ROOT / rel).read_text(encoding="utf-8"))
        lengths = [
            node.end_lineno - node.lineno + 1
            for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name
        ]
        assert lengths and max(lengths) > MAX_FUNCTION_LINES, (rel, name)


def _sims_files() -> list[Path]:
    return sorted((ROOT / "sims").rglob("*.py"))


@pytest.mark.parametrize("path", _sims_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_sims_functions_are_small(path):
    text = path.read_text(encoding="utf-8")
    rel = path.relative_to(ROOT).as_posix()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            lines = node.end_lineno - node.lineno + 1
            if (rel, node.name) in LONG_FUNCTIONS:
                continue
            assert lines <= MAX_FUNCTION_LINES, f"{rel}: {node.name} is {lines} lines"


def _imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_library_and_scripts_do_not_import_the_tests():
    # the test oracles live under tests/ (tests.oracles); the shipped packages and the scripts
    # never import them (benchmarks, which are not shipped, may time against them)
    paths = [*MODULES.values(), *sorted((ROOT / "scripts").glob("*.py"))]
    offenders = [str(p.relative_to(ROOT)) for p in paths if "tests" in _imported_roots(p)]
    assert not offenders
    assert (ROOT / "tests" / "oracles" / "bill_reference.py").is_file()
    assert not (ROOT / "markets" / "bill_reference.py").exists()
