"""Amendment footnotes («Сноска.» / «Ескерту.») and editor's notes as amendment records.

A note may list several amending acts:
  «Сноска. Статья 3 с изменениями, внесенными законами РК от 23.11.2010 № 354-IV; от 10.07.2012
  № 36-V (вводится в действие …).»
  «Ескерту. 3-бапқа өзгерістер енгізілді - ҚР 2010.11.23 № 354-IV; 2012.07.10 № 36-V Заңдарымен.»
Each «date № number» pair is one amending act and becomes one record. In Russian the form
word («законами», «приказом») comes before the pair, in Kazakh after it («Заңымен»,
«бұйрығымен»), so the form is looked up on that side and carried over within a list.
"""
import re
from dataclasses import asdict, dataclass

from scrapers.adilet.markup import DATE_PATTERN, clean, iso_date

NOTE_PREFIX = re.compile(r"^\s*(Сноска|Ескерту|Footnote)\s*[.:]\s*", re.I)
EDITOR_NOTE = re.compile(r"^\s*(Примечание\s+(ИЗПИ|РЦПИ)|ҚР\s+ДЗҚИ-ның\s+ескертпесі|"
                         r"ҚР\s+РҚАО-ның\s+ескертпесі|Note\s+of\s+the\s+(RCLI|ILLI))", re.I)

_REF = re.compile(r"(?:от\s+|dated\s+)?(?P<date>%s)\s*\.?\s*(?:года|г\.|ж\.)?\s*(?:№|No\.?)\s*"
                  r"(?P<number>[0-9A-Za-zА-Яа-яІіҚқ/\-]+)" % DATE_PATTERN, re.I)

_RU_FORMS = [(r"конституционн\w*\s+закон", "Конституционный закон"),
             (r"кодекс\w{0,3}\b", "Кодекс"), (r"закон\w{0,3}\b", "Закон"),
             (r"указ\w{0,3}\b", "Указ"),
             (r"нормативн\w*\s+постановлени", "Нормативное постановление"),
             (r"совместн\w*\s+приказ", "Совместный приказ"),
             (r"постановлени", "Постановление"), (r"приказ", "Приказ"),
             (r"решени", "Решение"), (r"распоряжени", "Распоряжение")]
_KK_FORMS = [(r"конституциялық\s+заң", "Конституциялық заңы"), (r"заң(?:ы|ымен|дарымен|дары)\b", "Заңы"),
             (r"кодекс", "Кодексі"), (r"бұйры[ғқ]", "бұйрығы"), (r"қаулы", "қаулысы"),
             (r"жарлы[ғқ]", "Жарлығы"), (r"шешім", "шешімі"), (r"өкім", "өкімі")]
_EN_FORMS = [(r"constitutional\s+law", "Constitutional Law"), (r"\bcode\b", "Code"),
             (r"\blaws?\b", "Law"), (r"\bdecree\b", "Decree"), (r"\bresolution\b", "Resolution"),
             (r"\border\b", "Order"), (r"\bdecision\b", "Decision")]
_EN_FORM_RE = re.compile("|".join(f"(?P<f{i}>{rx})" for i, (rx, _) in enumerate(_EN_FORMS)),
                         re.I)
_RU_FORM_RE = re.compile("|".join(f"(?P<f{i}>{rx})" for i, (rx, _) in enumerate(_RU_FORMS)),
                         re.I)
_KK_FORM_RE = re.compile("|".join(f"(?P<f{i}>{rx})" for i, (rx, _) in enumerate(_KK_FORMS)),
                         re.I)

# Checked in this order: a note that both amends and repeals is about the repeal.
_ACTIONS = [
    ("repealed", re.compile(r"(?<![а-яё])утратил[аои]?\s+силу|күші\s+жойылды(?!\s*деп)", re.I)),
    ("excluded", re.compile(r"исключ[её]н|алып\s+тасталды|excluded", re.I)),
    ("new_wording", re.compile(r"в\s+редакции|редакциясында|жаңа\s+редакцияда|as\s+amended\s+by",
                               re.I)),
    ("amended", re.compile(r"изменени|изменен|заменен|өзгеріс|өзгертілді|ауыстырылды|amended",
                           re.I)),
    ("added", re.compile(r"дополнен|толықтырылды|толықтырулар|supplemented", re.I)),
]
_ENTRY = re.compile(r"\(([^()]*(?:вводится|вводятся|введен\w*\s+в\s+действие|қолданысқа|"
                    r"enters?\s+into\s+force)[^()]*)\)", re.I)
