"""The layout of kb/tagging (issue 9): one module per concern, no import cycles, one public door.

Imports are read with `ast`, so the lazy ones inside functions (and the TYPE_CHECKING ones)
count as much as those at the top of a module.
"""
import ast
import importlib
import importlib.util
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "kb" / "tagging"
# the code of the project outside the package (tests may reach inside it to test the parts)
OUTSIDE = ("kb", "db", "scrapers", "bench")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported(path: Path) -> list[tuple[str, list[str], int]]:
    """(module, imported names, line) of every import statement in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend((a.name, [], node.lineno) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            names = [a.name for a in node.names]
            out.append((base, names, node.lineno))
            # «from kb.tagging import scoring» imports the submodule
            for n in names:
                if (PACKAGE / f"{n}.py").exists() and base == "kb.tagging":
                    out.append((f"kb.tagging.{n}", [], node.lineno))
    return out


def package_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.glob("*.py"))}


def test_every_module_of_the_package_imports():
    mods = package_modules()
    assert {"kb.tagging", "kb.tagging.ages", "kb.tagging.russian", "kb.tagging.kazakh",
            "kb.tagging.scoring", "kb.tagging.pipeline"} <= set(mods)
    for name in mods:
        importlib.import_module(name)


def test_the_old_modules_are_gone():
    for old in ("kb.nlp", "kb.kazakh", "kb.tagger"):
        assert importlib.util.find_spec(old) is None, old


def test_no_import_cycle_inside_the_package():
    mods = package_modules()
    graph = {name: sorted({m for m, _, _ in imported(path) if m in mods and m != name})
             for name, path in mods.items()}
    # depth-first search for a back edge
    state: dict[str, int] = {}          # 1: on the stack, 2: done
    stack: list[str] = []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in graph:
        if node not in state:
            visit(node)
    # the submodules never import the package itself (its __init__ imports them)
    for name, deps in graph.items():
        if name != "kb.tagging":
            assert "kb.tagging" not in deps, name


def test_code_outside_the_package_uses_only_its_public_surface():
    import kb.tagging

    public = set(kb.tagging.__all__)
    offenders = []
    for folder in OUTSIDE:
        for path in (REPO / folder).rglob("*.py"):
            if PACKAGE in path.parents:
                continue
            for mod, names, line in imported(path):
                where = f"{path.relative_to(REPO)}:{line}"
                if mod.startswith("kb.tagging."):
                    offenders.append(f"{where} imports {mod}")
                elif mod == "kb.tagging":
                    offenders.extend(f"{where} imports kb.tagging.{n}" for n in names
                                     if n not in public)
    assert not offenders, offenders


def test_the_package_itself_is_light():
    """Reading TAGGER_VERSION (the build does, for every act) loads no spaCy: the pipelines
    are built on first use."""
    code = "import sys, kb.tagging; print('spacy' in sys.modules, kb.tagging.TAGGER_VERSION)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=REPO).stdout.split()
    assert out[0] == "False" and out[1]
