"""Numbers as people read them on the ledger pages, and the chart options built from reports.

    cny("0.021300")  -> "¥0.0213"      cny("1234.5") -> "¥1,234.50"
    tokens(1234567)  -> "1,234,567"    percent("0.9876") -> "98.8%"

Money arrives from the API as decimal strings in CNY; it is never turned into a float except
for a chart's bar height.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

SMALLEST = Decimal("0.0001")
COLOURS = ["#1976d2", "#26a69a", "#f2c037", "#ef6c00", "#9c27b0", "#5c6bc0", "#8d6e63"]
# ECharts tooltip/axis formatters run in the browser: ¥ with 2 decimals, 4 below one yuan.
JS_CNY = "v => '¥' + (Math.abs(v) < 1 && v !== 0 ? v.toFixed(4) : v.toFixed(2))"
JS_AXIS = "v => '¥' + v"  # axis ticks are round numbers already: keep them short


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def cny(value: Any) -> str:
    """¥ with thousands separators: 2 decimals from one yuan up, up to 4 below it."""
    amount = _decimal(value)
    if amount is None:
        return "—"
    if amount == 0:
        return "¥0.00"
    if abs(amount) >= 1:
        return f"¥{amount:,.2f}"
    if abs(amount) < SMALLEST:
        return "<¥0.0001"
    text = f"{amount:.4f}".rstrip("0")
    whole, _, frac = text.partition(".")
    return f"¥{whole}.{frac.ljust(2, '0')}"


def tokens(value: Any) -> str:
    """An integer with thousands separators."""
    try:
        return f"{int(value or 0):,}"
    except (TypeError, ValueError):
        return "—"


def percent(value: Any, places: int = 1) -> str:
    """A ratio string ("0.9876") as a percentage ("98.8%"); None as a dash."""
    ratio = _decimal(value)
    return "—" if ratio is None else f"{ratio * 100:.{places}f}%"


def number(value: Any) -> float:
    amount = _decimal(value)
    return float(amount) if amount is not None else 0.0


# -- charts -------------------------------------------------------------------------------------
def _base() -> dict[str, Any]:
    return {
        "color": COLOURS,
        "animationDuration": 300,
        "grid": {"left": 8, "right": 24, "top": 24, "bottom": 8, "containLabel": True},
        "tooltip": {"trigger": "axis", ":valueFormatter": JS_CNY},
    }


def empty_options(message: str) -> dict[str, Any]:
    """A chart with nothing to show: the message where the chart would be."""
    return {
        "title": {
            "text": message,
            "left": "center",
            "top": "middle",
            "textStyle": {"color": "#9e9e9e", "fontSize": 13, "fontWeight": "normal"},
        },
        "series": [],
    }


def days(start: str, end: str, until: date | None = None) -> list[str]:
    """Every day from `start` up to `end` (exclusive, ISO dates), stopping after `until`."""
    first, stop = date.fromisoformat(start), date.fromisoformat(end)
    if until is not None:
        stop = min(stop, until + timedelta(days=1))
    return [(first + timedelta(days=n)).isoformat() for n in range((stop - first).days)]


def by_day_options(report: dict[str, Any], label: str, until: date | None = None) -> dict:
    """Cost per day as bars, every day of the period present (zero when nothing was spent)."""
    spent = {r["key"]: number(r["cost_cny"]) for r in report.get("rows", [])}
    axis = days(report["start"], report["end"], until) or sorted(spent)
    return {
        **_base(),
        "xAxis": {"type": "category", "data": [d[5:] for d in axis]},
        "yAxis": {"type": "value", "axisLabel": {":formatter": JS_AXIS}},
        "series": [{"type": "bar", "name": label, "data": [spent.get(d, 0.0) for d in axis]}],
    }


def ranked_options(report: dict[str, Any], label: str, limit: int = 8) -> dict:
    """The most expensive rows as horizontal bars, the largest on top."""
    rows = report.get("rows", [])[:limit][::-1]
    return {
        **_base(),
        "grid": {"left": 8, "right": 32, "top": 8, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "value", "splitNumber": 3, "axisLabel": {":formatter": JS_AXIS}},
        "yAxis": {
            "type": "category",
            "data": [r["label"] for r in rows],
            "axisLabel": {"width": 120, "overflow": "truncate"},
        },
        "series": [{"type": "bar", "name": label, "data": [number(r["cost_cny"]) for r in rows]}],
    }


def share_options(report: dict[str, Any], label: str, limit: int = 8) -> dict:
    """Each row's share of the spend as a ring; the tail beyond `limit` as one slice."""
    rows = report.get("rows", [])
    data = [{"name": r["label"], "value": number(r["cost_cny"])} for r in rows[:limit]]
    rest = sum(number(r["cost_cny"]) for r in rows[limit:])
    if rest:
        data.append({"name": "…", "value": rest})
    return {
        "color": COLOURS,
        "animationDuration": 300,
        "tooltip": {"trigger": "item", ":valueFormatter": JS_CNY},
        "legend": {"bottom": 0, "type": "scroll"},
        "series": [
            {
                "type": "pie",
                "name": label,
                "radius": ["40%", "68%"],
                "center": ["50%", "45%"],
                "label": {"formatter": "{b}\n{d}%"},
                "data": data,
            }
        ],
    }
