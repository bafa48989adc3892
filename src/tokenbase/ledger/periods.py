"""Ledger days and months: local to `ledger.timezone`, so a Beijing working day is one day."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import LedgerInputError

PERIODS = ("daily", "monthly")


def zone(name: str) -> ZoneInfo:
    """Raises LedgerError naming the setting when the zone is unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise LedgerInputError(
            f"unknown time zone {name!r} in ledger.timezone: use an IANA name like Asia/Shanghai"
        ) from exc


def local_day(at: datetime, tz: ZoneInfo) -> date:
    """The local day of a UTC (or any aware) timestamp; naive timestamps are taken as UTC."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(tz).date()


def period_start(period: str, day: date) -> date:
    """First day of the daily or monthly budget period that contains `day`."""
    if period == "daily":
        return day
    if period == "monthly":
        return day.replace(day=1)
    raise LedgerInputError(f"unknown budget period {period!r}: use daily or monthly")


def parse_month(month: str) -> tuple[date, date]:
    """'2026-11' -> (2026-11-01, 2026-12-01): first day and the day after the last."""
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", month.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise LedgerInputError(f"invalid month {month!r}: use YYYY-MM, e.g. 2026-11")
    first = date(int(match.group(1)), int(match.group(2)), 1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following


def parse_day(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise LedgerInputError(f"invalid date {value!r}: use YYYY-MM-DD, e.g. 2026-11-24") from exc