_TOKEN = re.compile(r"[\w/-]+")
_DOC_ID = re.compile(r"/(?:rus|kaz|eng)/docs/([A-Z][0-9A-Z_]{10})")


@dataclass
class Amendment:
    provision: str | None
    text: str
    action: str
    amending_form: str | None = None
    amending_date: str | None = None
    amending_number: str | None = None
    amending_act_id: str | None = None
    what: str | None = None
    entry_into_force: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def is_footnote(text: str) -> bool:
    return bool(NOTE_PREFIX.match(text))


def is_editor_note(text: str) -> bool:
    return bool(EDITOR_NOTE.match(text))


def _action(text: str) -> str | None:
    for name, rx in _ACTIONS:
        if rx.search(text):
            return name
    return None


def _form(segment: str, lang: str, last: bool) -> str | None:
    forms, rx = {"kaz": (_KK_FORMS, _KK_FORM_RE),
                 "eng": (_EN_FORMS, _EN_FORM_RE)}.get(lang, (_RU_FORMS, _RU_FORM_RE))
    matches = list(rx.finditer(segment))
    if not matches:
        return None
    m = matches[-1] if last else matches[0]
    index = int(m.lastgroup[1:])
    return forms[index][1]


def _what(body: str) -> str | None:
    """The subject of the note: «Статья 3», «Пункт 1», «Заголовок» (None: the whole act)."""
    ends = [m.start() for _, rx in _ACTIONS for m in [rx.search(body)] if m]
    ref = _REF.search(body)
    if ref:
        ends.append(ref.start())
    end = min(ends) if ends else len(body)
    what = body[:end].strip(" ,.-–—:;")
    # «Статья 1 с изменениями» / «Пункт 2 в редакции»: the preposition belongs to the verb.
    what = re.sub(r"\s+(?:с|со|в)$", "", what, flags=re.I)
    # Kazakh puts the verb after a dash («1-бапқа өзгеріс енгізілді - ҚР …»).
    return what or None


def _act_id_for(number: str, links: list[tuple[str, str]]) -> str | None:
    for text, href in links:
        m = _DOC_ID.search(href or "")
        if m and number and number in _TOKEN.findall(text or ""):
            return m.group(1)
    return None


def parse_note(text: str, *, provision: str | None, lang: str = "rus",
               links: list[tuple[str, str]] | tuple = ()) -> list[Amendment]:
    """One Amendment per amending act named in a footnote (at least one record per note).

    links: (link text, href) pairs found in the note; a link whose text holds an amending
    act's number gives that act's Adilet ID.
    """
    text = clean(text)
    body = NOTE_PREFIX.sub("", text, count=1)
    if is_editor_note(body):
        return [Amendment(provision=provision, text=text, action="note")]
    whole_action = _action(body) or "note"
    what = _what(body)
    refs = list(_REF.finditer(body))
    if not refs:
        return [Amendment(provision=provision, text=text, action=whole_action, what=what,
                          entry_into_force=_entry(body))]
    doc_links = [(t, h) for t, h in links if _DOC_ID.search(h or "")]
    records = []
    prev_end = 0
    for i, m in enumerate(refs):
        before = body[prev_end:m.start()]
        after = body[m.end(): refs[i + 1].start() if i + 1 < len(refs) else len(body)]
        number = m["number"].rstrip(".-")
        form = _form(after, lang, last=False) if lang == "kaz" else _form(before, lang, last=True)
        records.append(Amendment(
            provision=provision, text=text, action=_action(before) or "",
            amending_form=form, amending_date=iso_date(m["date"]), amending_number=number,
            amending_act_id=_act_id_for(number, doc_links), what=what,
            entry_into_force=_entry(after)))
        prev_end = m.end()
    # Carry form and action across a list («законами РК от …; от …»): Russian names them
    # before the first act, Kazakh after the last one.
    order = reversed(records) if lang == "kaz" else records
    form = None
    for rec in order:
        form = rec.amending_form = rec.amending_form or form
    action = None
    for rec in records:
        action = rec.action = rec.action or action or whole_action
    # With one link and one act, the link is that act whatever its text says.
    if len(records) == 1 and len(doc_links) == 1 and not records[0].amending_act_id:
        records[0].amending_act_id = _DOC_ID.search(doc_links[0][1]).group(1)
    return records


def _entry(segment: str) -> str | None:
    m = _ENTRY.search(segment)
    return clean(m.group(1)) if m else None
