"""Statutory texts without page markup (corpus_dir/texts) as build inputs beside the pages.

kb/data/corpus_texts.yml says which files are loaded and with which reader of
scrapers/texts.py; texts/README.md gives each file's provenance. Every loaded file becomes a
SourcePage of kind `statutory_text` whose `parse()` returns the ParsedDocument-shaped dict, so
the act loader stores, tags and reuses it like a parsed page.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import yaml

from kb import paths

CONFIG = paths.DATA_DIR / "corpus_texts.yml"


def load_config(path: Path | None = None) -> dict:
    with open(path or CONFIG, encoding="utf-8") as fh:
        return yaml.safe_load(fh)["texts"]


def text_sources(corpus_dir: Path, report, config_path: Path | None = None) -> list:
    """SourcePages for the whole texts to load; unknown files are reported, not loaded."""
    from db.build import SourcePage, _sha256_file
    from scrapers.texts import read_provenance, read_text_source, source_note

    folder = Path(corpus_dir) / "texts"
    if not folder.is_dir():
        return []
    config = load_config(config_path)
    readme = folder / "README.md"
    provenance = read_provenance(readme)
    readme_page = None
    if readme.exists():
        readme_page = SourcePage(path=readme, sha256=_sha256_file(readme), url="texts/README.md",
                                 retrieved_at=_mtime(readme), source="corpus")
    pages = []
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        conf = config.get(path.name)
        if conf is None:
            report.fail("parse", f"texts/{path.name}",
                        "not listed in kb/data/corpus_texts.yml: neither loaded nor excluded")
            continue
        if not conf.get("load"):
            continue
        prov = provenance.get(path.name)
        retrieved = f"{prov['retrieved_on']}T00:00:00+00:00" if prov and prov.get("retrieved_on") \
            else _mtime(path)
        act_id = str(conf["act_id"])
        # Where the bytes came from: the origin repository's file at its commit, when known.
        origin = (f"https://github.com/{prov['repo']}/blob/{prov['commit']}/{prov['path']}"
                  if prov and prov.get("repo") and prov.get("commit") and prov.get("path")
                  else f"texts/{path.name}")
        page = SourcePage(path=path, sha256=_sha256_file(path), url=origin,
                          retrieved_at=retrieved, source="corpus", act_id=act_id, lang="rus",
                          kind="statutory_text", note=source_note(path.name, prov),
                          label=f"texts/{path.name}",
                          parser=(lambda p=path, c=conf: read_text_source(p, c)))
        if readme_page is not None:
            # The provenance row feeds source_note and retrieved_at: a changed README re-reads.
            page.extras["provenance"] = readme_page
        pages.append(page)
    return pages


def _mtime(path: Path) -> str:
    mtime = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).replace(microsecond=0)
    return mtime.isoformat()
