"""The direction of imports (docs/architecture.md, "Where things live"), read from the source:

- the lower apps (`accounts`, `agencies`, `lapor`) import nothing from `complaints` at module level
  (they announce with signals; a function may import late);
- the root of `complaints` (models, privacy, workflow, errors, audit) imports only itself, the shared
  wings (`common`, `outbox`) and the clock writer `deadlines.clocks`;
- a wing imports only the root and wings of a lower layer, never sideways or up (it may queue a
  Celery task of `complaints.tasks` from inside a function: the tasks keep their names there);
- no module imports another wing's views or URLs; each wing with pages has its own `urls.py`,
  which the root URLconf includes.
"""

import ast
from pathlib import Path

import pytest
from django.urls import URLResolver

REPO = Path(__file__).resolve().parent.parent
LOWER_APPS = ("accounts", "agencies", "lapor")
CORE = {"models", "privacy", "workflow", "errors", "audit"}
# Layers, bottom up. A wing may import a wing of a lower layer, never one of its own layer or above.
LAYERS = {
    "common": 1,  # pagination, search, idempotency
    "outbox": 1,  # notifications and the SMS backends
    "evidence": 2,  # uploads, storage, the PDF rebuild, the attachment view
    "deadlines": 2,  # clocks, the sweep, sanctions
    "channels": 3,  # the API, SMS, Open311, claims
    "portal": 3,  # the citizens' pages
    "dashboards": 3,  # figures, charts, exports, monthly reports, sanction and audit pages
    "staff": 4,  # the operators' and OPDs' workspace, built on the citizen forms and the panels
}
CORE_MAY_IMPORT = {"common", "outbox", "deadlines.clocks"}
WINGS_WITH_PAGES = ("channels", "portal", "staff", "dashboards", "evidence")


def _module(path):
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources(*packages):
    for package in packages:
        for path in sorted((REPO / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def _imports(path, *, module_level_only=False):
    """(imported module, line, is_module_level) for every import in `path`, relative ones resolved.
    `from x import y` yields `x.y` (y may be a module or a name: callers test prefixes)."""
    module = _module(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []

    def visit(node, top):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                if not module_level_only:
                    visit(child, False)
                continue
            if isinstance(child, ast.Import):
                found.extend((a.name, child.lineno, top) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    head = package.split(".")
                    head = head[: len(head) - child.level + 1]
                    base = ".".join([*head, base] if base else head)
                found.extend((f"{base}.{a.name}", child.lineno, top) for a in child.names)
            visit(child, top)

    visit(tree, True)
    return found


def _place(module):
    """("core", name) | ("wing", wing) | ("entry", name) for a module of complaints."""
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in LAYERS:
        return "wing", parts[1]
    if len(parts) > 1 and parts[1] in CORE:
        return "core", parts[1]
    return "entry", parts[1] if len(parts) > 1 else ""


def _within(target, prefix):
    return target == prefix or target.startswith(prefix + ".")


def test_the_scanner_sees_imports():
    """The checks below are only as good as the scanner: it finds absolute, relative and late imports."""
    staff_views = _imports(REPO / "complaints" / "staff" / "views.py")
    assert any(_within(t, "complaints.workflow") for t, _line, _top in staff_views)
    workflow = _imports(REPO / "complaints" / "workflow.py")
    assert any(_within(t, "complaints.errors") for t, _line, _top in workflow)  # `from .errors import …`
    services = _imports(REPO / "accounts" / "services.py")
    assert any(not top for _t, _line, top in services)  # imports inside functions are found too
    assert all(top for _t, _line, top in _imports(REPO / "accounts" / "services.py", module_level_only=True))


@pytest.mark.parametrize("app", LOWER_APPS)
def test_lower_apps_do_not_import_complaints_at_module_level(app):
    offending = [
        f"{path.relative_to(REPO)}:{line} imports {target}"
        for path in _sources(app)
        for target, line, top in _imports(path, module_level_only=True)
        if top and _within(target, "complaints")
    ]
    assert offending == []


def test_the_root_of_complaints_imports_only_the_root_and_the_shared_wings():
    offending = []
    for name in sorted(CORE):
        path = REPO / "complaints" / f"{name}.py"
        for target, line, _top in _imports(path):
            if not _within(target, "complaints"):
                continue
            kind, where = _place(target)
            allowed = kind == "core" or any(_within(target, f"complaints.{ok}") for ok in CORE_MAY_IMPORT)
            if not allowed:
                offending.append(f"complaints/{name}.py:{line} imports {target}")
    assert offending == []


def test_wings_import_only_downward():
    offending = []
    for wing, layer in LAYERS.items():
        for path in _sources(f"complaints/{wing}"):
            for target, line, top in _imports(path):
                if not _within(target, "complaints"):
                    continue
                if _within(target, "complaints.tasks") and not top:
                    continue  # queueing a task by its fixed name (`complaints.tasks`), inside a function
                kind, where = _place(target)
                if kind == "core" or (kind == "wing" and (where == wing or LAYERS[where] < layer)):
                    continue
                offending.append(f"{path.relative_to(REPO)}:{line} ({wing}, layer {layer}) imports {target}")
    assert offending == []


def _is_page_module(target):
    last = [p for p in target.split(".")[2:4]]
    return any(p == "views" or p.endswith("_views") or p == "urls" for p in last)


def test_no_wing_imports_another_wings_views_or_urls():
    offending = []
    for path in _sources("complaints", "accounts", "agencies", "lapor"):
        module = _module(path)
        kind, here = _place(module) if module.startswith("complaints.") else ("other", module)
        for target, line, _top in _imports(path):
            if not _within(target, "complaints") or _place(target)[0] != "wing":
                continue
            wing = _place(target)[1]
            if _is_page_module(target) and not (kind == "wing" and here == wing):
                offending.append(f"{path.relative_to(REPO)}:{line} imports {target}")
    assert offending == []


@pytest.mark.parametrize("wing", WINGS_WITH_PAGES)
def test_each_wing_with_pages_has_its_urls_included_by_the_root(wing):
    from lapor import urls

    assert (REPO / "complaints" / wing / "urls.py").is_file()
    included = {getattr(p.urlconf_name, "__name__", None) for p in urls.urlpatterns if isinstance(p, URLResolver)}
    assert f"complaints.{wing}.urls" in included
