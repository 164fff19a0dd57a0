"""Readable provision addresses: slugs, URL paths, and old provision ids.

A provision's slug (`provisions.slug`, from the build) is built from structure numbers with
only `[A-Za-z0-9_-]`: `art27`, `art27-p2`, `art1-sp8-1`, `ch3-par2`, `p9-sp4`, `app1-p3`,
`preamble`; a repeated slug gets `_2`. Its URL path replaces every `-` followed by a letter
with `/`: `art27-p2` → `art27/p2`, `art1-sp8-1` → `art1/sp8-1`; the reverse joins the path's
segments with `-`.

A database built before the slug column existed gets slugs derived here from the provision
tree (`derive_slugs`), by the same rules, so that the pages work on either.
"""
from __future__ import annotations

import re

SLUG_RE = re.compile(r"^[A-Za-z0-9_-]+$")
_SPLIT_RE = re.compile(r"-(?=[A-Za-z])")
KIND_PREFIX = {"section": "sec", "chapter": "ch", "article": "art", "part": "p",
               "subpart": "sp", "paragraph": "par"}
# Old text ids: art27.2, art44.sp10-1, rules.p9.sp4, rules.ch2, order.p1, para17
_OLD_SEGMENT_RE = re.compile(r"^(?:[A-Za-z]+[0-9A-Za-z-]*|[0-9]+(?:-[0-9]+)*)$")


def slug_to_path(slug: str) -> str:
    return _SPLIT_RE.sub("/", slug)


def path_to_slug(path: str) -> str | None:
    """`art27/p2` → `art27-p2`; None for a path that cannot be a slug."""
    parts = [p for p in path.strip("/").split("/") if p]
    slug = "-".join(parts)
    return slug if parts and SLUG_RE.match(slug) else None


def _number(value) -> str:
    """A structure number as a slug piece: «16-1» → 16-1, «3)» → 3, «I» → I."""
    return re.sub(r"[^A-Za-z0-9-]+", "", str(value or "")).strip("-")


def derive_slugs(rows: list[dict]) -> dict[str, str]:
    """Slugs for one act's provisions (dicts with id, parent_id, kind, number), in order.

    From the nearest article down (`art27-p2`); without an article, from the topmost numbered
    part (`p9-sp4`); a chapter or section is itself (`ch3`); a paragraph under a chapter is
    `ch3-par2`; an unnumbered paragraph at the top is `preamble`.
    """
    by_id = {r["id"]: r for r in rows}
    slugs: dict[str, str] = {}
    seen: dict[str, int] = {}
    for row in rows:
        chain = []
        node = row
        while node is not None:
            chain.append(node)
            if node["kind"] == "article":
                break
            node = by_id.get(node["parent_id"])
        chain.reverse()
        if chain[0]["kind"] != "article":
            # no article above: drop sections/chapters above the first part or paragraph
            firsts = [i for i, n in enumerate(chain) if n["kind"] in ("part", "subpart")]
            if firsts:
                chain = chain[firsts[0]:]
            elif len(chain) > 1 and chain[-1]["kind"] == "paragraph":
                chain = chain[-2:]
            else:
                chain = chain[-1:]
        pieces = []
        for n in chain:
            number = _number(n["number"])
            if n["kind"] == "paragraph" and not number and len(chain) == 1:
                pieces.append("preamble")
            else:
                pieces.append(KIND_PREFIX.get(n["kind"], "x") + (number or str(len(pieces) + 1)))
        slug = "-".join(pieces)
        seen[slug] = seen.get(slug, 0) + 1
        slugs[row["id"]] = slug if seen[slug] == 1 else f"{slug}_{seen[slug]}"
    return slugs


def old_id_candidates(act_id: str, rest: str) -> list[str]:
    """New slugs an old text id may have become: `art27.2` → art27-p2, `rules.p9.sp4` → p9-sp4.

    Empty for an Adilet anchor id (`z123`, `z12.3`): those are looked up by anchor instead.
    """
    if re.match(r"^z\d+(\.\d+)?$", rest):
        return []
    segments = rest.split(".")
    appendix = bool(segments) and segments[0] == "rules"  # the rules an order approves
    if segments and segments[0] in ("rules", "order"):
        segments = segments[1:]
    out = []
    for i, seg in enumerate(segments):
        if not seg or not _OLD_SEGMENT_RE.match(seg):
            return []
        out.append(f"p{seg}" if seg[0].isdigit() and i > 0 else seg)
    if not out:
        return []
    slug = "-".join(out)
    candidates = [slug]
    if appendix:
        candidates += [f"app-{slug}", f"app1-{slug}"]
    if slug.startswith("para"):  # an unnumbered paragraph: «a17» in the new scheme
        candidates += ["a" + slug[4:], "par" + slug[4:]]
    return candidates
