import hashlib
import json
import os

import pytest

from scrapers.rawstore import RawStore, RawStoreError, TruncatedLogLine

ACT = "Z020000345_"
URL = "https://old.adilet.zan.kz/rus/docs/Z020000345_"


def put_doc(store, body, **meta):
    meta = {"url": URL, "kind": "document", "act_id": ACT, "lang": "rus", "status": 200, **meta}
    return store.put(body, **meta)


def test_put_stores_bytes_under_their_sha256_and_logs_one_line(tmp_path):
    store = RawStore(tmp_path)
    body = "<p id=\"z1\">Статья 1.</p>\r\n".encode("utf-8")
    record = put_doc(store, body, headers={"content-type": "text/html"})

    sha = hashlib.sha256(body).hexdigest()
    assert record["sha256"] == sha
    assert (tmp_path / "objects" / sha[:2] / sha).read_bytes() == body
    assert store.get(sha) == body
    lines = (tmp_path / "responses.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    logged = json.loads(lines[0])
    assert logged == record
    assert logged["size"] == len(body) and logged["ok"] is True and logged["error"] is None
    assert logged["source"] == "live" and logged["retrieved_at"].endswith("Z")
    assert logged["final_url"] == URL
    # no temporary file is left behind
    assert [p.name for p in (tmp_path / "objects" / sha[:2]).iterdir()] == [sha]


def test_same_bytes_twice_is_one_object_and_two_records(tmp_path):
    store = RawStore(tmp_path)
    put_doc(store, b"same")
    put_doc(store, b"same")
    assert len(list((tmp_path / "objects").rglob("*"))) == 2  # one folder, one file
    assert len(list(store.records())) == 2


def test_failure_is_only_a_log_line_and_latest_good_stays(tmp_path):
    store = RawStore(tmp_path)
    good = put_doc(store, b"good text")
    failure = store.record_failure(URL, "ReadTimeout: timed out", kind="document",
                                   act_id=ACT, lang="rus")
    shell = put_doc(store, b"<div id=root></div>", ok=False, error="no article markers")

    assert failure["sha256"] is None and failure["ok"] is False and failure["size"] is None
    assert shell["ok"] is False and store.get(shell["sha256"]) == b"<div id=root></div>"
    assert store.latest_good(ACT, "rus", "document") == good
    assert store.get(good["sha256"]) == b"good text"
    assert [r["ok"] for r in store.records()] == [True, False, False]


def test_latest_good_is_the_newest_ok_record_for_that_act_lang_kind(tmp_path):
    store = RawStore(tmp_path)
    put_doc(store, b"v1")
    newer = put_doc(store, b"v2")
    put_doc(store, b"kazakh", lang="kaz")
    put_doc(store, b"info", kind="info")
    assert store.latest_good(ACT, "rus", "document") == newer
    assert store.latest_good(ACT, "eng", "document") is None


def test_truncated_last_line_is_skipped_with_a_warning_and_the_next_put_is_readable(tmp_path):
    store = RawStore(tmp_path)
    good = put_doc(store, b"good")
    with open(tmp_path / "responses.jsonl", "ab") as fh:
        fh.write(b'{"url": "https://old.adilet.zan.kz/rus/docs/K1', )  # crash mid-write

    with pytest.warns(TruncatedLogLine):
        assert list(store.records()) == [good]
    with pytest.warns(TruncatedLogLine):
        assert store.latest_good(ACT, "rus", "document") == good

    later = put_doc(store, b"later")
    with pytest.warns(TruncatedLogLine):
        assert list(store.records()) == [good, later]


def test_crash_while_writing_an_object_leaves_no_partial_object_and_no_record(tmp_path, monkeypatch):
    store = RawStore(tmp_path)
    good = put_doc(store, b"good")

    def crash(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        put_doc(store, b"new text that never lands")
    monkeypatch.undo()

    sha = hashlib.sha256(b"new text that never lands").hexdigest()
    assert not store.has(sha)
    assert not list((tmp_path / "objects").rglob(".tmp-*"))
    assert list(store.records()) == [good]


def test_corrupted_object_is_reported_not_returned(tmp_path):
    store = RawStore(tmp_path)
    record = put_doc(store, b"original")
    store.object_path(record["sha256"]).write_bytes(b"bit rot")
    with pytest.raises(RawStoreError, match="does not match"):
        store.get(record["sha256"])
    with pytest.raises(RawStoreError, match="no object"):
        store.get("0" * 64)


def test_the_same_bytes_fetched_again_repair_a_corrupted_object(tmp_path):
    store = RawStore(tmp_path)
    record = put_doc(store, b"original")
    store.object_path(record["sha256"]).write_bytes(b"bit rot")
    put_doc(store, b"original")
    assert store.get(record["sha256"]) == b"original"


@pytest.mark.parametrize("bad", ["../../etc/passwd", "ABC", "g" * 64, None])
def test_get_refuses_names_that_are_not_sha256(tmp_path, bad):
    with pytest.raises(ValueError):
        RawStore(tmp_path).get(bad)


def test_bad_metadata_is_refused_before_anything_is_written(tmp_path):
    store = RawStore(tmp_path)
    with pytest.raises(ValueError, match="kind"):
        store.put(b"x", url=URL, kind="webpage")
    with pytest.raises(ValueError, match="needs an error"):
        store.put(b"x", url=URL, kind="document", ok=False)
    with pytest.raises(TypeError):
        store.put("text, not bytes", url=URL, kind="document")
    assert not (tmp_path / "objects").exists()
    assert not (tmp_path / "responses.jsonl").exists()
