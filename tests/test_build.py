"""The build on the real saved corpus: atomic, reporting failures, doing no work twice."""
import hashlib
import json
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
