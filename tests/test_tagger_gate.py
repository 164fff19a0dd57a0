"""The text gate (kb.tagging.scoring.TextGate): texts it rules out skip spaCy and get the empty tag object.

The gate is only an optimisation: the gated tagger must give exactly the ungated pipeline's
output. Proven here on every text we have — every item of the shared corpus (which holds every
dev and audit gold text), every provision and heading of the Adilet pages, the style set, every
sentence of the tagger test modules (each in Russian and Kazakh) and sentences written to stress
the tokenizer — and each text in both languages of the gate (ru, kk).
"""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from kb import paths
from kb.tagging import Tagger, empty_tags, tag_jsonl
from kb.tagging.pipeline import get_nlp, get_text_gate

TESTS = Path(__file__).parent
STYLE_SET = TESTS / "fixtures" / "tagger" / "style_set.jsonl"
_CYR = re.compile(r"[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]")

# written for this test: tokenizer corners (special cases, hyphens, quotes, ё, case, digits
# glued to words, soft hyphens, stress marks, line breaks) and the gate's own shortcuts
STRESS = [
    "Дети-сироты и дети, оставшиеся без попечения родителей, и т.д.",
    "«РЕБЁНОК» — лицо, не достигшее восемнадцатилетнего возраста.",
    "РЕБЕНОК. Родители.Ребенок.родители (детей)«детей»",
    "ребе\u0301нок имеет право на жизнь",
    "де\u00adти имеют право на образование",
    "1)ребенку;2)детям,3)несовершеннолетним",
    "Пособие по уходу за ребенком до достижения им возраста 1,5 лет.",
    "лицам до 18-ти лет; лицам 16-летнего возраста; 2-х детей",
    "отпуск по беременности и родам\nпредоставляется женщинам",
    "бесплатное\tсреднее\u00a0образование гарантируется",
    "Исключен Законом РК от 01.01.2020 № 1-VI (дети).",
    "Признать утратившим силу приказ о правах ребенка.",
    "4) исключен",
    "   ",
    "",
    "Ст. 5 пп. 3) и пр. см. также т.е. и т.п. д-р мед. наук",
    "Органы опеки и попечительства; опекун; попечитель; усыновитель.",
    "Школьник, учащийся, обучающийся, воспитанник, студент.",
    "Кәмелетке толмағандардың құқықтары; балалар; балаға; он төрт жасқа дейін.",
    "Бала құқықтары туралы; жетім балалар мен ата-анасының қамқорлығынсыз қалған балалар.",
    "Мектепке дейінгі ұйымдар; мектепалды даярлық; бөбекжай.",
    "Жалпы ережелер. Осы Заң мемлекеттік органдардың қызметін реттейді.",
    "Настоящий Закон регулирует отношения в сфере государственных закупок.",
    "Children under the age of 14 have the right to education.",
]


def corpus_texts() -> list[tuple[str, str]]:
    from kb.corpus_texts import iter_items

    return [(i.text, i.lang) for i in iter_items(paths.DEFAULT_CORPUS)]


def adilet_texts() -> list[tuple[str, str]]:
    from scrapers.adilet.parse import ParseError, parse_document

    out = []
    for page in sorted((paths.DEFAULT_CORPUS / "adilet").glob("*/*.html")):
        lang = {"rus": "ru", "kaz": "kk", "eng": "en"}.get(page.parent.name, "ru")
        try:
            doc = parse_document(page.read_bytes())
        except ParseError:
            continue            # the new site's JavaScript shell: no law text
        for p in doc.provisions:
            for text in (p.text, p.heading):
                if text:
                    out.append((text, lang))
    return out


def style_texts() -> list[tuple[str, str]]:
    from kb.evaluate import load_gold

    items = load_gold(STYLE_SET)
    return [(i["text"], i.get("lang") or "ru") for i in items]


