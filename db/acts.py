"""Acts stage of the build: parse saved pages, align languages, tag, store.

Pages are grouped by act. The Russian page is primary: its provisions are the `provisions`
rows and carry the tags; Kazakh and English provisions go to `provision_texts`, aligned to the
Russian provision of the same kind and number under the same numbered ancestors (anchors
differ between the language versions of one act).
"""
from __future__ import annotations

import hashlib
import json
from collections import defaultdict

from tqdm import tqdm

from kb.provision_ids import assign_slugs, provision_id
from kb.tagging import INHERITED, inherit_all

LANG_PRIORITY = ("rus", "kaz", "eng")
TAGGER_LANG = {"rus": "ru", "kaz": "kk", "eng": "en"}


class ActLoader:
    def __init__(self, db, *, previous_db=None, report, progress=False, seed_path=None):
        self.db = db
        self.previous_db = previous_db
        self.report = report
        self.progress = progress
        # The seed list is read (and so validated) here; child relevance itself is measured.
        self.seed_ids = _child_related_ids(seed_path)
        self._attached = False
        self._columns: dict[str, list[str]] = {}
        self.loaded_ids: list[str] = []       # acts parsed in this build (not copied)
        self.reused_ids: list[str] = []       # acts copied from the previous build

    # -- entry point ---------------------------------------------------------------------------

    def load(self, pages) -> None:
        by_act = defaultdict(dict)
        for page in pages:
            # A later page for the same act and language (the raw store's newest) wins.
            by_act[page.act_id][page.lang] = page
        items = sorted(by_act.items())
        # Unchanged acts are copied first, keeping their rowids, so that the search index of
        # the previous build stays valid for them (db/fts.py); parsed acts get new rowids.
        bar = tqdm(total=len(items), desc="acts", unit="act", disable=not self.progress)
        to_parse = []
        for act_id, lang_pages in items:
            if self._reuse(act_id, lang_pages):
                bar.set_postfix_str(act_id)
                bar.update()
                self.report.reused_documents += len(lang_pages)
                self.reused_ids.append(act_id)
                for page in lang_pages.values():
                    self._log_page(page, ok=True)
            else:
                to_parse.append((act_id, lang_pages))
        for act_id, lang_pages in to_parse:
            bar.set_postfix_str(act_id)
            self._load_act(act_id, lang_pages)
            self.loaded_ids.append(act_id)
            bar.update()
        bar.close()

    def detach(self) -> None:
        """Let go of the previous database (once every act is loaded)."""
        if self._attached:
            self.db.conn.commit()
            self.db.conn.execute("DETACH DATABASE prev")
            self._attached = False

    # -- reuse of an unchanged act from the previous database ---------------------------------

    def _reuse(self, act_id, lang_pages) -> bool:
        if not self.previous_db:
            return False
        if not self._attached:
            self.db.conn.execute("ATTACH DATABASE ? AS prev", (str(self.previous_db),))
            self._attached = True
        rows = self.db.conn.execute(
            "select lang, inputs_digest from prev.act_texts where act_id = ?", (act_id,)).fetchall()
        if not rows or dict(rows) != {lang: p.digest() for lang, p in lang_pages.items()}:
            return False
        for table, condition in _TABLES_BY_ACT:
            # Tables keyed by an integer id (amendments, act_versions) get new ids: the ids of
            # the previous build may already be taken by acts parsed in this one.
            cols = ", ".join(self._copied_columns(table))
            if table in _SAME_ROWID:
                cols = "rowid, " + cols
            self.db.conn.execute(
                f"insert into main.{table} ({cols}) select {cols} from prev.{table} where {condition}",
                {"act_id": act_id})
        return True

    def _copied_columns(self, table) -> list[str]:
        if table not in self._columns:
            info = self.db.conn.execute(f"pragma main.table_info({table})").fetchall()
            # (cid, name, type, notnull, default, pk): an INTEGER PRIMARY KEY alone is the rowid.
            rowid = [r[1] for r in info if r[5] and r[2].upper() == "INTEGER"]
            skip = set(rowid) if sum(1 for r in info if r[5]) == 1 else set()
            self._columns[table] = [r[1] for r in info if r[1] not in skip]
        return self._columns[table]

    # -- parsing ---------------------------------------------------------------------------------

    def _load_act(self, act_id, lang_pages) -> None:
        from scrapers.adilet.errors import NotALawPage, ParseError

        parsed = {}
        for lang, page in lang_pages.items():
            item = page.label or page.url
            # ParseError: a page; TextFormatError (a ValueError): a statutory text; OSError:
            # an unreadable file or a lost raw store object. Each fails this input only.
            errors = (ParseError, ValueError, OSError)
            try:
                doc = page.parse()
            except NotALawPage as exc:
                self.report.fail("parse", item, f"not a law page: {exc}")
                self._log_page(page, ok=False, error=f"not a law page: {exc}")
                continue
            except errors as exc:
                self.report.fail("parse", item, f"{type(exc).__name__}: {exc}")
                self._log_page(page, ok=False, error=str(exc))
                continue
            if doc["act"].get("id") and doc["act"]["id"] != act_id:
                reason = f"page is act {doc['act']['id']}, expected {act_id}"
                self.report.fail("parse", item, reason)
                self._log_page(page, ok=False, error=reason)
                continue
            self.report.parsed_documents += 1
            self._log_page(page, ok=True)
            if page.source == "corpus" and doc["act"].get("site_updated"):
                page.retrieved_at = doc["act"]["site_updated"] + "T00:00:00+00:00"
            parsed[lang] = (page, doc)
        if not parsed:
            return
        primary_lang = next(lang for lang in LANG_PRIORITY if lang in parsed)
        self._store_act(act_id, primary_lang, parsed)

    def _store_act(self, act_id, primary_lang, parsed) -> None:
        from db.adilet_text import apply_metadata, load_act_metadata

        page, doc = parsed[primary_lang]
        # Requisites the source does not state come from kb/data/acts.yml, with their source.
        if "metadata_sources" not in doc["act"]:
            apply_metadata(doc, load_act_metadata().get(act_id))
        act = doc["act"]
        titles = {lang: d["act"].get("title") for lang, (_, d) in parsed.items()}
        date = act.get("date_adopted")
        provisions = doc["provisions"]
        dated = [a.get("amending_date") for a in doc.get("amendments", [])
                 if a.get("amending_date") and a.get("note_kind", "footnote") in ("footnote", "exclusion")
                 and a.get("action") != "reference"]
        edition = act.get("as_of") or (max(dated) if dated else None)
        edition_source = ("the page's «по состоянию на» date" if act.get("as_of") else
                          "the newest amendment footnote of the text" if dated else None)
        self.db["acts"].insert({
            "id": act_id,
            "title": _full_title(act) or act.get("requisites") or "(название не указано в источнике)",
            "title_kk": titles.get("kaz") or act.get("title_kk"),
            "title_en": titles.get("eng"),
            "form": act.get("form"),
            "number": act.get("number"),
            "date_adopted": date,
            "year": int(date[:4]) if date else None,
            "issuing_body": act.get("issuing_body"),
            "status": act.get("status") or "in_force",
            "status_raw": act.get("status_raw"),
            "requisites": act.get("requisites"),
            "repeal_note": act.get("repeal_note"),
            "registration_number": act.get("registration_number"),
            "registration_date": act.get("registration_date"),
            "url": act.get("url"),
            "source_url": page.url,
            "retrieved_at": page.retrieved_at,
            "content_sha256": page.sha256,
            "as_of": act.get("as_of"),
            "provision_count": len(provisions),
            "edition_date": edition,
            "edition_source": edition_source,
            "metadata_sources": json.dumps(act.get("metadata_sources") or {}, ensure_ascii=False),
            "source_kind": page.kind,
            "source_note": page.note,
        })
        for lang, (p, d) in parsed.items():
            self.db["act_texts"].insert({
                "act_id": act_id, "lang": lang, "title": d["act"].get("title"),
                "requisites": d["act"].get("requisites"), "status_raw": d["act"].get("status_raw"),
                "url": d["act"].get("url"), "source_url": p.url, "retrieved_at": p.retrieved_at,
                "content_sha256": p.sha256, "inputs_digest": p.digest(),
            })
        self._store_info_and_history(act_id, page)

        slugs = assign_slugs(provisions)
        pid = {prov["id"]: provision_id(act_id, slugs[prov["id"]]) for prov in provisions}
        tags, tags_from = self._inherit(provisions, slugs, self._tag(provisions, TAGGER_LANG[primary_lang]))
        own_method = f"rules-{TAGGER_LANG[primary_lang]}@{_tagger_version()}"
        rows, dim_rows, age_rows = [], [], []
        for prov, tag, source in zip(provisions, tags, tags_from):
            row_id = pid[prov["id"]]
            text = prov.get("text") or ""
            rows.append({
                "id": row_id, "act_id": act_id, "slug": slugs[prov["id"]], "anchor": prov["anchor"],
                "anchor_inherited": int(bool(prov.get("anchor_inherited"))),
                "kind": prov["kind"], "number": prov.get("number"), "heading": prov.get("heading"),
                "text": prov.get("text"),
                "text_lemmas": _lemmas(prov),
                "path": prov.get("path"), "parent_id": pid.get(prov.get("parent")),
                "position": prov["position"], "depth": prov.get("depth", 0),
                "excluded": int(bool(prov.get("excluded"))), "url": prov["url"],
                "retrieved_at": page.retrieved_at, "content_sha256": page.sha256,
                "text_sha256": hashlib.sha256(text.encode()).hexdigest() if text else None,
                **_tag_columns(tag),
                "tags_from": provision_id(act_id, source) if source else None,
            })
            method = f"{INHERITED}@{_tagger_version()}" if source else own_method
            for dim in (tag or {}).get("dimensions", []):
                dim_rows.append({"provision_id": row_id, "dimension_code": dim["code"],
                                 "score": dim["score"], "is_primary": int(bool(dim.get("primary"))),
                                 "evidence": json.dumps(dim.get("evidence", []), ensure_ascii=False),
                                 "method": method})
            for code in (tag or {}).get("age_groups", []):
                age_rows.append({"provision_id": row_id, "age_group_code": code})
        # Parents come before children in document order, so foreign keys hold row by row.
        self.db["provisions"].insert_all(rows, batch_size=500)
        self.db["provision_dimensions"].insert_all(dim_rows, batch_size=500)
        self.db["provision_age_groups"].insert_all(age_rows, batch_size=500)
        # Child relevance is measured, not declared: how many provisions carry a dimension.
        by_dim: dict[str, int] = {}
        for row in rows:
            if row["primary_dimension"]:
                by_dim[row["primary_dimension"]] = by_dim.get(row["primary_dimension"], 0) + 1
        tagged = sum(by_dim.values())
        with_text = sum(1 for row in rows if row["text"] and not row["excluded"])
        self.db["acts"].update(act_id, {
            "child_related": int(tagged > 0), "child_provisions": tagged,
            "child_share": round(tagged / with_text, 4) if with_text else None,
            "child_dimensions": json.dumps(dict(sorted(by_dim.items(), key=lambda kv: -kv[1]))),
        })

        self._store_amendments(act_id, primary_lang, doc, pid, page)
        for lang, (p, d) in parsed.items():
            if lang == primary_lang:
                continue
            # Aligned by slug: both slugs come from the structure numbers, so the Kazakh
            # article 31 part 1 meets the Russian one; what has no counterpart stays unaligned.
            other_slugs = assign_slugs(d["provisions"])
            by_slug = {slugs[p["id"]]: p["id"] for p in provisions}
            mapping = {sid: by_slug[slug] for sid, slug in other_slugs.items() if slug in by_slug}
            self.db["provision_texts"].insert_all([{
                "provision_id": pid.get(mapping.get(prov["id"])), "act_id": act_id, "lang": lang,
                "anchor": prov["id"] if prov.get("anchor") else other_slugs[prov["id"]],
                "slug": other_slugs[prov["id"]], "kind": prov["kind"], "number": prov.get("number"),
                "heading": prov.get("heading"), "text": prov.get("text"),
                "excluded": int(bool(prov.get("excluded"))), "url": prov["url"],
                "retrieved_at": p.retrieved_at, "content_sha256": p.sha256,
            } for prov in d["provisions"]], batch_size=500)
            unaligned = [prov for prov in d["provisions"] if prov["id"] not in mapping]
            if unaligned:
                articles = [p for p in d["provisions"] if p["kind"] == "article"]
                lost = [p.get("number") for p in unaligned if p["kind"] == "article"]
                self.report.fail("align", f"{act_id} ({lang})",
                                 f"{len(unaligned)} of {len(d['provisions'])} provision(s) have no "
                                 f"Russian counterpart ({len(articles) - len(lost)} of "
                                 f"{len(articles)} articles aligned"
                                 + (f"; articles without one: {', '.join(lost[:12])}"
                                    + ("…" if len(lost) > 12 else "") if lost else "") + ")")
            local = {prov["id"]: pid.get(mapping.get(prov["id"])) for prov in d["provisions"]}
            self._store_amendments(act_id, lang, d, local, p)

    def _parse_extra(self, page, kind, parser):
        """(page, parsed) for the act's /info or /history page, or None when it was not
        fetched or cannot be read (reported; the act itself still loads)."""
        from scrapers.adilet.errors import ParseError

        extra = page.extras.get(kind)
        if extra is None:
            return None
        try:
            return extra, parser(extra.read(), url=extra.url)
        except (ParseError, ValueError, OSError) as exc:  # OSError: a lost raw object
            self.report.fail("parse", extra.url, f"{type(exc).__name__}: {exc}")
            return None

    def _store_info_and_history(self, act_id, page) -> None:
        """Metadata from the act's /info page and its versions from /history, when fetched."""
        from scrapers.adilet.parse import parse_history, parse_info

        found = self._parse_extra(page, "info", parse_info)
        if found:
            _, info = found
            current = self.db["acts"].get(act_id)
            self.db["acts"].update(act_id, {
                "issuing_body": current["issuing_body"] or info.issuing_body,
                "date_adopted": current["date_adopted"] or info.date_adopted,
                "legal_force": info.legal_force, "date_changed": info.date_changed,
                "territory": info.territory,
            })
        found = self._parse_extra(page, "history", parse_history)
        if found:
            extra, history = found
            self.db["act_versions"].insert_all([{
                "act_id": act_id, "date": v.date, "amending_act": v.amending_act,
                "amending_act_id": v.amending_act_id, "archive_url": v.archive_url,
                "is_current": int(v.is_current), "url": extra.url,
                "retrieved_at": extra.retrieved_at, "content_sha256": extra.sha256,
            } for v in history.versions])

    def _store_amendments(self, act_id, lang, doc, pid, page) -> None:
        # A record links where its provision does (…#zN, or the act itself for a statutory
        # text, whose provisions have no anchors).
        urls = {prov["id"]: prov["url"] for prov in doc.get("provisions", [])}
        rows = []
        for am in doc.get("amendments", []):
            rows.append({
                "act_id": act_id,
                "provision_id": pid.get(am.get("provision")) if am.get("provision") else None,
                "lang": lang, "action": am.get("action"),
                "amending_form": am.get("amending_form"), "amending_date": am.get("amending_date"),
                "amending_number": am.get("amending_number"),
                "amending_act_id": am.get("amending_act_id"), "what": am.get("what"),
                "entry_into_force": am.get("entry_into_force"), "text": am.get("text") or "",
                "note_kind": am.get("note_kind") or ("editor_note" if am.get("action") == "note"
                                                     else "footnote"),
                "url": urls.get(am.get("provision")) or doc["act"].get("url"),
                "retrieved_at": page.retrieved_at,
            })
        if rows:
            self.db["amendments"].insert_all(rows)

    # -- tagging ---------------------------------------------------------------------------------

    def _tag(self, provisions, lang):
        from kb.tagging import get_tagger

        texts, idx = [], []
        for i, prov in enumerate(provisions):
            if prov.get("excluded"):
                continue
            text = " ".join(t for t in (prov.get("heading"), prov.get("text")) if t)
            if text.strip():
                texts.append(text)
                idx.append(i)
        out = [None] * len(provisions)
        try:
            for i, tag in zip(idx, get_tagger().tag_many(texts, lang=lang)):
                out[i] = tag
        except Exception as exc:  # a tagger bug must not lose the act's text
            self.report.fail("tag", provisions[0]["url"] if provisions else "?", f"{type(exc).__name__}: {exc}")
        return out

    @staticmethod
    def _inherit(provisions, slugs, tags):
        """(tags, the slug each took them from, else None): the lead-in and heading layer of
        kb.tagging.context. An excluded provision keeps its own (none: _tag skips it)."""
        keep = {slugs[p["id"]] for p in provisions
                if p.get("excluded") or not (p.get("text") or p.get("heading"))}
        pairs = inherit_all([slugs[p["id"]] for p in provisions], tags, keep)
        return [t for t, _ in pairs], [src for _, src in pairs]

    def _log_page(self, page, *, ok, error=None) -> None:
        self.db["fetch_log"].insert({
            "url": page.url, "final_url": page.url, "act_id": page.act_id, "lang": page.lang,
            "kind": "document" if page.kind == "adilet_page" else "corpus",
            "status": None, "ok": int(ok), "error": error,
            "sha256": page.sha256, "retrieved_at": page.retrieved_at, "source": page.source,
        })


