"""The build on the real saved corpus: atomic, reporting failures, doing no work twice."""
import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from db.build import BuildOptions, run_build


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def built(tmp_path_factory, corpus_dir):
    db_path = tmp_path_factory.mktemp("build") / "kb.db"
    report = run_build(BuildOptions(db_path=db_path, corpus_dir=corpus_dir))
    return db_path, report


def test_build_loads_the_saved_acts(built):
    db_path, report = built
    assert report.fatal is None
    conn = sqlite3.connect(db_path)
    acts = dict(conn.execute("select id, status from acts where source_kind = 'adilet_page'").fetchall())
    assert acts == {"V1600014592": "in_force", "V1600014606": "repealed"}
    # Beside the pages, the whole statutory texts of corpus/texts (tests/test_texts.py).
    texts = dict(conn.execute("select id, status from acts where source_kind = 'statutory_text'").fetchall())
    assert texts == {"V2200031180": "in_force", "V2400034817": "in_force",
                     "K950001000_": "in_force", "223231": "in_force"}
    # Every provision is attributed: canonical URL (with its anchor, for a page), retrieval
    # time, page or file hash.
    bad = conn.execute(
        "select count(*) from provisions p join acts a on a.id = p.act_id where "
        "(a.source_kind = 'adilet_page' and p.url not like 'https://adilet.zan.kz/rus/docs/%#z%') "
        "or (a.source_kind = 'statutory_text' and p.url != a.url) "
        "or p.url not like 'https://adilet.zan.kz/rus/docs/%' "
        "or p.retrieved_at is null or length(p.content_sha256) != 64").fetchone()[0]
    assert bad == 0
    assert conn.execute("select count(*) from provisions").fetchone()[0] == report.provisions > 10
    # The page hash stored is the hash of the saved file.
    sha = conn.execute("select content_sha256 from acts where id = 'V1600014592'").fetchone()[0]
    assert sha == _sha(Path(__file__).parents[1] / ".." / "shared" / "corpus" / "adilet" / "rus" / "V1600014592.html")


def test_kazakh_text_is_aligned_to_the_russian_provisions(built):
    db_path, _ = built
    conn = sqlite3.connect(db_path)
    total, aligned = conn.execute(
        "select count(*), count(provision_id) from provision_texts where act_id = 'V1600014606' and lang = 'kaz'"
    ).fetchone()
    assert total > 5 and aligned == total
    # Aligned rows share the Russian provision's number.
    mismatched = conn.execute(
        "select count(*) from provision_texts t join provisions p on p.id = t.provision_id "
        "where coalesce(t.number, '') != coalesce(p.number, '')").fetchone()[0]
    assert mismatched == 0


def test_the_javascript_shell_is_a_reported_failure_not_an_act(built):
    db_path, report = built
    conn = sqlite3.connect(db_path)
    assert conn.execute("select count(*) from acts where id = 'Z1300000094'").fetchone()[0] == 0
    failures = conn.execute("select stage, item, reason from build_failures").fetchall()
    assert any(stage == "parse" and "Z1300000094" in item for stage, item, _ in failures)
    assert any("Z1300000094" in item for _, item, _ in report.failures)
    logged = conn.execute("select ok from fetch_log where act_id = 'Z1300000094'").fetchall()
    assert logged == [(0,)]


def test_search_index_and_tag_tables_exist(built):
    db_path, _ = built
    conn = sqlite3.connect(db_path)
    names = {r[0] for r in conn.execute("select name from sqlite_master")}
    assert {"provisions_fts", "coverage", "provision_indicator_links"} <= names
    assert conn.execute("select count(*) from dimensions").fetchone()[0] == 12
    assert conn.execute("pragma foreign_key_check").fetchall() == []
    assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
    # The external-content FTS indexes still match their tables after the final VACUUM
    # (provisions has no INTEGER PRIMARY KEY, so its rowids must survive it).
    for fts in ("provisions_fts", "provision_texts_fts"):
        conn.execute(f"insert into {fts}({fts}, rank) values ('integrity-check', 1)")


def test_a_rebuild_with_nothing_changed_does_nothing(built, corpus_dir):
    db_path, _ = built
    before = _sha(db_path)
    report = run_build(BuildOptions(db_path=db_path, corpus_dir=corpus_dir))
    assert report.unchanged
    assert report.parsed_documents == 0
    assert _sha(db_path) == before