def test_module_sentences() -> list[str]:
    """Every Cyrillic string literal of the tagger test modules."""
    out = []
    for path in sorted(TESTS.glob("test_tagger_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and len(node.value) >= 3 and _CYR.search(node.value):
                out.append(node.value)
    return out


test_module_sentences.__test__ = False     # a collector, not a test


def all_texts() -> list[tuple[str, str]]:
    texts = corpus_texts() + adilet_texts() + style_texts()
    texts += [(t, "ru") for t in test_module_sentences() + STRESS]
    # every text through both gated pipelines as well
    both = {(t, lang) for t, _ in texts for lang in ("ru", "kk")}
    return sorted(set(texts) | both)


@pytest.fixture(scope="module")
def texts() -> list[tuple[str, str]]:
    return all_texts()


def test_the_collection_is_what_we_claim(texts):
    langs = {lang for _, lang in texts}
    assert {"ru", "kk"} <= langs
    assert len(corpus_texts()) >= 700
    assert len(adilet_texts()) >= 20
    assert len(style_texts()) >= 250
    assert len(test_module_sentences()) >= 200
    assert len(texts) >= 2500


def test_gated_output_equals_ungated_output_on_every_text(texts):
    gated, ungated = Tagger(gated=True), Tagger(gated=False)
    by_lang: dict[str, list[str]] = {}
    for text, lang in texts:
        by_lang.setdefault(lang, []).append(text)
    checked = skipped = 0
    for lang, batch in sorted(by_lang.items()):
        want = list(ungated.tag_many(batch, lang=lang, batch_size=64))
        got = list(gated.tag_many(batch, lang=lang, batch_size=64))
        assert len(got) == len(want) == len(batch)
        diff = [(t[:120], g, w) for t, g, w in zip(batch, got, want) if g != w]
        assert not diff, f"{lang}: {len(diff)} texts differ, first: {diff[0]}"
        # single-text path too
        for t, w in zip(batch[:300], want[:300]):
            assert gated.tag(t, lang=lang) == w
        gate = get_text_gate(lang)
        if gate is not None:
            skipped += sum(not gate(t) for t in batch)
        checked += len(batch)
    print(f"\n{checked} texts checked, {skipped} skipped by the gate")
    assert skipped > checked // 3          # the gate does skip most non-child texts


def test_skipped_texts_really_are_empty_in_the_pipeline(texts):
    """The same proof from the other side: what the gate rules out, the pipeline tags empty."""
    for lang in ("ru", "kk"):
        gate, nlp = get_text_gate(lang), get_nlp(lang)
        out = [t for t, lg in texts if lg == lang and not gate(t)]
        for doc in nlp.pipe(out, batch_size=64):
            assert doc._.kb_tags == empty_tags(), doc.user_data.get("kb_text", "")[:120]


def test_gate_passes_child_texts_and_skips_plain_ones():
    ru = get_text_gate("ru")
    assert ru("Ребенок имеет право на имя.")
    assert ru("Детям-сиротам предоставляется жилище.")        # suppletive: дети -> ребенок
    assert ru("лицам, не достигшим 18 лет")                    # an age, no child word
    assert not ru("Настоящий Закон регулирует отношения в сфере государственных закупок.")
    assert not ru("4) исключен Законом РК от 10.01.2018 № 131-VI (о детях).")
    kk = get_text_gate("kk")
    assert kk("Балалардың құқықтары қорғалады.")
    assert kk("он төрт жасқа дейінгі")
    assert not kk("Осы Заң мемлекеттік органдардың қызметін реттейді.")
    assert get_text_gate("en") is None                          # English: always the full path


def test_gate_knows_no_special_case_with_a_phrase_key():
    """A tokenizer special case whose token had a phrase key would be looked for as a
    substring; today none has one (if this changes, the gate still handles it)."""
    assert get_text_gate("ru").specials == []
    assert get_text_gate("kk").specials == []


def test_tag_jsonl_gated_equals_ungated(texts, monkeypatch):
    import io

    lines = "".join(json.dumps({"id": i, "text": t, "lang": lang}, ensure_ascii=False) + "\n"
                    for i, (t, lang) in enumerate(texts[:1500]))
    gated = io.StringIO()
    tag_jsonl(io.StringIO(lines), gated, batch_size=100)
    import kb.tagging

    monkeypatch.setattr(kb.tagging, "get_tagger", lambda: Tagger(gated=False))
    ungated = io.StringIO()
    tag_jsonl(io.StringIO(lines), ungated, batch_size=100)
    assert gated.getvalue() == ungated.getvalue()
