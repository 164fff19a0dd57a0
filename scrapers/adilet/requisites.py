"""The one-line requisites under an act's title, and the act's status.

Russian: «Приказ Министра … от 23 декабря 2016 года № 525. Зарегистрирован в Министерстве
юстиции Республики Казахстан 27 декабря 2016 года № 14592. Утратил силу приказом …»
Kazakh:  «Қазақстан Республикасы Қаржы министрінің 2016 жылғы 26 желтоқсандағы № 688 бұйрығы.
Қазақстан Республикасының Әділет министрлігінде 2016 жылғы 27 желтоқсанда № 14606 болып
тіркелді. Күші жойылды - … бұйрығымен.»
"""
import re

from scrapers.adilet.markup import DATE_PATTERN, iso_date

# Longest first: «Нормативное постановление» must win over «Постановление».
RU_FORMS = ["Конституционный закон", "Конституция", "Кодекс", "Закон", "Указ",
            "Нормативное постановление", "Совместное постановление", "Постановление",
            "Совместный приказ", "Приказ", "Совместное решение", "Решение", "Распоряжение",
            "Соглашение", "Договор", "Конвенция", "Протокол", "Письмо", "Инструкция",
            "Регламент", "Положение", "Послание"]
KK_FORMS = ["Конституциялық заңы", "Конституциясы", "Кодексі", "Заңы", "Жарлығы",
            "нормативтік қаулысы", "бірлескен қаулысы", "қаулысы", "бірлескен бұйрығы",
            "бұйрығы", "бірлескен шешімі", "шешімі", "өкімі", "Келісім", "Шарт", "Конвенция",
            "Хаттама", "Жолдауы"]
_RU_FORM_RE = re.compile(r"^(%s)\b" % "|".join(sorted(RU_FORMS, key=len, reverse=True)), re.I)
_KK_FORM_RE = re.compile(r"(%s)\b" % "|".join(sorted(KK_FORMS, key=len, reverse=True)), re.I)

_NUMBER = r"№\s*(?P<number>[0-9A-Za-zА-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүІі/\-]+)"
_RU_MAIN = re.compile(r"^(?P<head>.*?)\s+от\s+(?P<date>%s)\s*(?:года)?\s*%s" % (DATE_PATTERN, _NUMBER),
                      re.I)
_KK_MAIN = re.compile(r"^(?P<head>.*?)\s*(?P<date>%s)\s*%s\s+(?P<form>[^.]+?)\s*(?:\.|$)"
                      % (DATE_PATTERN, _NUMBER), re.I)
# English (unofficial translations): «The Law of the Republic of Kazakhstan dated 8 August 2002
# No. 345.», «Order of the Minister of … dated 21 December 2022 No. 506. Registered in the
# Ministry of Justice of the Republic of Kazakhstan on 21 December 2022 No. 31180.»
EN_FORMS = ["Constitutional Law", "Constitution", "Code", "Law", "Decree", "Normative Resolution",
            "Joint Resolution", "Resolution", "Joint Order", "Order", "Decision", "Regulation"]
_EN_FORM_RE = re.compile(r"^(?:The\s+)?(%s)\b" % "|".join(sorted(EN_FORMS, key=len, reverse=True)),
                         re.I)
_EN_NUMBER = r"No\.?\s*(?P<number>[0-9A-Za-z/\-]+)"
_EN_MAIN = re.compile(r"^(?P<head>.*?)\s+dated\s+(?P<date>%s)\s*%s" % (DATE_PATTERN, _EN_NUMBER), re.I)
_EN_REG = re.compile(r"Registered\s+(?:in|with)\s+the\s+Ministry\s+of\s+Justice[^.]*?(?:on\s+)?"
                     r"(?P<date>%s)\s*(?:under\s+)?%s" % (DATE_PATTERN, _EN_NUMBER), re.I)
_RU_REG = re.compile(r"Зарегистрирован\w*\s+в\s+Министерстве\s+юстиции[^.]*?(?P<date>%s)\s*(?:года)?"
                     r"\s*%s" % (DATE_PATTERN, _NUMBER), re.I)
_KK_REG = re.compile(r"Әділет\s+министрлігінде\s+(?P<date>%s)\w*\s*%s\s+болып\s+тіркелді"
                     % (DATE_PATTERN, _NUMBER), re.I)

