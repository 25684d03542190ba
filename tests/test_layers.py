"""The apps' layers (docs/ARCHITECTURE.md, "Apps and layers"): each app imports only apps to its left,
anywhere in its modules (function-level imports included), and the diagram in the docs is this order."""

import ast
from pathlib import Path

from django.conf import settings

LAYERS = ["core", "branches", "members", "activities", "service", "health", "reports", "demo"]
ROOT = Path(settings.BASE_DIR)


def _imported_apps(path: Path) -> set[tuple[int, str]]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found |= {(node.lineno, name) for name in names if name.split(".")[0] in LAYERS}
    return found


def test_each_app_imports_only_apps_to_its_left():
    wrong = []
    for rank, app in enumerate(LAYERS):
        for path in sorted((ROOT / app).rglob("*.py")):
            for line, name in _imported_apps(path):
                if LAYERS.index(name.split(".")[0]) > rank:
                    wrong.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert wrong == []


def test_the_finder_sees_imports_inside_functions(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("import os\n\ndef f():\n    from reports.models import Report\n", encoding="utf-8")
    assert _imported_apps(module) == {(4, "reports.models")}


def test_the_architecture_diagram_is_this_order():
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    assert "    " + "  <-  ".join(LAYERS) + "\n" in text
