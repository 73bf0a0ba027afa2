"""The shape of the code, checked on its import graph (function-level imports included):
no module imports itself back through others, and the kernel stands on Django alone."""

from __future__ import annotations

import subprocess
import sys

import grimp

PACKAGES = ("kernel", "catalog", "inventory", "orders", "payments", "fulfillment", "returns",
            "marketing", "reviews", "customers", "privacy", "shop")


def strongly_connected(graph: grimp.ImportGraph) -> list[list[str]]:
    """Tarjan's algorithm over the modules of the shop; each group of two or more modules
    that reach one another is an import cycle."""
    modules = sorted(graph.modules)
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = 0

    for root in modules:
        if root in index:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return groups


def test_no_module_takes_part_in_an_import_cycle():
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    cycles = strongly_connected(graph)
    described = []
    for group in cycles:
        members = set(group)
        links = [f"{a} -> {b}" for a in group
                 for b in sorted(graph.find_modules_directly_imported_by(a)) if b in members]
        described.append("\n    ".join(links))
    assert not cycles, "Import cycles (lazy imports count too):\n  " + "\n  ".join(described)


def test_the_cycle_check_finds_a_cycle():
    graph = grimp.ImportGraph()
    for name in ("a", "a.one", "a.two", "a.three"):
        graph.add_module(name)
    graph.add_import(importer="a.one", imported="a.two")
    graph.add_import(importer="a.two", imported="a.three")
    graph.add_import(importer="a.three", imported="a.one")
    assert strongly_connected(graph) == [["a.one", "a.three", "a.two"]]


def test_importing_the_kernel_imports_no_app_and_no_celery_app():
    code = (
        "import sys, django\n"
        "from django.conf import settings\n"
        "settings.configure(INSTALLED_APPS=[])\n"
        "django.setup()\n"
        "before = set(sys.modules)\n"
        "import kernel, kernel.errors, kernel.money, kernel.transitions, kernel.enqueue\n"
        "new = sorted(set(sys.modules) - before)\n"
        "bad = [m for m in new if m.split('.')[0] in " + repr(set(PACKAGES) - {"kernel"})
        + " or m.split('.')[0] in {'celery', 'rest_framework', 'stripe', 'easypost'}]\n"
        "print(bad)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]", result.stdout + result.stderr


def test_no_module_is_over_500_lines():
    """A module past ~500 lines becomes a package, split by concept (migrations aside)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    long = []
    for package in PACKAGES:
        for path in (root / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > 500:
                long.append(f"{path.relative_to(root)}: {lines} lines")
    assert not long, "Modules over 500 lines:\n  " + "\n  ".join(long)