# The content tables of the search indexes keep their rowids when copied (db/fts.py).
_SAME_ROWID = ("provisions", "provision_texts")

_TABLES_BY_ACT = (
    ("acts", "id = :act_id"),
    ("act_texts", "act_id = :act_id"),
    ("act_versions", "act_id = :act_id"),
    ("provisions", "act_id = :act_id"),
    ("provision_texts", "act_id = :act_id"),
    ("amendments", "act_id = :act_id"),
    ("provision_dimensions", "provision_id IN (SELECT id FROM prev.provisions WHERE act_id = :act_id)"),
    ("provision_age_groups", "provision_id IN (SELECT id FROM prev.provisions WHERE act_id = :act_id)"),
    ("pdf_checks", "act_id = :act_id"),
)


def _full_title(act: dict) -> str | None:
    """«Трудовой кодекс Республики Казахстан» stays; «О браке (супружестве) и семье» of a
    Кодекс becomes «Кодекс … «О браке (супружестве) и семье»», as lawyers cite it."""
    title, form = act.get("title"), act.get("form")
    if not title or not form or act.get("lang") == "kaz":
        return title
    if form in ("Закон", "Кодекс") and title.startswith(("О ", "Об ", "Обо ")):
        return f"{form} Республики Казахстан «{title}»"
    return title


