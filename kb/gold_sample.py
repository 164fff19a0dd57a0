"""Draw the real-act gold sample (issue 9): provisions of corpus/adilet-text for two blind coders.

    python -m kb.gold_sample [--corpus ../shared/corpus] [--out-dir /tmp/gold] [--batches 6]

Strata, drawn with a fixed seed so the sample can be drawn again:

* `child_cue` — a provision that names a child (ребенок, несовершеннолетний, бала …) or a
  child institution, with a quota per dimension's cue stems (TAXONOMY.md) so that every
  dimension has support, the rest spread over the acts;
* `random` — any provision of the acts, so that recall is measured on what a cue list would
  not have found;
* `trap` — provisions with the words that look like child or age words and are not (periods
  «в течение трех лет», adult ages «достигший шестидесяти лет», «балабақша», «утратившим
  силу», «семья» of an adult …): the negatives that test precision.

Russian and Kazakh (≥ 30 %) are drawn separately. The repository keeps only the keys
(`kb/data/gold/real/items.jsonl`: source, act, position, text hash, stratum); the batches with
text for the coders go to --out-dir, outside the repository, since no law text is committed.
"""
from __future__ import annotations

import argparse
import json
import random
import re
from collections import defaultdict
from pathlib import Path

from kb import paths
from kb.corpus_texts import iter_source, text_sha256

SEED = 20261205
ITEMS = paths.DATA_DIR / "gold" / "real" / "items.jsonl"
_HEADING = re.compile(r"^(sec|ch|genpart|specpart|app)[0-9IVXLC-]*(-par\d+(-\d+)*)?(_\d+)?$")

CHILD = {
    "ru": re.compile(r"ребен|ребён|дет(и|ей|ям|ьми|ях|ск)|несовершеннолетн|малолетн|сирот|"
                     r"подрост|новорожденн|школьн|обучающ|воспитанник|учащ|юн(ый|ых|ого|ошеск)|"
                     r"опек|попечител|усынов|удочер|патронат|приемн\w+ семь|многодетн|"
                     r"материнств|беременн|роды|родов|детск\w+ сад|дошкольн|алимент|"
                     r"родител", re.I),
    "kk": re.compile(r"\bбала(?!бақша)|балалар|баланың|балаға|балаларды|кәмелетке|жетім|"
                     r"ата-ана|қорғаншы|қамқоршы|асырап|жүкті|нәресте|оқушы|тәрбиеленуш|"
                     r"мектепке дейінгі|көп балалы|жасөспірім|мектеп", re.I),
}
# per-dimension cue stems (TAXONOMY.md); a provision counts for a quota when it also names a child
DIMENSION_CUES = {
    "ru": {
        "MAT": r"пособи|социальн\w+ выплат|адресн\w+ социальн|малообеспеченн|многодетн|специальн\w+ социальн",
        "HOU": r"жилищ|жиль|коммунальн|питьев|санитар",
        "HLT": r"здоровь|медицинск|вакцин|прививк|беременн|новорожденн|реабилитац|инвалидност",
        "NUT": r"питани|вскармливан|йодир",
        "ECD": r"дошкольн|детск\w+ сад|ясл|мини-центр|предшкольн",
        "EDU": r"образовани|обучающ|школ|учебн",
        "FAM": r"родител|алимент|опек|попечител|патронат|приемн|усынов|сирот|без попечения",
        "PRO": r"насили|жесток|травл|буллинг|эксплуатац|торговл\w+ людьми|вредн\w+ информац|безнадзорн|беспризорн",
        "JUS": r"уголовн\w+ ответственн|административн\w+ ответственн|ювенальн|по делам несовершеннолетних|алкогол|табак|наркот|правонарушени",
        "PAR": r"регистрац\w+ рождени|свидетельств\w+ о рождении|имя|гражданств|мнени|персональн|дееспособн",
        "LEI": r"отдых|оздоровлен|лагер|досуг|спорт|дополнительн\w+ образовани|культур",
        "GOV": r"права ребенка|наилучш|Уполномоченн\w+ по правам ребенка|защиты прав детей|стандарт|мониторинг",
    },
    "kk": {
        "MAT": r"жәрдемақы|атаулы әлеуметтік|аз қамтылған|көп балалы|әлеуметтік төлем",
        "HOU": r"тұрғын үй|баспана|коммуналдық",
        "HLT": r"денсаулық|медициналық|екпе|жүкті|оңалту|мүгедек",
        "NUT": r"тамақтан|емшек",
        "ECD": r"мектепке дейінгі|балабақша|бөбекжай",
        "EDU": r"білім|оқушы|мектеп|оқыту",
        "FAM": r"ата-ана|алимент|қорғаншы|қамқоршы|асырап|жетім|қамқорлығынсыз",
        "PRO": r"зорлық|қатыгездік|буллинг|қорла|адам саудасы|қанау|зиянды ақпарат",
        "JUS": r"қылмыстық жауапт|әкімшілік жауапт|ювенал|алкоголь|темекі|есірткі|құқық бұзушылық",
        "PAR": r"тууды тіркеу|азаматтық|пікір|дербес деректер|әрекетке қабілет",
        "LEI": r"демалыс|сауықтыр|лагер|спорт|қосымша білім|мәдени",
        "GOV": r"бала құқықтары|уәкіл|мониторинг|стандарт",
    },
}
TRAPS = {
    "ru": re.compile(r"в течение (одного|двух|трех|пяти|десяти)\w* лет|срок\w* до \w+ лет|"
                     r"(достигш|старше|свыше)\w* (шестидесяти|пятидесяти|двадцати|тридцати|"
                     r"шестьдесят|пятьдесят|восемнадцати)|утратившим силу|семь(я|и|ей) (умерш|"
                     r"работник|военнослужащ)|лет со дня|летн\w+ срок|возраст\w* (выхода|пенсион)|"
                     r"детальн|определен\w+ лет", re.I),
    "kk": re.compile(r"балабақша|жыл ішінде|жыл бойы|(алпыс|елу|отыз|жиырма) жас|күшін жойған|"
                     r"жасқа толған|зейнет", re.I),
}
QUOTAS = {"ru": {"child_cue": 950, "random": 470, "trap": 300, "per_dimension": 70},
          "kk": {"child_cue": 500, "random": 220, "trap": 80, "per_dimension": 35}}


