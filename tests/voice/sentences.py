"""Spoken-style sentences with hand-checked records, for a fixed day: Tuesday 2026-03-10
(Asia/Shanghai). Used by the offline-rule tests and the API tests."""

from __future__ import annotations

from datetime import UTC, date, datetime

TODAY = date(2026, 3, 10)  # a Tuesday
# 20:00 UTC on the 9th is 04:00 on the 10th in Shanghai: the day must come from Asia/Shanghai.
CLOCK = datetime(2026, 3, 9, 20, 0, tzinfo=UTC)

VISIT = "今天下午见了华东电力的王总，重点是明年的配电柜采购和售后响应时间，下周三再跟进"

CASES: list[tuple[str, str, dict]] = [
    (
        "customer_visit",
        VISIT,
        {
            "customer": "华东电力",
            "contact": "王总",
            "date": "2026-03-10",
            "key_points": ["明年的配电柜采购", "售后响应时间"],
            "next_steps": ["下周三再跟进"],
            "follow_up_date": "2026-03-18",
        },
    ),
    (
        "customer_visit",
        "帮我记录刚才的客户拜访，客户是远景能源，见了采购部李经理，主要是谈了二期项目的报价；"
        "对方希望月底前给方案，下周一发报价单",
        {
            "customer": "远景能源",
            "contact": "李经理",
            "date": "2026-03-10",
            "key_points": ["二期项目的报价", "对方希望月底前给方案"],
            "next_steps": ["下周一发报价单"],
            "follow_up_date": "2026-03-16",
        },
    ),
    (
        "customer_visit",
        "拜访了星河科技张总，主要是聊了明年的框架协议",
        {
            "customer": "星河科技",
            "contact": "张总",
            "key_points": ["明年的框架协议"],
            "next_steps": [],
            "follow_up_date": None,
        },
    ),
    (
        "task",
        "提醒我明天下午三点给华东电力发报价单",
        {"title": "给华东电力发报价单", "due": "2026-03-11 15:00", "owner": None, "priority": "中"},
    ),
    (
        "task",
        "待办：周五前把投标文件整理好，比较紧急",
        {"title": "把投标文件整理好", "due": "2026-03-13", "priority": "高"},
    ),
    (
        "task",
        "记得下周一让小李把合同寄给客户",
        {"title": "把合同寄给客户", "due": "2026-03-16", "owner": "小李"},
    ),
    (
        "expense",
        "报销一下昨天打车去机场花了三百五",
        {"amount": 350, "category": "交通", "date": "2026-03-09", "merchant": None},
    ),
    (
        "expense",
        "今天中午请客户吃饭花了680元，在海底捞，发票已经拿了",
        {"amount": 680, "category": "招待", "date": "2026-03-10", "merchant": "海底捞"},
    ),
    (
        "expense",
        "出差住全季酒店两晚一共一千二百块，要报销",
        {"amount": 1200, "category": "住宿", "merchant": "全季酒店"},
    ),
    (
        "follow_up",
        "下周一电话回访一下恒通物流的刘经理，聊聊续约的事",
        {
            "customer": "恒通物流",
            "contact": "刘经理",
            "topic": "续约",
            "when": "2026-03-16",
            "channel": "电话",
        },
    ),
    (
        "follow_up",
        "回访一下华东电力的配电柜报价，明天微信问问王总",
        {"customer": "华东电力", "contact": "王总", "topic": "配电柜报价", "channel": "微信"},
    ),
]
