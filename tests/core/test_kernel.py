"""The kernel (core/) stands below every app: it imports Django and the standard library only."""

import ast
import sys
from pathlib import Path

import core

CORE = Path(core.__file__).parent


def _imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_core_imports_only_django_and_the_standard_library():
    allowed = set(sys.stdlib_module_names) | {"django", "core"}
    imported = {path.name: _imported_roots(path) - allowed for path in CORE.rglob("*.py")}
    assert {name: roots for name, roots in imported.items() if roots} == {}
