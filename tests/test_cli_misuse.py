"""CLI misuse (issue 10, row 10), as real `kb` processes: every case exits non-zero (or, for a
bad corpus item, builds without it) with a message saying what is wrong, never a traceback,
never a hang, and the data already there is untouched.
"""
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from scrapers.http import MAX_BODY_BYTES
from scrapers.rawstore import RawStore

KB = str(Path(sys.executable).with_name("kb"))
PAGE = b"<html><body><article><p id='z1'>1. text</p></article></body></html>"


def kb(*args, cwd=None, timeout=120):
    return subprocess.run([KB, *args], capture_output=True, text=True, timeout=timeout, cwd=cwd)


def assert_clear_error(proc, *phrases, code=None):
    assert proc.returncode != 0 if code is None else proc.returncode == code, proc
    assert "Traceback" not in proc.stderr, proc.stderr
    for phrase in phrases:
        assert phrase in proc.stderr, proc.stderr


@pytest.fixture
def raw(tmp_path):
    """A raw store that already holds one page; tests check it is left as it was."""
    store = RawStore(tmp_path / "raw")
    store.put(PAGE, url="https://old.adilet.zan.kz/rus/docs/Z020000345_", kind="document",
              act_id="Z020000345_", lang="rus")
    before = {p: p.read_bytes() for p in store.root.rglob("*") if p.is_file()}
    yield store.root
    after = {p: p.read_bytes() for p in store.root.rglob("*") if p.is_file()}
    assert after == before


def test_fetch_refuses_an_id_with_a_trailing_newline(raw):
    proc = kb("fetch", "Z020000345_\n", "--raw", str(raw))
    assert_clear_error(proc, r"not an Adilet act ID: 'Z020000345_\n'", code=2)


@pytest.mark.parametrize("command", ["fetch", "build"])
def test_a_negative_delay_is_refused(raw, tmp_path, command):
    args = ["fetch", "Z020000345_"] if command == "fetch" else ["build", "--live", "--db",
                                                                  str(tmp_path / "kb.db")]
    proc = kb(*args, "--delay", "-1", "--raw", str(raw))
    assert_clear_error(proc, "Invalid value for '--delay'", "-1.0 is not in the range x>=0", code=2)
    assert not (tmp_path / "kb.db").exists()


def test_cite_refuses_a_file_that_is_not_a_database(tmp_path):
    proc = kb("cite", "--db", "/etc/passwd", "Z020000345_-z1")
    assert_clear_error(proc, "/etc/passwd is not a knowledge-base database",
                       "file is not a database", code=1)


def test_cite_refuses_another_sqlite_database_and_a_fifo(tmp_path):
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("create table notes (text)")
    conn.commit()
    conn.close()
    before = other.read_bytes()
    proc = kb("cite", "--db", str(other), "Z020000345_-z1")
    assert_clear_error(proc, "is an SQLite database but not a knowledge-base one", code=1)
    assert other.read_bytes() == before
    fifo = tmp_path / "kb.db"
    os.mkfifo(fifo)
    proc = kb("cite", "--db", str(fifo), "Z020000345_-z1", timeout=60)
    assert_clear_error(proc, "not a regular file (a FIFO)", code=1)


def test_parse_refuses_devices_fifos_and_oversized_files(tmp_path):
    proc = kb("parse", "/dev/zero", timeout=60)
    assert_clear_error(proc, "/dev/zero: not a regular file (a device)", code=1)
    fifo = tmp_path / "page.html"
    os.mkfifo(fifo)
    proc = kb("parse", str(fifo), timeout=60)
    assert_clear_error(proc, "not a regular file (a FIFO)", code=1)
    huge = tmp_path / "huge.html"
    with open(huge, "wb") as fh:
        fh.truncate(MAX_BODY_BYTES + 1)          # sparse: no disk used
    proc = kb("parse", str(huge), timeout=60)
    assert_clear_error(proc, f"{MAX_BODY_BYTES + 1:,} bytes, more than the "
                             f"{MAX_BODY_BYTES:,}-byte limit", code=1)


def test_a_dangling_link_and_a_fifo_in_the_corpus_are_reported_not_fatal(tmp_path, corpus_dir):
    # The corpus links to the shared pages (nothing copied) beside two broken names.
    rus = tmp_path / "corpus" / "adilet" / "rus"
    rus.mkdir(parents=True)
    (rus / "V1600014606.html").symlink_to(corpus_dir / "adilet" / "rus" / "V1600014606.html")
    (rus / "Z020000345_.html").symlink_to(tmp_path / "gone.html")
    os.mkfifo(rus / "K1500000414.html")
    db = tmp_path / "kb.db"
    proc = kb("build", "--corpus", str(tmp_path / "corpus"), "--db", str(db), timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert "Z020000345_.html: skipped: no such file (a dangling symbolic link?)" in proc.stdout
    assert "K1500000414.html: skipped: not a regular file (a FIFO)" in proc.stdout
    conn = sqlite3.connect(db)
    assert [r[0] for r in conn.execute("select id from acts")] == ["V1600014606"]
    failed = {Path(item).name: reason for item, reason in
              conn.execute("select item, reason from build_failures where stage = 'inputs'")}
    assert set(failed) == {"Z020000345_.html", "K1500000414.html"}