# Only the finite verb says THIS act lost force: «Утратил силу приказом …». The participle
# «утратившим силу» (признать утратившим силу …) is about other acts and must not match.
REPEAL_RU = re.compile(r"(?<![а-яё])утратил[аои]?\s+силу", re.I)
# Kazakh: «Күші жойылды - …», but not «күші жойылды деп танылсын» (= «признать утратившим силу»).
REPEAL_KK = re.compile(r"күші\s+жойылды(?!\s*деп)", re.I)
_REPEAL = re.compile(r"(?<![а-яё])утратил[аои]?\s+силу|күші\s+жойылды(?!\s*деп)", re.I)
_SENTENCE_END = re.compile(r"\.(?=\s|$)")

# Requisites name the issuer in the genitive (Министра, Правительства); the act record wants
# the nominative. Only the head words change, so a small ending table is enough.
_GEN_TO_NOM = [("ства", "ство"), ("теля", "тель"), ("ого", "ый"), ("его", "ий"),
               ("ной", "ная"), ("ой", "ая"), ("ии", "ия"), ("ра", "р"), ("та", "т"), ("да", "д"), ("ка", "к"),
               ("ма", "м"), ("на", "н"), ("ла", "л")]
_ADJ_GEN = re.compile(r"(ого|его|ой)$")


def _nominative(body: str) -> str:
    words = body.split(" ")
    out = []
    done = False
    for word in words:
        if done:
            out.append(word)
            continue
        low = word.lower()
        new = word
        for gen, nom in _GEN_TO_NOM:
            if low.endswith(gen) and len(low) > len(gen) + 1:
                new = word[: -len(gen)] + nom
                break
        out.append(new)
        # Adjectives before the head noun (Конституционного Суда) change too; stop after
        # the first noun.
        if not _ADJ_GEN.search(low):
            done = True
    return " ".join(out)


def repeal_mentioned(text: str | None) -> bool:
    """True if the text says (finite verb) that the act lost force."""
    return bool(text) and bool(REPEAL_RU.search(text) or REPEAL_KK.search(text))


def repeal_sentence(text: str | None) -> str | None:
    """The sentence that says the act lost force: from the period before the verb to the
    period that ends it. Found by two linear searches; one regex spanning the sentence
    (`[^.]*?verb.*?`) is tried from every position and takes quadratic time on long text."""
    if not text:
        return None
    m = _REPEAL.search(text)
    if not m:
        return None
    start = text.rfind(".", 0, m.start()) + 1
    end = _SENTENCE_END.search(text, m.end())
    return text[start:end.end() if end else len(text)].strip()


def parse_requisites(text: str | None, lang: str) -> dict:
    """form, number, date_adopted, issuing_body, registration_*, repeal_note from the line."""
    out = {"form": None, "number": None, "date_adopted": None, "issuing_body": None,
           "registration_number": None, "registration_date": None, "repeal_note": None}
    if not text:
        return out
    # One space between words (the page's line is clean already): the patterns below pair a
    # lazy head with \s+, which backtracks quadratically over a long run of spaces.
    text = " ".join(text.split())
    out["repeal_note"] = repeal_sentence(text)
    if lang == "kaz":
        m = _KK_MAIN.search(text)
        if m:
            fm = _KK_FORM_RE.search(m["form"])
            out["form"] = fm.group(1) if fm else m["form"].strip()
            head = m["head"].strip(" ,")
            # «Қазақстан Республикасының … Заңы»: a law names no issuing body.
            out["issuing_body"] = head if head and head != "Қазақстан Республикасының" else None
        reg = _KK_REG.search(text)
    elif lang == "eng":
        fm = _EN_FORM_RE.match(text)
        m = _EN_MAIN.search(text)
        if fm:
            out["form"] = fm.group(1)[0].upper() + fm.group(1)[1:]
        if m:
            head = m["head"][fm.end():] if fm else m["head"]
            head = re.sub(r"^\s*of\s+(?:the\s+)?", "", head).strip(" ,")
            if head and head.lower() not in ("republic of kazakhstan",):
                out["issuing_body"] = head
        reg = _EN_REG.search(text)
    else:
        fm = _RU_FORM_RE.match(text)
        m = _RU_MAIN.search(text)
        if fm:
            out["form"] = fm.group(1)[0].upper() + fm.group(1)[1:]
        if m:
            head = m["head"]
            if fm:
                head = head[fm.end():]
            head = head.strip(" ,")
            if head and head not in ("Республики Казахстан",):
                out["issuing_body"] = _nominative(head)
        reg = _RU_REG.search(text)
    if m:
        out["number"] = m["number"].rstrip(".-")
        out["date_adopted"] = iso_date(m["date"])
    if reg:
        out["registration_number"] = reg["number"].rstrip(".-")
        out["registration_date"] = iso_date(reg["date"])
    return out
