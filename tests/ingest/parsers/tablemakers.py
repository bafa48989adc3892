"""Generate real test files: XLSX, XLS, CSV, HTML, Markdown and TXT in several encodings.

Every maker returns the file's bytes; pass `dest` to also write them to a path. Contents are
module constants so tests can assert on them.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

# ---------------------------------------------------------------------------- spreadsheets

STAFF_SHEET = "员工信息"
STAFF_TITLE = "2024年员工信息表"
STAFF_HEADER = ["工号", "姓名", "部门", "入职日期", "月薪"]
# (excel row, values); row 1 is the merged title, row 2 the header, row 5 left empty.
STAFF_ROWS: list[tuple[int, list[object]]] = [
    (3, [1001, "张三", "财务部", dt.date(2020, 3, 1), 12000]),
    (4, [1002, "李四", "人力资源部", dt.date(2021, 7, 15), 9800.5]),
    (6, [1003, "王五", "研发中心", dt.datetime(2023, 1, 9, 0, 0), 15000.0]),
]
RATES_SHEET = "报销标准"
RATES_HEADER = ["城市等级", "住宿标准（元/晚）", "餐补（元/天）", "报销比例"]
RATES_ROWS: list[list[object]] = [
    ["一线城市", 600, 100, 1.0],
    ["二线城市", 450, 80, 0.9],
    ["其他城市", 350, 60, 0.8],
]
HIDDEN_SHEET = "内部备注"


def _write(data: bytes, dest: Path | None) -> bytes:
    if dest is not None:
        Path(dest).write_bytes(data)
    return data


def make_xlsx(dest: Path | None = None, hidden_sheet: bool = False) -> bytes:
    """Two sheets: a merged title row above a header, dates and numbers; a header at row 1."""
    from openpyxl import Workbook

    wb = Workbook()
    staff = wb.active
    staff.title = STAFF_SHEET
    staff["A1"] = STAFF_TITLE
    staff.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(STAFF_HEADER))
    for col, label in enumerate(STAFF_HEADER, start=1):
        staff.cell(row=2, column=col, value=label)
    for row, values in STAFF_ROWS:
        for col, value in enumerate(values, start=1):
            cell = staff.cell(row=row, column=col, value=value)
            if isinstance(value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    rates = wb.create_sheet(RATES_SHEET)
    rates.append(RATES_HEADER)
    for values in RATES_ROWS:
        rates.append(values)
        rates.cell(row=rates.max_row, column=4).number_format = "0%"
    if hidden_sheet:
        hidden = wb.create_sheet(HIDDEN_SHEET)
        hidden.append(["事项", "说明"])
        hidden.append(["审批", "超标住宿须总经理审批"])
        hidden.sheet_state = "hidden"
    buffer = io.BytesIO()
    wb.save(buffer)
    return _write(buffer.getvalue(), dest)


def make_xls(dest: Path | None = None) -> bytes:
    """The same two sheets as make_xlsx, written as a BIFF8 .xls by xlwt."""
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    staff = wb.add_sheet(STAFF_SHEET)
    staff.write_merge(0, 0, 0, len(STAFF_HEADER) - 1, STAFF_TITLE)
    for col, label in enumerate(STAFF_HEADER):
        staff.write(1, col, label)
    for row, values in STAFF_ROWS:
        for col, value in enumerate(values):
            if isinstance(value, dt.date):
                staff.write(row - 1, col, value, date_style)
            else:
                staff.write(row - 1, col, value)
    rates = wb.add_sheet(RATES_SHEET)
    for col, label in enumerate(RATES_HEADER):
        rates.write(0, col, label)
    percent = xlwt.easyxf(num_format_str="0%")
    for r, values in enumerate(RATES_ROWS, start=1):
        for col, value in enumerate(values):
            if col == 3:
                rates.write(r, col, value, percent)
            else:
                rates.write(r, col, value)
    buffer = io.BytesIO()
    wb.save(buffer)
    return _write(buffer.getvalue(), dest)


def make_encrypted_xls(dest: Path | None = None) -> bytes:
    """An .xls whose globals carry a FILEPASS record, as Excel writes for a password.

    xlwt cannot encrypt, so the CODEPAGE record (type 0x0042, 2 bytes: UTF-16 = 1200) is
    retyped as FILEPASS (0x002F); readers must stop there and report encryption.
    """
    data = make_xls()
    codepage = b"\x42\x00\x02\x00\xb0\x04"
    assert data.count(codepage) == 1
    return _write(data.replace(codepage, b"\x2f\x00\x02\x00\xb0\x04"), dest)


def make_encrypted_xlsx(dest: Path | None = None) -> bytes:
    """What Excel writes for a password-protected .xlsx: an OLE container, not a zip.

    The container holds 'EncryptionInfo' and 'EncryptedPackage' streams; the directory names
    are UTF-16-LE. This is a minimal stand-in with the OLE signature and those names.
    """
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    directory = "Root Entry".encode("utf-16-le").ljust(128, b"\x00")
    directory += "EncryptionInfo".encode("utf-16-le").ljust(128, b"\x00")
    directory += "EncryptedPackage".encode("utf-16-le").ljust(128, b"\x00")
    return _write(header + directory.ljust(512, b"\x00") + bytes(range(256)) * 4, dest)


# ---------------------------------------------------------------------------- CSV

CSV_HEADER = ["城市", "交通方式", "标准（元）", "备注"]
CSV_ROWS = [
    ["北京", "高铁二等座", "553", "含退改签费用"],
    ["上海", "飞机经济舱", "1240", "需提前七天预订"],
    ["广州", "高铁一等座", "862.5", "限总监及以上"],
]


def make_csv(dest: Path | None = None, encoding: str = "utf-8-sig", delimiter: str = ",") -> bytes:
    """A header row and three data rows; one field quoted with an embedded delimiter."""
    rows = [CSV_HEADER, *CSV_ROWS, ["深圳", "出租车", "200", f"市内交通{delimiter}凭票报销"]]
    lines = []
    for row in rows:
        cells = [f'"{c}"' if delimiter in c else c for c in row]
        lines.append(delimiter.join(cells))
    return _write(("\r\n".join(lines) + "\r\n").encode(encoding), dest)


# ---------------------------------------------------------------------------- HTML

HTML_TITLE = "差旅报销制度"
HTML_BOILERPLATE = ["新闻中心", "热门文章推荐", "京ICP备12345678号", "站内搜索", "trackingCode"]
HTML_PARAGRAPHS = [
    "本制度适用于公司全体员工因公出差所发生的交通、住宿及伙食费用的报销，员工应当遵守本制度。",
    "出差前须在系统中提交出差申请，经部门负责人审批后方可出行，未经审批的出差费用不予报销。",
    "本制度适用于正式员工、试用期员工以及实习生，外包人员参照执行，具体以劳动合同约定为准。",
    "住宿费按城市等级分档报销，超出标准部分由员工自行承担，特殊情况须事先报总经理批准。",
    "报销单据须在出差结束后三十日内提交财务部，逾期提交的单据原则上不再受理报销申请。",
]
HTML_LIST_ITEMS = [
    "国内出差：按本制度执行，由财务部负责审核。",
    "国外出差：另行规定，参照国际差旅管理办法。",
]


def make_html(dest: Path | None = None, charset: str = "utf-8") -> bytes:
    """An intranet page: header/nav/sidebar/footer/script around an article with h1–h3."""
    p = HTML_PARAGRAPHS
    items = "".join(f"<li>{item}</li>" for item in HTML_LIST_ITEMS)
    page = f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="{charset}">
<title>{HTML_TITLE} - 公司内网</title>
<style>.nav {{ color: red; }}</style>
<script>var trackingCode = "UA-1234";</script>
</head>
<body>
<header class="site-header"><div class="logo">某某公司内网</div>
<nav class="nav"><ul><li><a href="/">首页</a></li><li><a href="/news">新闻中心</a></li>
<li><a href="/hr">人力资源</a></li><li><a href="/it">信息技术</a></li></ul></nav></header>
<div class="container">
<aside class="sidebar"><h3>相关链接</h3><ul><li><a href="/a">热门文章推荐</a></li>
<li><a href="/b">联系我们</a></li><li><a href="/c">常见问题解答</a></li></ul></aside>
<main><article>
<h1>{HTML_TITLE}</h1>
<p>{p[0]}</p>
<h2>第一章 总则</h2>
<p>{p[1]}</p>
<h3>适用范围</h3>
<p>{p[2]}</p>
<ul>{items}</ul>
<h2>第二章 报销标准</h2>
<p>{p[3]}</p>
<table><thead><tr><th>城市等级</th><th>住宿标准（元/晚）</th></tr></thead>
<tbody><tr><td>一线城市</td><td>600</td></tr><tr><td>二线城市</td><td>450</td></tr></tbody></table>
<p>{p[4]}</p>
</article></main>
</div>
<footer><p>版权所有 © 2024 某某公司 京ICP备12345678号</p>
<form action="/search"><label>站内搜索</label><input name="q"><button>搜索</button></form>
</footer>
<script>document.write("trackingCode");</script>
</body></html>
"""
    return _write(page.encode(charset, errors="xmlcharrefreplace"), dest)