def _tag_columns(tag) -> dict:
    if not tag:
        return {"primary_dimension": None, "dimension_codes": "[]", "age_min_months": None,
                "age_max_months": None, "age_group_codes": "[]", "age_evidence": "[]",
                "flag_codes": "[]"}
    dims = tag.get("dimensions", [])
    primary = next((d["code"] for d in dims if d.get("primary")), None)
    return {
        "primary_dimension": primary,
        "dimension_codes": json.dumps([d["code"] for d in dims]),
        "age_min_months": tag.get("age_min_months"),
        "age_max_months": tag.get("age_max_months"),
        "age_group_codes": json.dumps(tag.get("age_groups", [])),
        "age_evidence": json.dumps(tag.get("age_evidence", []), ensure_ascii=False),
        "flag_codes": json.dumps(tag.get("flags", [])),
    }


def _lemmas(prov) -> str | None:
    from kb.morph import lemmatize_text

    text = " ".join(t for t in (prov.get("heading"), prov.get("text")) if t)
    return lemmatize_text(text) if text else None


def _tagger_version() -> str:
    from kb.tagging import TAGGER_VERSION

    return TAGGER_VERSION


def _child_related_ids(seed_path) -> set[str]:
    try:
        from scrapers.adilet.seeds import load_seed_acts
    except ImportError:
        return set()
    try:
        return {s.id for s in load_seed_acts(seed_path)}
    except FileNotFoundError:
        return set()
