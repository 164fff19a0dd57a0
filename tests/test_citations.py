"""Citation exports and evidence highlighting on awkward values: what a reader or a reference
manager gets back."""
import bibtexparser

from kb import citations

ACT = {"id": "V1600014592", "title": "Об утверждении лимитов 50% & {долга} ~ ^ #1 $",
       "form": "Приказ", "number": "525", "date_adopted": "2016-12-23",
       "issuing_body": "Министр_национальной экономики", "status": "in_force",
       "url": "https://adilet.zan.kz/rus/docs/V1600014592", "retrieved_at": "2026-08-05T00:00:00+00:00"}


def _provision(pid, path="п. 1", url_anchor="z2"):
    return {"id": pid, "path": path, "url": f"{ACT['url']}#{url_anchor}",
            "retrieved_at": "2026-08-05T00:00:00+00:00"}


def test_bibtex_escapes_every_special_character_and_parses_back():
    text = citations.to_bibtex([(_provision("V1600014592-z2"), ACT)])
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks
    (entry,) = library.entries
    title = entry["title"]
    for escaped in (r"50\%", r"\&", r"\{долга\}", r"\textasciitilde{}", r"\textasciicircum{}",
                    r"\#1", r"\$"):
        assert escaped in title, escaped
    assert entry["url"] == f"{ACT['url']}#z2"


def test_bibtex_keys_stay_unique_when_ids_differ_only_in_punctuation():
    pairs = [(_provision("V1600014592-z5.2"), ACT), (_provision("V1600014592-z5_2"), ACT)]
    library = bibtexparser.parse_string(citations.to_bibtex(pairs))
    assert not library.failed_blocks
    assert [e.key for e in library.entries] == ["V1600014592_z5_2", "V1600014592_z5_2_2"]


def test_ris_values_never_break_a_line():
    act = dict(ACT, title="Об утверждении\r\nлимитов\rдолга")
    text = citations.to_ris([(_provision("V1600014592-z2"), act)])
    lines = text.split("\r\n")
    assert lines[0] == "TY  - STAT" and lines[-2] == "ER  - "
    assert all(line == "" or line[:2].isalnum() and line[2:6] == "  - " for line in lines)
    assert "\r" not in "".join(lines) and "\n" not in "".join(lines)


def test_evidence_highlighting_is_escaped_and_lands_on_the_phrase():
    from kb.plugin import highlight

    # «İ» lower-cases to two characters; the marks must still cover the phrase itself.
    text = "İİ <script>alert(1)</script> защита ребёнка & семьи"
    html = str(highlight(text, ["ребенка", "<script>"]))
    assert '<mark class="kb-evidence">ребёнка</mark>' in html
    assert '<mark class="kb-evidence">&lt;script&gt;</mark>' in html
    assert "<script>" not in html and "&amp; семьи" in html
