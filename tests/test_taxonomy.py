"""kb/data/taxonomy.yml and kb.taxonomy: fixed codes, validation, age derivation."""
import pytest

from kb.taxonomy import (AGE_BAND_CODES, DIMENSION_CODES, FLAG_CODES, TaxonomyError,
                         age_groups_for, load_taxonomy, moda_groups_for)


def test_default_file_has_the_fixed_scheme():
    tax = load_taxonomy()
    assert tax.dimension_codes == list(DIMENSION_CODES)
    assert [b.code for b in tax.age_bands] == list(AGE_BAND_CODES)
    assert [f.code for f in tax.flags] == list(FLAG_CODES)
    fam = tax.dimension("FAM")
    assert fam.name["ru"] and fam.name["kk"] and fam.crc_cluster
    # every dimension has Russian and Kazakh cues; some are child-specific (strong)
    for d in tax.dimensions:
        assert d.cues.get("ru") and d.cues.get("kk"), d.code
    assert any(c.strong for d in tax.dimensions for c in d.cues["ru"])
    assert {r["code"] for r in tax.age_group_rows()} >= {"AG_PRE", "MODA_0_23M", "MODA_12_17Y"}
    assert len(tax.dimension_rows()) == 12 and len(tax.flag_rows()) == 7


@pytest.mark.parametrize("lo,hi,pregnancy,expected", [
    (0, 215, False, ["AG_INF", "AG_TOD", "AG_PSC", "AG_PRI", "AG_MID", "AG_AD1", "AG_AD2"]),
    (0, 167, False, ["AG_INF", "AG_TOD", "AG_PSC", "AG_PRI", "AG_MID"]),
    (168, 215, False, ["AG_AD1", "AG_AD2"]),
    (0, 17, False, ["AG_INF", "AG_TOD"]),          # «до полутора лет»
    (216, 287, False, ["AG_TRN"]),
    (216, None, False, ["AG_TRN"]),                # open upper bound
    (0, 0, True, ["AG_PRE", "AG_INF"]),            # newborn
    (None, None, True, ["AG_PRE"]),                # pregnancy only
    (None, None, False, []),
])
def test_age_groups_by_overlap(lo, hi, pregnancy, expected):
    assert age_groups_for(lo, hi, pregnancy=pregnancy) == expected


def test_moda_groups_by_overlap():
    assert moda_groups_for(0, 35) == ["MODA_0_23M", "MODA_24_59M"]
    assert moda_groups_for(60, 143) == ["MODA_5_11Y"]
    assert moda_groups_for(168, 215) == ["MODA_12_17Y"]
    assert moda_groups_for(None, None) == []


def _write(tmp_path, text):
    p = tmp_path / "tax.yml"
    p.write_text(text, encoding="utf-8")
    return p


def test_unknown_dimension_code_is_refused(tmp_path):
    good = load_taxonomy().path
    text = open(good, encoding="utf-8").read().replace("- code: LEI", "- code: FUN", 1)
    with pytest.raises(TaxonomyError, match="unknown dimension code 'FUN'"):
        load_taxonomy(_write(tmp_path, text))


def test_missing_dimension_and_bad_yaml_are_refused(tmp_path):
    good = open(load_taxonomy().path, encoding="utf-8").read()
    start = good.index("  - code: GOV")
    end = good.index("# Words that make a provision")
    with pytest.raises(TaxonomyError, match="missing: GOV"):
        load_taxonomy(_write(tmp_path, good[:start] + good[end:]))
    with pytest.raises(TaxonomyError, match="not valid YAML"):
        load_taxonomy(_write(tmp_path, "dimensions: [unclosed"))
    with pytest.raises(TaxonomyError, match="cannot read"):
        load_taxonomy(tmp_path / "nope.yml")


def test_bad_cue_weight_is_refused(tmp_path):
    good = open(load_taxonomy().path, encoding="utf-8").read()
    bad = good.replace('{p: "жилищ*", w: 0.8}', '{p: "жилищ*", w: heavy}', 1)
    with pytest.raises(TaxonomyError, match="weight is not a number"):
        load_taxonomy(_write(tmp_path, bad))


@pytest.mark.parametrize("lang,keyer", [("ru", "kb_lemmatizer"), ("kk", "kb_kk_lemmatizer"),
                                        ("en", "kb_lower_lemmatizer")])
def test_every_cue_phrase_matches_its_own_words(lang, keyer):
    """A cue phrase written in taxonomy.yml, read as text, is found: its pattern words are keyed
    by the same function as the text's words. (The Kazakh adult-context phrase «кәмелетке
    толған» was once keyed as written while the text's «кәмелетке» was stemmed: it never
    matched.) Phrases with a «*» stem are left out: their text form is not a word."""
    from kb.tagging.pipeline import get_nlp

    nlp = get_nlp(lang)
    pipe = nlp.get_pipe(keyer)
    tax = load_taxonomy()
    groups = [d.cues for d in tax.dimensions] + [f.cues for f in tax.flags] + [
        tax.child_context, tax.neutral, tax.adult_context, tax.higher_education]
    phrases = {c.pattern for g in groups for c in g.get(lang, ()) if "*" not in c.pattern}
    assert len(phrases) > 10
    dead = [p for p in sorted(phrases)
            if tuple(pipe.lemma_key(t.text)[1] for t in nlp.make_doc(p)) not in pipe.index.sequences]
    assert dead == []