# ---------------------------------------------------------------------------- Markdown

MARKDOWN = """---
title: 不应出现的前言
tags: [报销, 制度]
---

# 报销指南

本指南说明费用报销的流程与注意事项。

## 报销流程

1. 在系统中填写报销单，并上传发票照片。
   - 发票抬头须为公司全称。
2. 部门负责人审批。

### 审批时限

审批人应在三个工作日内
完成审批。

## 标准

| 项目 | 标准（元） |
| --- | --- |
| 住宿 | 600 |
| 餐补 | 100 |

```python
def total(items):
    return sum(items)
```
"""


def make_markdown(dest: Path | None = None) -> bytes:
    return _write(MARKDOWN.encode("utf-8"), dest)


# ---------------------------------------------------------------------------- TXT

TXT = """差旅费报销管理办法

第一章 总则

为规范公司差旅费用报销管理，根据国家有关规定，结合公司实际情况，制定本办法。
本办法适用于公司全体员工。

第二章 报销标准
一、适用范围
正式员工与试用期员工均适用本标准。

1.2 报销流程
员工应在出差结束后三十日内提交报销单据，逾期不予受理。
"""


def make_txt(dest: Path | None = None, encoding: str = "utf-8", bom: bool = False) -> bytes:
    """TXT in any codec; `bom` prepends the byte-order mark (UTF-8/16/32 only)."""
    codec = encoding.lower().replace("_", "-")
    data = TXT.replace("\n", "\r\n").encode(codec)
    if bom:
        data = {
            "utf-8": b"\xef\xbb\xbf",
            "utf-16-le": b"\xff\xfe",
            "utf-16-be": b"\xfe\xff",
            "utf-32-le": b"\xff\xfe\x00\x00",
            "utf-32-be": b"\x00\x00\xfe\xff",
        }[codec] + data
    return _write(data, dest)