def test_a_changed_page_is_parsed_and_the_others_reused(tmp_path, corpus_dir):
    corpus = tmp_path / "corpus"
    shutil.copytree(corpus_dir / "adilet", corpus / "adilet")
    db_path = tmp_path / "kb.db"
    first = run_build(BuildOptions(db_path=db_path, corpus_dir=corpus))
    assert first.parsed_documents == 3 and first.reused_documents == 0
    page = corpus / "adilet" / "rus" / "V1600014592.html"
    os.chmod(page, 0o644)
    page.write_bytes(page.read_bytes().replace("лимитов долга".encode(), "лимитов  долга".encode(), 1))
    second = run_build(BuildOptions(db_path=db_path, corpus_dir=corpus))
    assert not second.unchanged
    assert second.parsed_documents == 1            # only the changed page
    assert second.reused_documents == 2            # V1600014606 rus + kaz copied
    conn = sqlite3.connect(db_path)
    assert conn.execute("select content_sha256 from acts where id='V1600014592'").fetchone()[0] == _sha(page)
    assert conn.execute("select count(*) from provisions where act_id='V1600014606'").fetchone()[0] > 5


def test_a_build_killed_part_way_leaves_the_previous_database_untouched(tmp_path, corpus_dir):
    db_path = tmp_path / "kb.db"
    run_build(BuildOptions(db_path=db_path, corpus_dir=corpus_dir))
    before = _sha(db_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "kb.cli", "build", "--corpus", str(corpus_dir), "--db", str(db_path),
         "--force"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path,
    )
    deadline = time.monotonic() + 120
    temp = None
    while time.monotonic() < deadline and proc.poll() is None:
        found = list(tmp_path.glob(".kb.db.building-*"))
        if found:
            temp = found[0]
            break
        time.sleep(0.005)
    assert temp is not None, "the build never started writing its temporary file"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert _sha(db_path) == before
    conn = sqlite3.connect(db_path)
    assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
    assert conn.execute("select count(*) from acts").fetchone()[0] == 6   # 2 pages + 4 texts
    conn.close()
    # The next build clears the dead build's temporary file and succeeds.
    report = run_build(BuildOptions(db_path=db_path, corpus_dir=corpus_dir, force=True))
    assert report.fatal is None
    assert not temp.exists()