def _context(items_by_act: dict, item) -> str:
    """What a coder needs to read the provision: its article's heading (not its text)."""
    m = re.match(r"^(art\d+(?:-\d+)*)(?=-[a-z]|$)", item.position)
    if not m or m.group(1) == item.position:
        return ""
    article = items_by_act[item.act_id].get(m.group(1))
    return article.text.split("\n")[0][:200] if article else ""


def draw(corpus_dir: Path, quotas: dict = QUOTAS, seed: int = SEED,
         have: frozenset = frozenset()) -> list[dict]:
    """The stratified sample; `have`: keys already in the gold set, never drawn again."""
    from db.adilet_text import load_act_metadata

    rng = random.Random(seed)
    titles = {k: v.get("title") for k, v in load_act_metadata().items()}
    chosen: list[dict] = []
    for source, lang in (("adilet_text", "ru"), ("adilet_text_kk", "kk")):
        if not any(quotas[lang].values()):
            continue
        items = [it for it in iter_source(corpus_dir, source)
                 if not _HEADING.match(it.position) and len(it.text) >= 25]
        by_act = defaultdict(dict)
        for it in iter_source(corpus_dir, source):
            by_act[it.act_id][it.position] = it
        taken: set[str] = set(have)
        q = quotas[lang]

        def take(pool, n, stratum, note=None):
            pool = [it for it in pool if it.key not in taken]
            rng.shuffle(pool)
            for it in pool[:n]:
                taken.add(it.key)
                chosen.append({"key": it.key, "source": it.source, "act_id": it.act_id,
                               "position": it.position, "lang": lang,
                               "text_sha256": it.sha, "stratum": stratum,
                               "cue": note, "text": it.text,
                               "act_title": titles.get(it.act_id),
                               "article_heading": _context(by_act, it)})

        child = [it for it in items if CHILD[lang].search(it.text)]
        for dim, cue in DIMENSION_CUES[lang].items():
            rx = re.compile(cue, re.I)
            take([it for it in child if rx.search(it.text)], q["per_dimension"], "child_cue", dim)
        done = sum(1 for c in chosen if c["lang"] == lang and c["stratum"] == "child_cue")
        take(child, max(0, q["child_cue"] - done), "child_cue")
        take([it for it in items if TRAPS[lang].search(it.text) and not CHILD[lang].search(it.text)],
             q["trap"], "trap")
        take(items, q["random"], "random")
    return chosen


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=paths.DEFAULT_CORPUS)
    ap.add_argument("--out-dir", type=Path, default=Path("/tmp/gold"))
    ap.add_argument("--batches", type=int, default=6)
    ap.add_argument("--top-up", metavar="DIM", help="add every remaining cue item of DIM")
    ap.add_argument("--extend", type=int, metavar="N",
                    help="draw N more items (same strata and language shares, new seed), "
                         "append them to items.jsonl and write coder batches draw<K>_batch*")
    ap.add_argument("--lang", choices=sorted(QUOTAS), action="append",
                    help="with --extend: draw only this language (repeatable; default both), "
                         "e.g. to keep the Kazakh share at 30 %% when its child-word pool runs out")
    args = ap.parse_args(argv)
    if args.extend:
        extend(args.corpus, args.extend, args.out_dir, args.batches, args.lang)
        return
    if args.top_up:
        args.out_dir.mkdir(parents=True, exist_ok=True)
        out = args.out_dir / f"topup_{args.top_up}.jsonl"
        print(f"{top_up(args.corpus, args.top_up, out)} items added to {ITEMS}; coder batch: {out}")
        return
    sample = draw(args.corpus)
    rng = random.Random(SEED + 1)
    rng.shuffle(sample)                     # coders see strata and languages mixed
    ITEMS.parent.mkdir(parents=True, exist_ok=True)
    with open(ITEMS, "w", encoding="utf-8") as fh:
        for row in sample:
            keep = {k: row[k] for k in ("source", "act_id", "position", "lang", "text_sha256",
                                        "stratum", "cue")}
            fh.write(json.dumps(keep, ensure_ascii=False) + "\n")
    _write_batches(sample, args.out_dir, args.batches, "batch")
    langs = defaultdict(int)
    for row in sample:
        langs[(row["lang"], row["stratum"])] += 1
    print(f"{len(sample)} items from {len({r['act_id'] for r in sample})} acts: "
          + ", ".join(f"{k[0]} {k[1]} {v}" for k, v in sorted(langs.items())))
    print(f"keys: {ITEMS}; coder batches: {args.out_dir}/batch1..{args.batches}.jsonl")


