"""Spoken Chinese numbers, amounts, dates and times, resolved against a given day.

    cn_number("三百五")                       -> 350
    find_dates("明天下午三点给王总回电话", date(2026, 11, 24))
        -> [When(date(2026, 11, 25), "15:00", start=0, end=6)]

Relative words: 今天/今早/今晚/刚才/刚刚 (today), 明天/后天/大后天, 昨天/前天, 下周X/下星期X/
下礼拜X (X of next calendar week, weeks start on Monday), 上周X, 这周X/本周X/周X (this week's, or
next week's when it has passed), 下个月X号, X月X日/号, YYYY年X月X日, YYYY-MM-DD; times
上午/下午/晚上 + X点(半|X分). Nothing here reads the clock: the caller passes "today".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6}
DIGITS |= {"七": 7, "八": 8, "九": 9}
UNITS = {"十": 10, "百": 100, "千": 1000}
CN_NUM = "零〇一二两三四五六七八九十百千万点"
NUM = rf"(?:\d+(?:\.\d+)?|[{CN_NUM}]+)"
WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": 5}


def cn_number(text: str) -> float | None:
    """An Arabic or spoken Chinese number: "350", "三百五" (350), "一千二" (1200),
    "两万" (20000), "十五" (15), "三点五" (3.5). None when it is not a number."""
    text = text.strip()
    if not text:
        return None
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    if "点" in text:
        whole, _, frac = text.partition("点")
        w = cn_number(whole) if whole else 0.0
        digits = [DIGITS.get(c) for c in frac]
        if w is None or not digits or None in digits:
            return None
        return w + float("0." + "".join(str(d) for d in digits))
    if "万" in text:
        high, _, low = text.partition("万")
        h = cn_number(high) if high else 1.0
        implied = 1 if low[:1] in "零〇" else 1000  # 一万零五 = 10005, 一万五 = 15000
        low = low.lstrip("零〇")
        rest = _below_10k(low, implied) if low else 0.0
        return None if h is None or rest is None else h * 10000 + rest
    return _below_10k(text, 0)


def _below_10k(text: str, implied_unit: int) -> float | None:
    total, digit, last_unit = 0, None, 0
    for ch in text:
        if ch in "零〇" and total:  # 一百零五: the next digit is a unit digit
            last_unit = 1
            continue
        if ch in DIGITS:
            if digit is not None:  # "一二" is not a number
                return None
            digit = DIGITS[ch]
        elif ch in UNITS:
            unit = UNITS[ch]
            total += (1 if digit is None else digit) * unit
            digit, last_unit = None, unit
        else:
            return None
    if digit is not None:
        # A trailing digit after a unit is one unit lower: 三百五 = 350, 一千二 = 1200.
        unit = last_unit // 10 if last_unit >= 100 else (implied_unit if last_unit == 0 else 1)
        total += digit * (unit or 1)
    return float(total)


@dataclass(frozen=True)
class When:
    day: date
    time: str | None  # "HH:MM"
    start: int
    end: int

    def iso(self, with_time: bool = False) -> str:
        if with_time and self.time:
            return f"{self.day.isoformat()} {self.time}"
        return self.day.isoformat()


_DAY_WORDS = {
    "大后天": 3,
    "后天": 2,
    "明天": 1,
    "明早": 1,
    "明晚": 1,
    "今天": 0,
    "今早": 0,
    "今晚": 0,
    "今日": 0,
    "刚才": 0,
    "刚刚": 0,
    "昨天": -1,
    "前天": -2,
}
_DAY_RE = "|".join(sorted(_DAY_WORDS, key=len, reverse=True))
_PART = r"(?P<part>上午|早上|早晨|中午|下午|傍晚|晚上)?"
_CLOCK = rf"(?:(?P<hour>{NUM})(?:点|:|：)(?P<minute>半|{NUM}分?)?)?"
_PATTERN = re.compile(
    rf"(?:(?P<word>{_DAY_RE})"
    rf"|(?P<next>下下|下|上)(?:个)?(?:周|星期|礼拜)(?P<nwd>[一二三四五六日天末])"
    rf"|(?:这|本)?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天末])"
    rf"|下个?月(?P<nmday>{NUM})[号日]"
    rf"|(?:(?P<year>\d{{4}})年)?(?P<month>{NUM})月(?P<mday>{NUM})[号日]?"
    rf"|(?P<iso>\d{{4}}-\d{{1,2}}-\d{{1,2}}))"
    rf"{_PART}{_CLOCK}"
)
_TIME_ONLY = re.compile(
    rf"(?P<part>上午|早上|中午|下午|晚上)(?P<hour>{NUM})点(?P<minute>半|{NUM}分?)?"
)


def _clock(m: re.Match[str]) -> str | None:
    hour_text = m.group("hour")
    if not hour_text:
        return None
    hour = cn_number(hour_text)
    if hour is None or hour > 24:
        return None
    h = int(hour)
    if m.group("part") in ("下午", "傍晚", "晚上") and h < 12:
        h += 12
    if m.group("part") == "中午" and h < 6:
        h += 12
    minute_text = (m.group("minute") or "").rstrip("分")
    minute = 30 if minute_text == "半" else int(cn_number(minute_text) or 0) if minute_text else 0
    return f"{h:02d}:{minute:02d}" if h < 24 and minute < 60 else None


def _day(m: re.Match[str], today: date) -> date | None:
    if m.group("word"):
        return today + timedelta(days=_DAY_WORDS[m.group("word")])
    monday = today - timedelta(days=today.weekday())
    if m.group("nwd"):
        weeks = {"下下": 2, "下": 1, "上": -1}[m.group("next")]
        return monday + timedelta(weeks=weeks, days=WEEKDAYS[m.group("nwd")])
    if m.group("wd"):
        day = monday + timedelta(days=WEEKDAYS[m.group("wd")])
        return day if day >= today else day + timedelta(weeks=1)
    if m.group("nmday"):
        year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
        return _safe_date(year, month, cn_number(m.group("nmday")))
    if m.group("iso"):
        y, mo, d = (int(p) for p in m.group("iso").split("-"))
        return _safe_date(y, mo, d)
    month, mday = cn_number(m.group("month")), cn_number(m.group("mday"))
    if m.group("year"):
        return _safe_date(int(m.group("year")), month, mday)
    found = _safe_date(today.year, month, mday)
    # "1月5日" said in late December means next January.
    if found is not None and (today - found).days > 180:
        found = _safe_date(today.year + 1, month, mday)
    return found


def _safe_date(year: int, month: float | None, day: float | None) -> date | None:
    try:
        return date(int(year), int(month or 0), int(day or 0))
    except (TypeError, ValueError):
        return None


def find_dates(text: str, today: date) -> list[When]:
    """Every date expression in `text`, in order, resolved against `today`."""
    found: list[When] = []
    for m in _PATTERN.finditer(text):
        day = _day(m, today)
        if day is not None:
            found.append(When(day, _clock(m), m.start(), m.end()))
    return found


def find_time(text: str) -> str | None:
    """A clock time without a day word ("下午三点" -> "15:00")."""
    m = _TIME_ONLY.search(text)
    return _clock(m) if m else None


def normalise_date(value: str, today: date, with_time: bool = False) -> str:
    """A model's date field as YYYY-MM-DD (or with HH:MM): relative words are resolved,
    anything already ISO or not understood is returned unchanged."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2})?", value):
        return value
    found = find_dates(value, today)
    return found[0].iso(with_time) if found else value