def test_build_command_prints_a_summary(tmp_path, corpus_dir):
    from click.testing import CliRunner

    from kb.cli import cli

    db_path = tmp_path / "kb.db"
    result = CliRunner().invoke(cli, ["build", "--corpus", str(corpus_dir), "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    assert "acts 6" in result.output                # 2 from pages, 4 statutory texts
    assert "Z1300000094" in result.output          # the failure is named in the summary
    result = CliRunner().invoke(cli, ["build", "--corpus", str(corpus_dir), "--db", str(db_path)])
    assert "nothing changed" in result.output


def test_provisions_carry_their_acts_columns_for_facets(built):
    db_path, _ = built
    conn = sqlite3.connect(db_path)
    mismatched = conn.execute(
        "select count(*) from provisions p join acts a on a.id = p.act_id where "
        "p.act_status is not a.status or p.act_form is not a.form or p.act_year is not a.year "
        "or p.act_issuing_body is not a.issuing_body").fetchone()[0]
    assert mismatched == 0
    statuses = dict(conn.execute("select act_status, count(*) from provisions group by 1"))
    assert statuses["repealed"] == conn.execute(
        "select count(*) from provisions where act_id = 'V1600014606'").fetchone()[0]


def test_reuse_beside_a_reparsed_act_with_more_amendment_records(tmp_path, corpus_dir):
    # amendments and act_versions have integer ids: rows copied from the previous build must
    # not keep ids that the acts parsed in this build have already taken.
    corpus = tmp_path / "corpus"
    shutil.copytree(corpus_dir / "adilet", corpus / "adilet")
    db_path = tmp_path / "kb.db"
    assert run_build(BuildOptions(db_path=db_path, corpus_dir=corpus)).fatal is None
    feed_before = _feed_ids(db_path, "V1600014606")
    page = corpus / "adilet" / "rus" / "V1600014592.html"
    os.chmod(page, 0o644)
    html = page.read_text(encoding="utf-8")
    start = html.index('<p class="note">')
    end = html.index("</p>", start) + len("</p>")
    page.write_text(html[:end] + html[start:end] + html[end:], encoding="utf-8")   # a second note
    report = run_build(BuildOptions(db_path=db_path, corpus_dir=corpus))
    assert report.fatal is None, report.summary()
    assert report.parsed_documents == 1 and report.reused_documents == 2
    conn = sqlite3.connect(db_path)
    counts = dict(conn.execute("select act_id, count(*) from amendments group by act_id"))
    assert counts["V1600014592"] == 2 and counts["V1600014606"] == 2
    # The Atom feed's entry ids of the unchanged act are the same as before.
    assert _feed_ids(db_path, "V1600014606") == feed_before and len(feed_before) == 2


def _feed_ids(db_path, act_id):
    import yaml

    metadata = yaml.safe_load((Path(__file__).parents[1] / "metadata.yml").read_text(encoding="utf-8"))
    sql = metadata["databases"]["kb"]["queries"]["changes"]["sql"]
    conn = sqlite3.connect(db_path)
    return sorted(atom_id for atom_id, *_ in conn.execute(sql)
                  if atom_id.startswith(f"urn:kb:amendment:{act_id}:"))


def test_a_failing_stage_is_a_clear_fatal_error_and_leaves_nothing_behind(tmp_path, corpus_dir):
    # A malformed seed list is read inside the build (for acts.child_related): the build stops,
    # names the stage and the file, removes its temporary file and keeps the previous database.
    db_path = tmp_path / "kb.db"
    assert run_build(BuildOptions(db_path=db_path, corpus_dir=corpus_dir)).fatal is None
    before = _sha(db_path)
    seeds = tmp_path / "seeds.yml"
    seeds.write_text("acts:\n  - id: not-an-id\n    title_ru: x\n", encoding="utf-8")
    report = run_build(BuildOptions(db_path=db_path, corpus_dir=corpus_dir, seed_path=seeds))
    assert report.fatal and report.fatal.startswith("acts stage: SeedListError")
    assert "seeds.yml" in report.fatal
    assert "build FAILED: acts stage" in report.summary()
    assert _sha(db_path) == before
    assert list(tmp_path.glob(".kb.db.building-*")) == []


def test_a_malformed_texts_config_is_reported_not_raised(tmp_path, corpus_dir):
    config = tmp_path / "texts.yml"
    config.write_text("texts: [unclosed\n", encoding="utf-8")
    report = run_build(BuildOptions(db_path=tmp_path / "kb.db", corpus_dir=corpus_dir,
                                    texts_config=config))
    assert report.fatal and report.fatal.startswith("inputs stage:")
    assert not (tmp_path / "kb.db").exists()


def test_a_changed_seed_list_or_texts_config_is_a_change(tmp_path, corpus_dir):
    from db.texts import CONFIG

    config = tmp_path / "texts.yml"
    config.write_bytes(CONFIG.read_bytes())
    db_path = tmp_path / "kb.db"
    options = dict(db_path=db_path, corpus_dir=corpus_dir, texts_config=config)
    assert run_build(BuildOptions(**options)).fatal is None
    assert run_build(BuildOptions(**options)).unchanged
    config.write_bytes(CONFIG.read_bytes() + b"\n# a comment is enough to re-read the texts\n")
    report = run_build(BuildOptions(**options))
    assert not report.unchanged and report.reused_documents == 0
    # --force re-parses everything instead of copying unchanged acts.
    report = run_build(BuildOptions(**options, force=True))
    assert report.reused_documents == 0 and report.parsed_documents > 0


def test_a_new_site_shell_does_not_displace_the_old_hosts_page(tmp_path, corpus_dir):
    corpus = tmp_path / "corpus"
    shutil.copytree(corpus_dir / "adilet", corpus / "adilet")
    shell = corpus / "adilet" / "new-site" / "Z1300000094.spa-stub.html"
    shutil.copy(shell, corpus / "adilet" / "new-site" / "V1600014592.spa-stub.html")
    report = run_build(BuildOptions(db_path=tmp_path / "kb.db", corpus_dir=corpus))
    assert report.fatal is None
    conn = sqlite3.connect(tmp_path / "kb.db")
    assert conn.execute("select count(*) from provisions where act_id = 'V1600014592'").fetchone()[0] > 5
