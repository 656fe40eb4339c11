"""The house's shape, checked on the code itself.

import-linter (run by ``make test``) holds the contracts of pyproject.toml; these tests hold what it does
not say: no import cycle among the project's modules, counting imports inside functions, and no import of
a project module hidden inside a function (which is how a cycle is usually papered over).
"""

import ast
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("dashboard", "kcc")

# The one place Django wants imports inside a function: AppConfig.ready() imports the modules that
# register themselves (signal receivers, Celery tasks) once the models are loaded.
ALLOWED_IN_FUNCTION = {("dashboard/apps.py", "ready")}


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's strongly connected components, iteratively (no recursion limit on a deep graph)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[set[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                components.append(component)
    return components


@pytest.mark.parametrize(
    ("graph", "cycles"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
        ({"a": {"b"}, "b": {"a"}}, [{"a", "b"}]),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [{"a", "b", "c"}]),
        ({"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"c"}}, [{"a", "b"}, {"c", "d"}]),
    ],
)
def test_strongly_connected_finds_exactly_the_cycles(graph, cycles):
    found = [c for c in strongly_connected(graph) if len(c) > 1]
    assert sorted(map(sorted, found)) == sorted(map(sorted, cycles))


@pytest.fixture(scope="module")
def import_graph() -> dict[str, set[str]]:
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    modules = {m for m in graph.modules if ".migrations" not in m}
    return {m: {n for n in graph.find_modules_directly_imported_by(m) if n in modules} for m in modules}


def test_the_graph_sees_imports_inside_functions(import_graph):
    # dashboard/apps.py imports the signal receivers only inside ready(): the graph must hold that arrow,
    # or the cycle check below would be blind to imports inside functions.
    assert "dashboard.live.signals" in import_graph["dashboard.apps"]


def test_no_import_cycle_among_the_projects_modules(import_graph):
    cycles = [sorted(c) for c in strongly_connected(import_graph) if len(c) > 1]
    assert cycles == []


def _imports_inside_functions(path: Path) -> list[tuple[str, int, str]]:
    found = []
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.ImportFrom):
                module = "." * inner.level + (inner.module or "")
            elif isinstance(inner, ast.Import):
                module = inner.names[0].name
            else:
                continue
            if module.startswith(".") or module.split(".")[0] in PACKAGES:
                found.append((node.name, inner.lineno, module))
    return found


def test_no_project_import_hides_inside_a_function():
    hidden = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" in relative:
                continue
            for function, line, module in _imports_inside_functions(path):
                if (relative, function) not in ALLOWED_IN_FUNCTION:
                    hidden.append(f"{relative}:{line} {function}() imports {module}")
    assert hidden == []
