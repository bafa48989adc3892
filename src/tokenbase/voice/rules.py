"""Offline extraction: rules and templates for the built-in schemas, no model involved.

Used when no chat model is configured or every model failed; records made here say
`extracted_by: "rules"` and the user is asked to check them. The rules read spoken-style
Chinese: company names after 客户/拜访/见了, contacts as surname + title (王总, 李经理, 小李),
key points after 重点是/主要是 split on ，；、和, amounts with 元/块/¥ (Chinese numerals too),
dates and times through `dates.find_dates` against the day passed in.

    extract_rules("expense", "昨天打车花了三百五", date(2026, 11, 24))
    -> {"amount": 350.0, "category": "交通", "date": "2026-11-23", "merchant": None, ...}
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from .dates import NUM, When, cn_number, find_dates, find_time

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤殷葛伍"
)
TITLES = "总经理|董事长|经理|总监|主任|主管|处长|科长|部长|局长|书记|老师|先生|女士|老板|总|工|董"
CONTACT = (
    rf"(?:(?:欧阳|司马|诸葛|上官)|[{SURNAMES}])(?:(?![的和与是了在])[\u4e00-\u9fa5]){{0,2}}?"
    rf"(?:{TITLES})"
    rf"|[小老][{SURNAMES}]"
)
ORG = r"[\u4e00-\u9fa5A-Za-z0-9（）()]{2,20}?"
CLAUSE_SPLIT = re.compile(r"[，,；;。！!？?\n]+")
LEAD = re.compile(
    r"^(?:请|麻烦)?(?:你)?(?:帮我|给我)?(?:记录|记(?![得住]))(?:一下)?(?:刚才|今天|这次)?的?"
    r"(?:客户拜访|拜访记录|拜访|报销|待办|跟进)?[，,:：。\s]*"
)
VISIT_VERBS = r"(?:拜访了?|见了|见完|去了|约见了?|走访了?|会见了?)"
FOLLOW_VERBS = r"(?:回访|跟进|联系|问问|约)(?:一下)?"


def clean(text: str) -> str:
    """The utterance without its spoken lead ("帮我记录一下刚才的客户拜访，")."""
    text = text.strip()
    return LEAD.sub("", text, count=1).strip() or text


def clauses(text: str) -> list[str]:
    return [c.strip() for c in CLAUSE_SPLIT.split(text) if c.strip()]


def find_contact(text: str) -> str | None:
    m = re.search(CONTACT, text)
    return m.group(0) if m else None


DEPARTMENT = re.compile(r"(?:部|处|科|办|室|组|中心|那边|这边)$")


def _org(name: str) -> str | None:
    """A customer name, or None for a contact or a department ("项目部") caught instead."""
    name = re.sub(r"(?:公司)?(?:那边|这边)$", "", name)
    if len(name) < 2 or re.fullmatch(CONTACT, name) or DEPARTMENT.search(name):
        return None
    return name


def find_customer(text: str, verbs: str) -> tuple[str | None, str | None, str]:
    """(customer, contact, what follows "<customer>的") from the usual spoken patterns."""
    with_contact = [
        rf"客户(?:是|叫|为|[：:，,])\s*(?P<org>{ORG})(?:的|那边的)?(?P<c>{CONTACT})?"
        r"(?=[，,。；;的\s]|$)",
        rf"{verbs}(?:客户)?(?P<org>{ORG})(?:的|那边的)?(?P<c>{CONTACT})",
    ]
    for pattern in with_contact:
        for m in re.finditer(pattern, text):
            if (org := _org(m.group("org"))) is not None:
                return org, m.group("c"), ""
    for m in re.finditer(rf"{verbs}(?:客户)?(?P<org>{ORG})的(?P<rest>[^，,。；;]+)", text):
        if (org := _org(m.group("org"))) is not None:
            return org, None, m.group("rest")
    for m in re.finditer(rf"{verbs}(?:客户)?(?P<org>{ORG})(?=[，,。；;]|$)", text):
        if (org := _org(m.group("org"))) is not None:
            return org, None, ""
    return None, None, ""


def _future(when: When, today: date) -> bool:
    return when.day > today


NEXT_WORDS = ("跟进", "下次", "回头", "安排", "尽快", "之后", "然后", "再约", "再联系", "再")


def _is_next_step(clause: str, today: date) -> bool:
    if re.search(VISIT_VERBS, clause):
        return False
    if any(_future(w, today) for w in find_dates(clause, today)):
        return True
    return any(word in clause for word in NEXT_WORDS)


def _split_points(body: str) -> list[str]:
    parts = re.split(r"[、]|以及|还有|和|及", body)
    return [p.strip(" ，,") for p in parts if p.strip(" ，,")]


def customer_visit(text: str, today: date) -> dict[str, Any]:
    body = clean(text)
    customer, contact, _ = find_customer(body, VISIT_VERBS)
    contact = contact or find_contact(body.replace(customer or "\0", ""))
    key_points: list[str] = []
    m = re.search(
        r"(?:重点是|重点|主要是|主要|沟通了|聊了|谈了)(?:谈了|聊了|讨论了|沟通了|是)?[：:]?"
        r"(?P<body>[^。！？]*)",
        body,
    )
    after_points = ""
    if m is not None:
        parts = re.split(r"[，,；;]+", m.group("body"))
        for i, part in enumerate(parts):
            if not part.strip():
                continue
            if _is_next_step(part, today):
                after_points = "，".join(parts[i:])
                break
            key_points.extend(_split_points(part))
    steps = [
        c for c in clauses(body) if _is_next_step(c, today) and not any(p in c for p in key_points)
    ]
    if after_points and not steps:
        steps = clauses(after_points)
    follow = next((w for c in steps for w in find_dates(c, today) if _future(w, today)), None)
    step_text = "".join(steps)
    visit = next(
        (w for w in find_dates(body, today) if step_text.find(body[w.start : w.end]) < 0), None
    )
    return {
        "customer": customer,
        "contact": contact,
        "date": (visit.day if visit else today).isoformat(),
        "summary": body[:300],
        "key_points": key_points,
        "next_steps": steps,
        "follow_up_date": follow.iso() if follow else None,
    }


TASK_LEAD = re.compile(
    r"^(?:请|麻烦)?(?:帮我)?(?:提醒我|提醒一下|记得|别忘了|记一下|加个待办|待办事项|待办)[，,:：\s]*"
)
URGENT = ("紧急", "很急", "加急", "尽快", "马上", "立刻", "重要", "优先")
RELAXED = ("不急", "不着急", "有空", "有时间的时候")


def task(text: str, today: date) -> dict[str, Any]:
    body = TASK_LEAD.sub("", clean(text), count=1)
    whens = find_dates(body, today)
    due: str | None = None
    title = body
    if whens:
        due = whens[0].iso(with_time=True)
        title = body[: whens[0].start] + body[whens[0].end :]
    elif (clock := find_time(body)) is not None:
        due = f"{today.isoformat()} {clock}"
        title = re.sub(r"(?:上午|早上|中午|下午|晚上)[^点]{1,3}点(?:半|[^，。]{1,3}分)?", "", body)
    owner = None
    m = re.search(rf"(?:让|叫|请|交给|由)(?P<o>{CONTACT})", title)
    if m is not None:
        owner = m.group("o")
        title = title.replace(m.group(0), "", 1)
    priority = (
        "高"
        if any(w in body for w in URGENT)
        else "低"
        if any(w in body for w in RELAXED)
        else "中"
    )
    title_clauses = [
        c
        for c in clauses(title)
        if not any(w in c for w in URGENT + RELAXED) or len(clauses(title)) == 1
    ]
    title = "，".join(title_clauses)
    title = re.sub(r"^(?:之前|以前|前|之内|内)", "", title).strip(" ，,：:")
    return {"title": title or body, "due": due, "owner": owner, "priority": priority}


CATEGORIES = [
    ("招待", ("请客户", "招待", "宴请", "客户吃饭", "他们吃饭", "总吃饭", "经理吃饭")),
    (
        "交通",
        (
            "打车",
            "出租",
            "滴滴",
            "高铁",
            "火车",
            "机票",
            "飞机",
            "地铁",
            "油费",
            "加油",
            "停车",
            "过路费",
        ),
    ),
    ("住宿", ("酒店", "住宿", "宾馆", "住了")),
    ("餐饮", ("吃饭", "午饭", "晚饭", "早饭", "午餐", "晚餐", "餐", "外卖", "咖啡")),
    ("办公", ("打印", "文具", "办公用品", "快递", "硒鼓", "纸")),
    ("通讯", ("话费", "流量", "电话费")),
]
_JIAO = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def find_amount(text: str) -> float | None:
    """An amount in yuan: ¥1,280.5 / 680元 / 三百五十块 / 三十八块五 / 花了三百五."""
    m = re.search(r"[¥￥]\s*(\d[\d,]*(?:\.\d+)?)", text)
    if m is not None:
        return float(m.group(1).replace(",", ""))
    m = re.search(
        rf"(?P<n>{NUM})\s*(?:元|块钱|块|RMB|rmb)(?P<jiao>[一二两三四五六七八九](?![\u4e00-\u9fa5]{{0,1}}[元块]))?",
        text,
    )
    if m is None:
        m = re.search(
            rf"(?:花了|花费了?|一共|共计|合计|总共|报销)(?P<n>{NUM})(?![下些])(?P<jiao>)", text
        )
    if m is None:
        return None
    amount = cn_number(m.group("n"))
    if amount is None:
        return None
    if m.group("jiao"):
        amount += _JIAO[m.group("jiao")] / 10
    return round(amount, 2)


def expense(text: str, today: date) -> dict[str, Any]:
    body = clean(text)
    whens = find_dates(body, today)
    category = next((c for c, words in CATEGORIES if any(w in body for w in words)), "其他")
    merchant = None
    m = re.search(
        r"在(?P<m>[\u4e00-\u9fa5A-Za-z0-9]{2,12}?)(?=吃|买|住|打印|花|消费|[，,。；;]|$)", body
    )
    if m is None:
        m = re.search(
            r"(?P<m>[\u4e00-\u9fa5A-Za-z0-9]{2,12}?(?:酒店|宾馆|饭店|餐厅|酒楼|超市|商店|航空|书店))",
            body,
        )
    if m is not None:
        merchant = re.sub(r"^.*?(?:出差住|住在|住|入住|在|去|到)", "", m.group("m")) or m.group("m")
    return {
        "amount": find_amount(body),
        "category": category,
        "date": (whens[0].day if whens else today).isoformat(),
        "merchant": merchant,
        "note": body[:300],
    }


CHANNELS = [
    ("电话", ("电话", "致电", "打个电话")),
    ("微信", ("微信",)),
    ("邮件", ("邮件", "邮箱")),
    ("上门", ("上门", "当面", "去一趟", "拜访")),
    ("会议", ("开会", "会议", "视频")),
]


def follow_up(text: str, today: date) -> dict[str, Any]:
    body = clean(text)
    customer, contact, rest = find_customer(body, FOLLOW_VERBS)
    contact = contact or find_contact(body.replace(customer or "\0", ""))
    topic = ""
    if rest and not re.fullmatch(CONTACT, rest):
        topic = rest
    else:
        m = re.search(
            r"(?:聊聊|谈谈|聊一下|谈一下|关于|确认一下|确认|沟通一下|讨论一下|问问|问一下|催一下|催)"
            r"(?P<t>[^，,。；;]+)",
            body,
        )
        if m is not None:
            topic = m.group("t")
    topic = re.sub(r"(?:的事情|的事儿|的事|的情况|一下)$", "", topic).strip()
    whens = find_dates(body, today)
    channel = next((c for c, words in CHANNELS if any(w in body for w in words)), None)
    return {
        "customer": customer,
        "contact": contact,
        "topic": topic or body[:200],
        "when": whens[0].iso(with_time=True) if whens else None,
        "channel": channel,
    }


EXTRACTORS: dict[str, Callable[[str, date], dict[str, Any]]] = {
    "customer_visit": customer_visit,
    "task": task,
    "expense": expense,
    "follow_up": follow_up,
}


def extract_rules(schema: str, text: str, today: date) -> dict[str, Any] | None:
    """The record for a built-in `schema`, or None when there is no rule extractor for it."""
    extractor = EXTRACTORS.get(schema)
    return extractor(text, today) if extractor else None
