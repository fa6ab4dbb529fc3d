"""Imports flow one way: config → tables → layers → ml → serving → cli, and no module imports
itself back through others — function-level imports included (they hide cycles, not remove them)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("catalog", "lakehouse", "simulator", "ml", "serving", "jobs")

# Rank of each part of the tree: a module may import only modules of the same or a lower rank.
RANKS = [
    (0, ("catalog", "lakehouse.errors", "lakehouse.config", "lakehouse.privacy", "lakehouse.check_digits", "lakehouse.intervals")),
    (1, ("lakehouse.spark", "lakehouse.tables", "lakehouse.runs")),
    (2, ("lakehouse.landing", "lakehouse.bronze", "lakehouse.silver", "lakehouse.gold")),
    (3, ("simulator",)),
    (4, ("ml",)),
    (5, ("serving",)),
    (6, ("lakehouse.cli", "lakehouse.submit", "jobs")),
]


def rank(module: str) -> int:
    if module.rpartition(".")[2] == "cli":
        return RANKS[-1][0]  # a command line sits at the top, whatever package it serves
    best = None
    for r, prefixes in RANKS:
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and (best is None or len(p) > best[1]):
                best = (r, len(p))
    assert best is not None, f"{module} has no rank in RANKS: add its package to a layer"
    return best[0]


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            parts = path.relative_to(REPO).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Project modules that ``name`` imports anywhere in its file (resolved to the longest known module)."""
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            # ``from package import module`` imports the module; ``from module import name`` the module
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        for t in targets:
            while t and t not in known:
                t = t.rpartition(".")[0]
            if t and t != name:
                found.add(t)
    return found


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {name: imports(name, path, known) for name, path in mods.items()}


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in g.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    import sys

    sys.setrecursionlimit(10000)
    for v in g:
        if v not in index:
            visit(v)
    return out


def package_of(module: str, packages: set[str]) -> str:
    """A module's package; the modules at the top of ``lakehouse`` (config, cli: the two ends of the
    flow) and every command line count as units of their own."""
    parent, _, last = module.rpartition(".")
    return module if module in packages or parent == "lakehouse" or last == "cli" else parent


def test_no_import_cycles_between_modules():
    found = cycles(graph())
    assert not found, "import cycles (break them by moving the shared part down a layer):\n" + "\n".join(" ↔ ".join(c) for c in found)


def test_no_import_cycles_between_packages():
    g = graph()
    names = {name for name, path in modules().items() if path.name == "__init__.py"}
    packages: dict[str, set[str]] = {}
    for src, targets in g.items():
        home = package_of(src, names)
        packages.setdefault(home, set()).update(p for p in (package_of(t, names) for t in targets) if p != home)
    found = cycles(packages)
    assert not found, "package cycles:\n" + "\n".join(" ↔ ".join(c) for c in found)


def test_imports_flow_one_way():
    wrong = [
        f"{src} (rank {rank(src)}) imports {t} (rank {rank(t)})"
        for src, targets in sorted(graph().items())
        for t in sorted(targets)
        if rank(t) > rank(src)
    ]
    assert not wrong, "imports against the flow config → tables → layers → simulator → ml → serving → cli:\n" + "\n".join(wrong)


def test_the_checker_sees_a_cycle_and_an_upward_import():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert rank("lakehouse.tables.schema") < rank("ml.training") < rank("serving.app")
    with pytest.raises(AssertionError, match="no rank"):
        rank("elsewhere.module")


@pytest.mark.parametrize("package", ["ml", "serving", "simulator"])
def test_top_level_packages_hold_real_code(package):
    files = [p for p in (REPO / package).rglob("*.py") if p.name != "__init__.py"]
    assert len(files) >= 3, f"{package}/ holds no modules"
