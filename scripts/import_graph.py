"""Draw the import graph of the house from the code: docs/import-graph.dot, rendered to .svg by graphviz.

Nodes are the top-level packages and their first-level parts (`mystery.dial`, `campaigns.checks`);
an edge A -> B means some module of A imports some module of B. `--check` fails when the committed
DOT file no longer matches the code, so the picture in docs/architecture.md cannot go stale.

    python scripts/import_graph.py            # write docs/import-graph.dot and .svg
    python scripts/import_graph.py --check    # exit 1 if the .dot differs from the code
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
DOT = ROOT / "docs" / "import-graph.dot"
# Top to bottom, as the layers contract in pyproject.toml orders them; one colour per package.
PACKAGES = {
    "console": "#f4d6a0",
    "switchboard": "#d9d2e9",
    "mystery": "#cfe2f3",
    "campaigns": "#d9ead3",
    "mystery_core": "#eeeeee",
}


# Drawn as one box each: the simulator (a test and demo double) and the core that everything uses.
WHOLE = {"switchboard", "mystery_core"}


def part(module: str) -> str | None:
    """The drawn node of a module: its package and first-level part (`mystery.dial.session` -> `mystery.dial`).

    None for what is left out: a package's own `__init__` and the `__main__` shims (`python -m mystery`).
    """
    names = module.split(".")
    if names[0] in WHOLE:
        return names[0]
    if len(names) == 1 or names[1] == "__main__":
        return None
    return ".".join(names[:2])


def edges(graph: grimp.ImportGraph) -> set[tuple[str, str]]:
    """(importer part, imported part) over every import between two different parts of the house."""
    found = set()
    for module in graph.modules:
        if module.split(".")[0] not in PACKAGES:
            continue
        source = part(module)
        for imported in graph.find_modules_directly_imported_by(module):
            target = part(imported) if imported.split(".")[0] in PACKAGES else None
            if source is not None and target is not None and target != source:
                found.add((source, target))
    return found


def to_dot(found: set[tuple[str, str]], nodes: set[str]) -> str:
    """A DOT graph with one cluster per package, drawn top (console) to bottom (mystery_core)."""
    lines = ["// Made by scripts/import_graph.py from the code; do not edit by hand.",
             "digraph house {", '  rankdir=TB; node [shape=box, style="rounded,filled", fontname="DejaVu Sans",'
             ' fontsize=10]; edge [color="#00000044", arrowsize=0.5]; newrank=true; ranksep=0.45;']
    for package, colour in PACKAGES.items():
        members = sorted(n for n in nodes if n.split(".")[0] == package)
        if package in WHOLE:
            lines.append(f'  "{package}" [fillcolor="{colour}"];')
            continue
        lines.append(f'  subgraph "cluster_{package}" {{ label="{package}"; fontname="DejaVu Sans"; '
                     f'style=rounded; color="#888888";')
        lines.extend(f'    "{n}" [label="{n.split(".", 1)[-1] if "." in n else n}", fillcolor="{colour}"];'
                     for n in members)
        lines.append("  }")
    lines.extend(f'  "{a}" -> "{b}";' for a, b in sorted(found))
    lines.append("}")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="fail if docs/import-graph.dot is out of date")
    args = parser.parse_args()
    graph = grimp.build_graph(*PACKAGES)
    found = edges(graph)
    nodes = {n for m in graph.modules if m.split(".")[0] in PACKAGES and (n := part(m)) is not None}
    text = to_dot(found, nodes)
    if args.check:
        if not DOT.exists() or DOT.read_text() != text:
            print(f"{DOT.relative_to(ROOT)} is out of date: run python scripts/import_graph.py", file=sys.stderr)
            return 1
        return 0
    DOT.write_text(text)
    if shutil.which("dot") is None:
        print("graphviz `dot` not found: wrote the .dot only", file=sys.stderr)
        return 0
    subprocess.run(["dot", "-Tsvg", str(DOT), "-o", str(DOT.with_suffix(".svg"))], check=True)
    print(f"wrote {DOT.relative_to(ROOT)} and {DOT.with_suffix('.svg').relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