def _have() -> list[dict]:
    return [json.loads(line) for line in open(ITEMS, encoding="utf-8") if line.strip()]


def extend(corpus_dir: Path, n: int, out_dir: Path, batches: int,
           langs: list[str] | None = None) -> list[dict]:
    """A further draw of about n items by the first draw's design (strata and language shares
    of QUOTAS, scaled), never an item already drawn. Items land in the blind part by
    blind.yml's rule like any other (their act or article decides), so the blind part grows
    with the open one. Appends to items.jsonl (field `draw`) and writes coder batches.

        python -m kb.gold_sample --extend 1000 --batches 4 --out-dir /tmp/gold2
    """
    have = _have()
    number = 1 + max((row.get("draw", 1) for row in have), default=0)
    chosen = {lang: q for lang, q in QUOTAS.items() if not langs or lang in langs}
    first = sum(sum(v for k, v in q.items() if k != "per_dimension") for q in chosen.values())
    quotas = {lang: ({k: max(1, round(v * n / first)) for k, v in q.items()} if lang in chosen
                     else {k: 0 for k in q}) for lang, q in QUOTAS.items()}
    keys = frozenset(f"{r['source']}/{r['act_id']}/{r['position']}" for r in have)
    sample = draw(corpus_dir, quotas, SEED + number, keys)
    random.Random(SEED + number + 1).shuffle(sample)
    with open(ITEMS, "a", encoding="utf-8") as fh:
        for row in sample:
            keep = {k: row[k] for k in ("source", "act_id", "position", "lang", "text_sha256",
                                        "stratum", "cue")}
            fh.write(json.dumps({**keep, "draw": number}, ensure_ascii=False) + "\n")
    _write_batches(sample, out_dir, batches, f"draw{number}_batch")
    print(f"draw {number}: {len(sample)} items from {len({r['act_id'] for r in sample})} acts "
          f"appended to {ITEMS}; coder batches: {out_dir}/draw{number}_batch1..{batches}.jsonl")
    return sample


def _write_batches(sample: list[dict], out_dir: Path, batches: int, stem: str) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    size = -(-len(sample) // batches)
    for b in range(batches):
        with open(out_dir / f"{stem}{b + 1}.jsonl", "w", encoding="utf-8") as fh:
            for row in sample[b * size:(b + 1) * size]:
                coder = {k: row[k] for k in ("key", "lang", "act_title", "article_heading", "text")}
                fh.write(json.dumps(coder, ensure_ascii=False) + "\n")


def top_up(corpus_dir: Path, dimension: str, out: Path) -> int:
    """Append to items.jsonl every provision with `dimension`'s cue and a child word that the
    sample does not hold yet (stratum `topup_{dimension}`), for a dimension whose support
    stayed under 40; write them as a coder batch to `out`. Returns how many were added.

        python -m kb.gold_sample --top-up NUT --out-dir /tmp/gold
    """
    from db.adilet_text import load_act_metadata

    titles = {k: v.get("title") for k, v in load_act_metadata().items()}
    have = {f"{r['source']}/{r['act_id']}/{r['position']}" for r in _have()}
    added = []
    for source, lang in (("adilet_text", "ru"), ("adilet_text_kk", "kk")):
        rx = re.compile(DIMENSION_CUES[lang][dimension], re.I)
        by_act = defaultdict(dict)
        items = list(iter_source(corpus_dir, source))
        for it in items:
            by_act[it.act_id][it.position] = it
        for it in items:
            if it.key in have or _HEADING.match(it.position) or len(it.text) < 25:
                continue
            if rx.search(it.text) and CHILD[lang].search(it.text):
                added.append((it, lang, _context(by_act, it)))
    with open(ITEMS, "a", encoding="utf-8") as fh, open(out, "w", encoding="utf-8") as coder:
        for it, lang, context in added:
            fh.write(json.dumps({"source": it.source, "act_id": it.act_id, "position": it.position,
                                 "lang": lang, "text_sha256": it.sha,
                                 "stratum": f"topup_{dimension}", "cue": dimension},
                                ensure_ascii=False) + "\n")
            coder.write(json.dumps({"key": it.key, "lang": lang, "act_title": titles.get(it.act_id),
                                    "article_heading": context, "text": it.text},
                                   ensure_ascii=False) + "\n")
    return len(added)


if __name__ == "__main__":
    main()
