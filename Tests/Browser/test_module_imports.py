"""The browser client's ES modules import each other without a cycle: a cycle makes a module run
before the one it imports has finished (its exports are still in their temporal dead zone), and
which one runs first depends on where the graph is entered. Shared state and helpers live in leaf
modules (app.js, data.js, ui.js) instead. No browser needed: the import lines are read as text."""
import re
from pathlib import Path

import pytest

JS = Path(__file__).resolve().parents[2] / "Sources" / "Gateway" / "Public" / "js"

# `import ... from './x.js'`, `export ... from './x.js'`, bare `import './x.js'` and `import('./x.js')`.
IMPORT = re.compile(r"""(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}/[^'"]+)['"]""")


def imports_of(path, root):
    """The modules under `root` that `path` imports, as paths relative to `root`."""
    found = set()
    for match in IMPORT.finditer(path.read_text(encoding="utf-8")):
        target = (path.parent / match.group(1)).resolve()
        if target.suffix == ".js":
            assert target.is_file(), f"{path.name} imports {match.group(1)}, which does not exist"
            found.add(target.relative_to(root).as_posix())
    return found


def module_graph(root):
    return {path.relative_to(root).as_posix(): imports_of(path, root) for path in sorted(root.rglob("*.js"))}


def find_cycle(graph):
    """One import cycle as a list of modules (first == last), or None."""
    state = {}  # module -> "open" while on the path, "done" once all it reaches is known acyclic
    path = []

    def visit(module):
        state[module] = "open"
        path.append(module)
        for target in sorted(graph.get(module, ())):
            if state.get(target) == "open":
                return path[path.index(target):] + [target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        path.pop()
        state[module] = "done"
        return None

    for module in sorted(graph):
        if module not in state:
            cycle = visit(module)
            if cycle:
                return cycle
    return None


def test_the_browser_modules_import_each_other_without_a_cycle():
    graph = module_graph(JS)
    assert "main.js" in graph and "app.js" in graph, sorted(graph)
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


@pytest.mark.parametrize("graph, cycle", [
    ({"a.js": {"b.js"}, "b.js": {"c.js"}, "c.js": set()}, None),
    ({"a.js": {"b.js", "c.js"}, "b.js": {"c.js"}, "c.js": set()}, None),  # a diamond is no cycle
    ({"a.js": {"a.js"}}, ["a.js", "a.js"]),
    ({"a.js": {"b.js"}, "b.js": {"a.js"}}, ["a.js", "b.js", "a.js"]),
    ({"main.js": {"game.js", "ui.js"}, "game.js": {"dialogs.js"}, "dialogs.js": {"main.js"}, "ui.js": set()},
     ["dialogs.js", "main.js", "game.js", "dialogs.js"]),
])
def test_find_cycle_finds_a_cycle_exactly_when_there_is_one(graph, cycle):
    assert find_cycle(graph) == cycle


def test_the_import_lines_are_read_in_all_their_forms(tmp_path):
    (tmp_path / "a.js").write_text(
        "import { x } from './b.js';\n"
        "import {\n  y,\n} from \"./c.js\";\n"
        "export { z } from './d.js';\n"
        "import './e.js';\n"
        "const later = await import('./f.js');\n"
        "const text = 'from nothing';\n")
    for name in "bcdef":
        (tmp_path / f"{name}.js").write_text("")
    assert module_graph(tmp_path)["a.js"] == {"b.js", "c.js", "d.js", "e.js", "f.js"}
