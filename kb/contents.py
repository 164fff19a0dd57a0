"""An act's table of contents: its sections, chapters and articles (or, in an act without
articles, its top-level parts and paragraphs), each with how many tagged provisions it holds
and their dimensions (issue 12; computed by the build since issue 11).

`contents_tree(provisions, slug_map)` makes the tree from an act's provisions in document
order; `flatten(tree)` gives its nodes in the same order with their depth, the rows of the
build's `act_contents` table (db/contents.py); `unflatten(rows)` makes the same tree again.
At a million provisions the act page read every provision of a code (5,000 rows, each read
past its text) and walked up from each one on every request; now it reads the 1,100 nodes of
its contents, already counted.
"""
from __future__ import annotations

import json

CONTENTS_VERSION = "1"      # what makes the build's rows (db/build.py pipeline_versions)
TREE_KINDS = ("section", "chapter", "article")
# what a node of the contents holds, besides its children (the order of act_contents' columns)
NODE_FIELDS = ("provision_id", "depth", "kind", "number", "heading", "slug", "excluded",
               "tagged", "dims")


def _codes(value) -> list[str]:
    """A JSON array column's codes (dimension_codes)."""
    if not value:
        return []
    try:
        parsed = json.loads(value) if isinstance(value, str) else value
    except (TypeError, ValueError):
        return []
    return parsed if isinstance(parsed, list) else []


def contents_tree(provisions: list[dict], slug_map: dict) -> list[dict]:
    """The act's tree of sections, chapters and articles (or top-level points without
    articles), each with how many tagged provisions it holds and their dimensions.

    `provisions`: the act's rows in document order with id, parent_id, kind, number, heading,
    excluded and dimension_codes; `slug_map`: provision id → slug."""
    by_id = {p["id"]: dict(p, children=[], tagged=0, dims=set()) for p in provisions}
    has_articles = any(p["kind"] == "article" for p in provisions)
    shown = set(TREE_KINDS) if has_articles else set(TREE_KINDS) | {"part", "paragraph"}
    roots = []
    for p in provisions:
        node = by_id[p["id"]]
        dims = _codes(p["dimension_codes"]) if not p["excluded"] else []
        # count this provision in every shown ancestor (and itself)
        cur = node
        while cur is not None:
            if cur["kind"] in shown and dims:
                cur["tagged"] += 1
                cur["dims"].update(dims)
            cur = by_id.get(cur["parent_id"])
        if p["kind"] not in shown:
            continue
        if p["kind"] == "part" and not has_articles:
            parent = by_id.get(p["parent_id"])
            if parent and parent["kind"] == "part":
                continue
        # attach to the nearest shown ancestor
        parent = by_id.get(p["parent_id"])
        while parent is not None and parent["kind"] not in shown:
            parent = by_id.get(parent["parent_id"])
        node["url"] = None
        (parent["children"] if parent else roots).append(node)
    for node in by_id.values():
        node["dims"] = sorted(node["dims"])
        node["slug"] = slug_map.get(node["id"])
    return roots


def flatten(tree: list[dict]) -> list[dict]:
    """The tree's nodes in document order (a node before its children), with their depth."""
    out = []

    def walk(nodes, depth):
        for n in nodes:
            out.append({"provision_id": n["id"], "depth": depth, "kind": n["kind"],
                        "number": n.get("number"), "heading": n.get("heading"),
                        "slug": n.get("slug"), "excluded": int(bool(n.get("excluded"))),
                        "tagged": n["tagged"], "dims": json.dumps(n["dims"])})
            walk(n["children"], depth + 1)

    walk(tree, 0)
    return out


def unflatten(rows: list[dict]) -> list[dict]:
    """The tree of flatten()'s rows (in their order): nodes with id, kind, number, heading,
    slug, excluded, tagged, dims (a list) and children."""
    roots: list[dict] = []
    stack: list[dict] = []          # the open node at each depth
    for r in rows:
        node = {"id": r["provision_id"], "kind": r["kind"], "number": r["number"],
                "heading": r["heading"], "slug": r["slug"], "excluded": r["excluded"],
                "tagged": r["tagged"], "dims": _codes(r["dims"]), "children": []}
        depth = min(r["depth"], len(stack))
        del stack[depth:]
        (stack[-1]["children"] if stack else roots).append(node)
        stack.append(node)
    return roots
