"""The house's shape, checked: every write function opens with its gate, and no view, API or
task compares a role string (role predicates live on the user: `user.is_street_staff`...).

These walk the source, so a new write service without a gate, or a new `role ==` in a view,
fails here rather than in a review.
"""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("portal", "grids", "services", "partybuilding", "reporting")


def _write_modules():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            rel = path.relative_to(ROOT)
            if "migrations" in rel.parts:
                continue
            in_writes = path.name == "writes.py" or "writes" in rel.parts[:-1]
            if in_writes and path.name != "__init__.py":
                yield rel, path


def _opens_with_gate(func: ast.FunctionDef) -> bool:
    body = list(func.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    if not body:
        return False
    first = body[0]
    if not (isinstance(first, ast.Expr) and isinstance(first.value, ast.Call)):
        return False
    callee = first.value.func
    name = callee.attr if isinstance(callee, ast.Attribute) else getattr(callee, "id", "")
    return name.startswith("access_")


def test_there_are_write_modules_to_check():
    assert len(list(_write_modules())) >= 10


def test_every_write_service_calls_its_gate_first():
    missing = []
    for rel, path in _write_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                if node.name.startswith("_"):
                    continue
                if not _opens_with_gate(node):
                    missing.append(f"{rel}:{node.lineno} {node.name}")
    assert not missing, "write services whose first line is not their gate:\n" + "\n".join(missing)


# Comparing a role outside the user model, the role table and the permission backend.
ROLE_COMPARISON = re.compile(
    r"\.role\s*(==|!=|\bin\b|\bnot in\b)|\b(STREET_ROLES|GRID_ROLES|LOCAL_ROLES)\b|==\s*Role\.|!=\s*Role\."
)
ALLOWED_FILES = {
    "portal/models.py",  # the role predicates themselves
    "portal/roles.py",  # the role table
}


def test_no_module_compares_role_strings():
    found = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            rel = str(path.relative_to(ROOT))
            if "migrations" in rel or rel in ALLOWED_FILES:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if ROLE_COMPARISON.search(line.split("#", 1)[0]):
                    found.append(f"{rel}:{number}: {line.strip()}")
    assert not found, "role compared outside the user's predicates:\n" + "\n".join(found)


TEMPLATE_ROLE = re.compile(r"\.role\s*(==|!=|\bin\b)")


def test_no_template_compares_role_strings():
    found = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if TEMPLATE_ROLE.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "role compared in a template (use user.is_street_staff...):\n" + "\n".join(
        found
    )
