"""PII detectors for Chinese text: one detector per type, all registered in `DETECTORS`.

Each detector is a regex for candidates plus a check that rejects what only looks right (the
GB 11643 checksum and birth date of a resident ID, Luhn for cards, the GB 32100 checksum of a
credit code). Numbers are matched only as whole digit runs: an ID inside a longer number is
not an ID. `detect` runs the detectors and keeps, among overlapping spans, the one with the
highest confidence (then type priority, then length).

Names and addresses are best-effort: surnames plus context cues (先生, 姓名：, 主治医生 …) and
address chains anchored on a province, city or a cue word (住址, 居住在 …).

Errors::

    UnknownPiiType   a type name that no registered detector provides
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date

from .lexicon import (
    CITIES,
    COMPOUND_SURNAMES,
    ID_REGIONS,
    NAME_STOP,
    ORG_CHARS,
    PLATE_PROVINCES,
    PROVINCES,
    SURNAMES,
    TOP_SURNAMES,
    WEAK_SURNAMES,
)


class UnknownPiiType(ValueError):
    """A PII type name that no registered detector provides."""


@dataclass(frozen=True, slots=True)
class PiiSpan:
    """One PII value found in a text: `text[start:end] == value` (end exclusive)."""

    start: int
    end: int
    type: str
    value: str = field(repr=False)  # never in logs or tracebacks
    confidence: float


@dataclass(frozen=True)
class Detector:
    """A detector for one type: `find(text)` yields candidate spans."""

    type: str
    label_zh: str
    label_en: str
    priority: int  # breaks confidence ties between overlapping spans
    find: Callable[[str], Iterable[PiiSpan]]
    structured: bool = True  # checked formats, as opposed to best-effort names/addresses
    # One spelling per value, so "138-1234-5678" and "+86 13812345678" share a placeholder.
    canonical: Callable[[str], str] = str


def canonical(pii_type: str, value: str) -> str:
    """The value as compared for "same value, same placeholder"."""
    return detector_for(pii_type).canonical(value)


def _digits(value: str) -> str:
    return "".join(c for c in value if c.isdigit() or c in "Xx").upper()


DETECTORS: list[Detector] = []


def register_detector(detector: Detector) -> Detector:
    """Add a detector (built-ins register through this too); a type can be registered once."""
    if any(d.type == detector.type for d in DETECTORS):
        raise ValueError(f"a PII detector for {detector.type!r} is already registered")
    DETECTORS.append(detector)
    return detector


def detector_types() -> list[str]:
    return [d.type for d in DETECTORS]


def detector_for(pii_type: str) -> Detector:
    for d in DETECTORS:
        if d.type == pii_type:
            return d
    raise UnknownPiiType(f"unknown PII type {pii_type!r}; known: {', '.join(detector_types())}")


_FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}


def detect(
    text: str, types: Iterable[str] | None = None, min_confidence: float = 0.0
) -> list[PiiSpan]:
    """Non-overlapping PII spans in `text`, sorted by start.

    `types` limits the detectors run (None: all). Raises UnknownPiiType for an unknown type.
    """
    wanted = DETECTORS if types is None else [detector_for(t) for t in types]
    priority = {d.type: d.priority for d in wanted}
    # Fullwidth digits, letters and @ (１３８…, ｘ) map one character to one character, so
    # detectors see ASCII while every span keeps its offsets and its original value.
    folded = text.translate(_FULLWIDTH)
    changed = folded != text
    candidates = [
        replace(s, value=text[s.start : s.end]) if changed else s
        for d in wanted
        for s in d.find(folded)
        if s.confidence >= min_confidence and s.end > s.start
    ]
    candidates.sort(key=lambda s: (-s.confidence, -priority[s.type], s.start - s.end))
    taken: list[PiiSpan] = []
    for span in candidates:
        if all(span.end <= t.start or span.start >= t.end for t in taken):
            taken.append(span)
    taken.sort(key=lambda s: s.start)
    return taken


def _span(m: re.Match[str], pii_type: str, confidence: float, group: int | str = 0) -> PiiSpan:
    return PiiSpan(m.start(group), m.end(group), pii_type, m.group(group), confidence)


def _digit_before(text: str, start: int, also: str = "") -> bool:
    """Whether the character before `start` continues a number (checked here rather than by a
    regex lookbehind, which would stop `re` from skipping ahead to candidate characters)."""
    return start > 0 and (text[start - 1].isdigit() or text[start - 1] in also)


def _cue_before(text: str, start: int, cue: re.Pattern[str], window: int = 12) -> bool:
    return cue.search(text, max(0, start - window), start) is not None


# -- phone numbers ------------------------------------------------------------------------------
_MOBILE = re.compile(r"1[3-9]\d(?:[ -]?\d{4}){2}(?!\d)")
_MOBILE_PREFIX = re.compile(r"(?:(?:\+|00)?86[ -]?|\(\+?86\)[ -]?)$")
# Area codes: 010 and 02x have three digits, the rest four (0[3-9]xx); local numbers start 2-9.
_AREA = r"0(?:10|2\d|[3-9]\d\d)"
_LANDLINE = re.compile(
    rf"(?:\({_AREA}\)|（{_AREA}）|{_AREA}(?P<sep>[ -])?)[2-9]\d{{6,7}}"
    r"(?:(?:转|-|ext\.?|分机|#)\d{1,6})?(?!\d)"
)


def find_mobile(text: str) -> Iterator[PiiSpan]:
    for m in _MOBILE.finditer(text):
        prefix = _MOBILE_PREFIX.search(text, max(0, m.start() - 6), m.start())
        start = prefix.start() if prefix else m.start()
        if not _digit_before(text, start, "+"):
            yield PiiSpan(start, m.end(), "mobile", text[start : m.end()], 0.95)


def find_landline(text: str) -> Iterator[PiiSpan]:
    for m in _LANDLINE.finditer(text):
        if _digit_before(text, m.start()):
            continue
        # "0571-88889999" or "(0571)…" is surely a phone; 11-12 bare digits less so.
        yield _span(m, "landline", 0.9 if m["sep"] or m.group()[0] in "(（" else 0.75)


# -- resident ID (GB 11643) -----------------------------------------------------------------------
_ID18 = re.compile(r"\d{17}[\dXx](?![\dXx])")
_ID15 = re.compile(r"\d{15}(?!\d)")
_ID_CUE = re.compile(r"身份证|证件号|公民身份号码|身份号码|ID ?(?:No|号)|idcard", re.I)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_check_char(first17: str) -> str:
    """The GB 11643 check character (0-9 or X) of the first 17 digits."""
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


def _valid_birth(year: int, month: int, day: int) -> bool:
    try:
        born = date(year, month, day)
    except ValueError:
        return False
    return date(1900, 1, 1) <= born <= date.today()


def find_id_card(text: str) -> Iterator[PiiSpan]:
    for m in _ID18.finditer(text):
        v = m.group()
        if _digit_before(text, m.start()):
            continue
        if v[:2] not in ID_REGIONS or not _valid_birth(int(v[6:10]), int(v[10:12]), int(v[12:14])):
            continue
        if id_check_char(v[:17]) == v[17].upper():
            yield _span(m, "id_card", 0.99)
        elif _cue_before(text, m.start(), _ID_CUE):
            # A mistyped ID next to "身份证号" is still someone's ID: mask it, less surely.
            yield _span(m, "id_card", 0.6)
    for m in _ID15.finditer(text):  # pre-1999 IDs: no checksum, 2-digit year
        v = m.group()
        if _digit_before(text, m.start()):
            continue
        if v[:2] in ID_REGIONS and _valid_birth(1900 + int(v[6:8]), int(v[8:10]), int(v[10:12])):
            yield _span(m, "id_card", 0.7 if _cue_before(text, m.start(), _ID_CUE) else 0.5)


# -- bank cards ---------------------------------------------------------------------------------
_CARD = re.compile(r"(?:\d{4}[ -]){3}\d{4}(?:[ -]?\d{1,3})?(?![\d-])|\d{15,19}(?!\d)")
_CARD_CUE = re.compile(r"卡号|银行卡|储蓄卡|信用卡|借记卡|账号|帐号|card", re.I)


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card_brand_ok(d: str) -> bool:
    n = len(d)
    if d.startswith("62"):  # UnionPay
        return 16 <= n <= 19
    if d[0] == "4":  # Visa
        return n in (16, 19)
    if 51 <= int(d[:2]) <= 55 or 2221 <= int(d[:4]) <= 2720:  # Mastercard
        return n == 16
    if d[:2] in ("34", "37"):  # American Express
        return n == 15
    if 3528 <= int(d[:4]) <= 3589:  # JCB
        return 16 <= n <= 19
    return False


def find_bank_card(text: str) -> Iterator[PiiSpan]:
    for m in _CARD.finditer(text):
        if _digit_before(text, m.start(), "-"):
            continue
        digits = re.sub(r"[ -]", "", m.group())
        if not 15 <= len(digits) <= 19 or not _card_brand_ok(digits):
            continue
        if luhn_ok(digits):
            yield _span(m, "bank_card", 0.95 if digits.startswith("62") else 0.9)
        elif digits.startswith("62") and _cue_before(text, m.start(), _CARD_CUE):
            # Some older UnionPay debit cards do not follow Luhn; trust the cue.
            yield _span(m, "bank_card", 0.6)


# -- unified social credit code (GB 32100) --------------------------------------------------------
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC = re.compile(r"(?<![0-9A-Za-z])[1-9ANY][1-9]\d{6}[0-9A-HJ-NPQRTUWXY]{10}(?![0-9A-Za-z])")
_ORG_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_USCC_CUE = re.compile(r"信用代码|社会信用|税号|纳税人识别号|注册号|USCC", re.I)


def uscc_check_char(first17: str) -> str:
    """The GB 32100 check character of the first 17 characters of a credit code."""
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[(31 - total % 31) % 31]


def org_code_check_char(first8: str) -> str:
    """The GB 11714 check character of an organisation code (characters 9-17 of a credit
    code carry one, so a credit code has two independent checks)."""
    total = sum(
        _ORG_CHARS.index(c) * w for c, w in zip(first8, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)
    )
    return {10: "X", 11: "0"}.get(11 - total % 11, str(11 - total % 11))


def find_uscc(text: str) -> Iterator[PiiSpan]:
    for m in _USCC.finditer(text):
        v = m.group()
        if v[2:4] not in ID_REGIONS and v[2:4] != "10":
            continue
        if uscc_check_char(v[:17]) != v[17] or org_code_check_char(v[8:16]) != v[16]:
            continue
        if (
            v.isdigit()
            and _cue_before(text, m.start(), _ID_CUE)
            and not _cue_before(text, m.start(), _USCC_CUE)
        ):
            continue  # all digits after "身份证号": an ID that happens to pass both checks
        yield _span(m, "uscc", 0.97)


# -- e-mail, IP, passport, plate ----------------------------------------------------------------
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*"
    r"\.[A-Za-z]{2,24}(?![A-Za-z0-9-])"
)
_IPV4 = re.compile(
    r"(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
    r"(?!\.?\d)"
)
_IPV6 = re.compile(r"(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![0-9A-Fa-f:])")
_PASSPORT = re.compile(
    r"(?<![0-9A-Za-z])(?:[EG]\d{8}|E[A-HJ-NP-Z]\d{7}|[DSP]E?\d{7})(?![0-9A-Za-z])"
)
_PASSPORT_CUE = re.compile(r"护照|passport|通行证", re.I)
_PLATE = re.compile(
    rf"[{PLATE_PROVINCES}][A-HJ-NP-Z][·•・ ]?"
    r"(?:[DF][A-HJ-NP-Z0-9]\d{4}|\d{5}[DF]|[A-HJ-NP-Z0-9]{4}[A-HJ-NP-Z0-9挂学警港澳])(?![0-9A-Za-z])"
)


def find_email(text: str) -> Iterator[PiiSpan]:
    for m in _EMAIL.finditer(text):
        yield _span(m, "email", 0.98)


def find_ip(text: str) -> Iterator[PiiSpan]:
    for m in _IPV4.finditer(text):
        if not _digit_before(text, m.start(), "."):
            yield _span(m, "ip", 0.85)
    if "::" in text or text.count(":") >= 7:  # cheap gate: IPv6 needs many colons
        for m in _IPV6.finditer(text):
            if any(c in "0123456789abcdefABCDEF" for c in m.group()):
                try:
                    ipaddress.IPv6Address(m.group())
                except ValueError:
                    continue
                yield _span(m, "ip", 0.85)


def find_passport(text: str) -> Iterator[PiiSpan]:
    for m in _PASSPORT.finditer(text):
        cue = _cue_before(text, m.start(), _PASSPORT_CUE, window=16)
        if m.group()[0] in "EG" and m.group()[1].isdigit():
            yield _span(m, "passport", 0.9 if cue else 0.7)
        elif cue:  # EA…, D/S/P… forms collide with product codes; need the cue
            yield _span(m, "passport", 0.8)


def find_plate(text: str) -> Iterator[PiiSpan]:
    for m in _PLATE.finditer(text):
        if sum(c.isdigit() for c in m.group()) >= 3:
            yield _span(m, "plate", 0.85)


# -- person names (best effort) -------------------------------------------------------------------
_HAN = r"\u4e00-\u9fff"
_SURNAME = "(?:" + "|".join(COMPOUND_SURNAMES) + f"|[{SURNAMES}])"
_TITLE_AFTER = (
    "先生|女士|小姐|同志|老师|医生|医师|大夫|教授|博士|律师|经理|总监|主任|院长|校长|书记|局长|"
    "处长|科长|主席|董事长|总经理|工程师|护士|警官|师傅|阿姨|同学|会计|院士|研究员|主管|通讯员|"
    r"，?\d{1,3}岁|，?一[位名]|是一[位名个]|，[男女][，,、]|（[男女]|，中国国籍|，汉族"
)
_LABEL_BEFORE = (
    "姓名|名字|联系人|收件人|收货人|寄件人|患者|病人|申请人|投保人|被保险人|法定代表人|法人代表|"
    "负责人|经办人|户主|持卡人|乘客|客户|员工|学生"
)
_PROSE_BEFORE = (
    "主治医生|主治医师|主治大夫|医生|医师|教授|经理|老师|同事|朋友|丈夫|妻子|儿子|女儿|父亲|母亲|"
    "记者|律师|我叫|名叫|叫做|介绍人|推荐人|局长|行长|部长|厂长|市长|省长|县长|区长|主席|总裁|"
    "董事长|总经理|理事长|理事|作者|导演|主帅|教练|球员|演员|歌手|艺术家|画家|作家|编辑|主持人|"
    "工程师|院长|校长|书记|委员|发言人|创始人|研究员|队长|组长|处长|科长"
)
# Speech verbs after a name (news and reports): "曹新民表示", "谢立文指出".
_SAYS_AFTER = "表示|指出|认为|介绍|透露|坦言|强调|回忆|解释|说道|告诉记者|称，|说，"
# Cues after a name are found first and the name read backwards from them: scanning for
# cues is ~10x cheaper than trying every surname character in the text.
_CUE_AFTER = re.compile(rf"(?P<title>{_TITLE_AFTER})|(?P<says>{_SAYS_AFTER})")
# Interview transcripts: a name and a colon at the start of a line or sentence ("姜山：…").
_NAME_SPEAKER = re.compile(rf"(?:^|(?<=[。！？\n]))({_SURNAME}[{_HAN}]{{1,2}})(?=[：:])", re.M)
_NAME_LABEL = re.compile(rf"(?:{_LABEL_BEFORE})\s*[：:]\s*([{_HAN}]{{2,4}})")
_NAME_BEFORE = re.compile(
    rf"(?:{_PROSE_BEFORE}|{_LABEL_BEFORE})(?:为|是)?({_SURNAME}[{_HAN}]{{1,2}})"
)
_NAME_DOT = re.compile(rf"[{_HAN}]{{1,4}}[·•][{_HAN}]{{1,4}}")
_TITLE_WORD = re.compile(_TITLE_AFTER.split("|，")[0])
_CUE_START = re.compile(_TITLE_AFTER.split("|，")[0] + "|" + _SAYS_AFTER)
_SURNAME_SET = set(SURNAMES)


def _trim_given(name: str, surname_len: int) -> str:
    """Cut a candidate name at the first character that cannot be part of a given name."""
    for i in range(surname_len, len(name)):
        if name[i] in NAME_STOP:
            return name[:i] if i > surname_len else ""
    return name


def _surname_len(name: str) -> int:
    return 2 if name[:2] in COMPOUND_SURNAMES else 1


def _shift_weak(start: int, name: str) -> tuple[int, str]:
    """ "向张伟", "总计杜硕": a weak surname before a common one is not part of the name."""
    if len(name) == 3 and name[0] in WEAK_SURNAMES and name[1] in TOP_SURNAMES:
        return start + 1, name[1:]
    return start, name


def _cut_before_cue(text: str, start: int, name: str) -> str:
    """ "周野介绍", "杨莉通讯员": a 3-character reading whose last character starts a cue
    word is a 2-character name."""
    if len(name) == 3 and _CUE_START.match(text, start + 2):
        return name[:2]
    return name


def _org_like(text: str, start: int, name: str) -> bool:
    end = start + len(name)
    return any(c in ORG_CHARS for c in name) or (end < len(text) and text[end] in ORG_CHARS)


def _is_han(chars: str) -> bool:
    return all("\u4e00" <= c <= "\u9fff" for c in chars)


def _name_ending_at(text: str, end: int) -> tuple[int, str] | None:
    """The name just before a cue at `end`: 复姓 + 2, surname + 2, then surname + 1."""
    for length in (4, 3, 2):
        start = end - length
        name = text[max(start, 0) : end]
        if start < 0 or not _is_han(name):
            continue
        surname = 2 if name[:2] in COMPOUND_SURNAMES else 1
        if (length == 4 and surname != 2) or (surname == 1 and name[0] not in _SURNAME_SET):
            continue
        if length == 3 and surname == 1 and name[0] in WEAK_SURNAMES and name[1] in TOP_SURNAMES:
            continue  # "向张伟先生" -> 张伟
        if any(c in NAME_STOP for c in name[surname:]):
            continue
        return start, name
    return None


def find_name(text: str) -> Iterator[PiiSpan]:
    found: dict[str, float] = {}

    def keep(start: int, name: str, confidence: float, strong: bool) -> Iterator[PiiSpan]:
        if len(name) < 2 or _org_like(text, start, name):
            return
        if name[0] in WEAK_SURNAMES and (
            len(name) == 2 or not strong or (start > 0 and _is_han(text[start - 1]))
        ):
            return  # "历任车间主任": a weak surname needs a strong cue and a clause start
        found.setdefault(name, confidence)
        yield PiiSpan(start, start + len(name), "name", name, confidence)

    for m in _CUE_AFTER.finditer(text):
        hit = _name_ending_at(text, m.start())
        if hit:
            strong = m.lastgroup == "title"
            yield from keep(hit[0], hit[1], 0.8 if strong else 0.6, strong=strong)
    for m in _NAME_LABEL.finditer(text):
        name = _cut_before_cue(text, m.start(1), _trim_given(m.group(1), 1))
        yield from keep(m.start(1), name, 0.85, strong=True)
    for m in _NAME_BEFORE.finditer(text):
        name = _trim_given(m.group(1), _surname_len(m.group(1)))
        yield from keep(m.start(1), _cut_before_cue(text, m.start(1), name), 0.75, strong=False)
    if "：" in text or ":" in text:
        for m in _NAME_SPEAKER.finditer(text):
            start, name = _shift_weak(m.start(1), m.group(1))
            yield from keep(start, name, 0.6, strong=False)
    dots = _NAME_DOT.finditer(text) if "·" in text or "•" in text else ()
    for m in dots:  # transliterated names: 温迪·格伦
        start, end = m.start(), m.end()
        while text[start] in NAME_STOP or text[start] in _LEAD_IN:
            start += 1
        title = _TITLE_WORD.search(text, start, end)
        end = title.start() if title else end
        cut = next((i for i in range(m.start() + 1, end) if text[i] in NAME_STOP), end)
        if text.find("·", start, cut) > start or text.find("•", start, cut) > start:
            yield PiiSpan(start, cut, "name", text[start:cut], 0.6)
    # A name found once by its cue is a name wherever else it appears in the same text.
    for name in found:
        at = text.find(name)
        while at != -1:
            yield PiiSpan(at, at + len(name), "name", name, 0.7)
            at = text.find(name, at + len(name))


# -- addresses (best effort) ----------------------------------------------------------------------
_ADDR_PART = (
    rf"(?:[{_HAN}A-Za-z]{{1,8}}?(?:自治州|地区|新区|开发区|街道|大街|大道|胡同|小区|花园|大厦|"
    rf"公寓|广场|家园|社区|省|市|州|盟|区|县|镇|乡|村|路|街|巷|弄|苑)"
    r"|[0-9A-Za-z-]{1,6}(?:号楼|号院|号|栋|幢|座|单元|楼|层|室|户|弄|巷))"
)
_PROVINCE = "(?:" + "|".join(sorted(PROVINCES, key=len, reverse=True)) + ")"
_CITY = "(?:" + "|".join(sorted(CITIES, key=len, reverse=True)) + ")"
_ADDR_PROVINCE = re.compile(
    rf"{_PROVINCE}(?:维吾尔自治区|壮族自治区|回族自治区|特别行政区|自治区|省|市)?{_ADDR_PART}+"
)
_ADDR_CITY = re.compile(rf"{_CITY}(?P<shi>市)?{_ADDR_PART}+")
_ADDR_CUE = re.compile(
    r"(?:地址|住址|住所|居住地|户籍地|家住|住在|居住在|居住于|现居|现住|寄往|寄到|送到|送至)"
    rf"[：:为是在于]?\s*({_ADDR_PART}{{2,}}|{_ADDR_PART}[0-9])"
)
_ADDR_STREET = re.compile(rf"[{_HAN}]{{2,6}}?(?:路|大街|大道|街|巷|弄)\d{{1,5}}号{_ADDR_PART}*")
_LEAD_IN = set("在于住到往至是为的从去向我他她们了")


def find_address(text: str) -> Iterator[PiiSpan]:
    for m in _ADDR_PROVINCE.finditer(text):
        yield _span(m, "address", 0.85)
    for m in _ADDR_CITY.finditer(text):
        # Without 市, the city must start a word: "广州天河区…", not "去广州…" inside a phrase.
        if m["shi"] or m.start() == 0 or not _is_han(text[m.start() - 1]):
            yield _span(m, "address", 0.8)
    for m in _ADDR_CUE.finditer(text):
        yield _span(m, "address", 0.75, 1)
    for m in _ADDR_STREET.finditer(text):
        start = m.start()
        while start < m.end() and text[start] in _LEAD_IN:
            start += 1
        yield PiiSpan(start, m.end(), "address", text[start : m.end()], 0.6)


for _d in (
    Detector("id_card", "身份证号", "ID_CARD", 100, find_id_card, canonical=_digits),
    Detector("uscc", "信用代码", "CREDIT_CODE", 95, find_uscc),
    Detector("email", "邮箱", "EMAIL", 95, find_email, canonical=str.lower),
    Detector("bank_card", "银行卡号", "BANK_CARD", 90, find_bank_card, canonical=_digits),
    Detector("mobile", "手机号", "PHONE", 85, find_mobile, canonical=lambda v: _digits(v)[-11:]),
    Detector("landline", "座机号", "LANDLINE", 80, find_landline, canonical=_digits),
    Detector("passport", "护照号", "PASSPORT", 75, find_passport),
    Detector("plate", "车牌号", "PLATE", 70, find_plate),
    Detector("ip", "IP地址", "IP", 70, find_ip, canonical=str.lower),
    Detector("address", "地址", "ADDRESS", 40, find_address, structured=False),
    Detector("name", "姓名", "NAME", 30, find_name, structured=False),
):
    register_detector(_d)
