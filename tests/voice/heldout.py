"""Sentences written after the rules were frozen (day: Tuesday 2026-03-10), hand-labelled.
`python -m tests.voice.heldout` prints field accuracy of the offline rules on them."""

from __future__ import annotations

HELDOUT: list[tuple[str, str, dict]] = [
    (
        "customer_visit",
        "下午去了中铁建工，见了项目部的赵经理，主要谈了电缆桥架的交期，他们希望下个月5号前到货",
        {
            "customer": "中铁建工",
            "contact": "赵经理",
            "key_points": ["电缆桥架的交期", "他们希望下个月5号前到货"],
            "follow_up_date": None,
        },
    ),
    (
        "customer_visit",
        "记一下客户拜访：客户是南方电网广州局，陈主任，重点是明年框架招标、技术交流会，"
        "后天把资料发过去",
        {
            "customer": "南方电网广州局",
            "contact": "陈主任",
            "key_points": ["明年框架招标", "技术交流会"],
            "next_steps": ["后天把资料发过去"],
            "follow_up_date": "2026-03-12",
        },
    ),
    (
        "task",
        "提醒我后天上午十点给远景能源打电话确认合同",
        {"title": "给远景能源打电话确认合同", "due": "2026-03-12 10:00"},
    ),
    (
        "task",
        "别忘了3月20日之前交季度报告，这个很重要",
        {"title": "交季度报告", "due": "2026-03-20", "priority": "高"},
    ),
    (
        "expense",
        "昨天请王总他们吃饭花了一千三百八十块，在外婆家",
        {"amount": 1380, "category": "招待", "date": "2026-03-09", "merchant": "外婆家"},
    ),
    (
        "expense",
        "上周五的高铁票要报销，一共五百五十三块五",
        {"amount": 553.5, "category": "交通", "date": "2026-03-06"},
    ),
    ("expense", "发票：买打印纸和硒鼓花了¥426", {"amount": 426, "category": "办公"}),
    (
        "follow_up",
        "下周二上门回访一下国网江苏的孙处长，问问项目验收的进度",
        {
            "customer": "国网江苏",
            "contact": "孙处长",
            "topic": "项目验收的进度",
            "when": "2026-03-17",
            "channel": "上门",
        },
    ),
    (
        "follow_up",
        "明天跟进一下顺丰那边的报价",
        {"customer": "顺丰", "topic": "报价", "when": "2026-03-11"},
    ),
    (
        "customer_visit",
        "刚见完客户，海天集团的周总，聊了智慧园区的方案和预算，下周四再约一次",
        {
            "customer": "海天集团",
            "contact": "周总",
            "key_points": ["智慧园区的方案", "预算"],
            "follow_up_date": "2026-03-19",
        },
    ),
]


def score() -> tuple[int, int, int, int, list[str]]:
    """(schemas right, sentences, fields right, fields, misses)."""
    from tokenbase.voice.extract import detect
    from tokenbase.voice.rules import extract_rules
    from tokenbase.voice.schemas import builtin_schemas

    from .sentences import TODAY

    registry = builtin_schemas()
    right_schema = right = total = 0
    misses = []
    for schema, text, expected in HELDOUT:
        found = detect(text, registry).schema
        right_schema += found == schema
        if found != schema:
            misses.append(f"{text}: detected {found}")
        data = extract_rules(schema, text, TODAY) or {}
        for key, value in expected.items():
            total += 1
            if data.get(key) == value:
                right += 1
            else:
                misses.append(f"{text}: {key} = {data.get(key)!r}, expected {value!r}")
    return right_schema, len(HELDOUT), right, total, misses


if __name__ == "__main__":
    s, n, r, t, misses = score()
    print(f"schema {s}/{n}, fields {r}/{t}")
    print("\n".join(misses))
