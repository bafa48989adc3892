"""Regenerate the sample document set shipped in ``src/tokenbase/samples/``.

The samples are ingested by ``tokenbase quickstart``. All content is fictional and was
written for TokenBase: it describes one made-up company, 云帆智能科技有限公司 (Yunfan
Intelligent Technology Co., Ltd., Hangzhou), and its knowledge-base product line. Facts are
kept consistent across documents and each sample question has its answer in one place.

This is a dev-time script: the package ships the generated files and never regenerates them
at runtime. Output is deterministic (fixed dates and metadata, fixed zip timestamps, a seeded
noise pattern), so rerunning it on the same library versions yields identical bytes.

Usage::

    python scripts/make_samples.py [--out DIR] [--font PATH]

Requires python-docx, openpyxl, python-pptx, fpdf2 and pillow, plus a CJK TrueType font
(default: WenQuanYi Micro Hei, ``fonts-wqy-microhei`` on Debian/Ubuntu).
"""

from __future__ import annotations

import argparse
import html
import io
import json
import random
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from openpyxl.worksheet.worksheet import Worksheet
    from PIL.Image import Image as PILImage

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "src" / "tokenbase" / "samples"
DEFAULT_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")

COMPANY = "云帆智能科技有限公司"
# Fixed timestamps: every generated file carries these instead of "now".
DOC_CREATED = datetime(2026, 1, 5, 9, 30, 0, tzinfo=UTC)
ZIP_TIME = (2026, 1, 5, 9, 30, 0)
ZIP_W3CDTF = "2026-01-05T09:30:00Z"
CLOSING_PUNCTUATION = "，。、；：？！）》”’〕"
OPENING_PUNCTUATION = "（《“‘〔"

HANDBOOK_NAME = "员工手册.docx"
EXPENSE_NAME = "费用报销制度.pdf"
FAQ_MD_NAME = "产品FAQ.md"
FAQ_HTML_NAME = "产品FAQ.html"
PRICE_NAME = "价格表.xlsx"
DECK_NAME = "销售演示.pptx"
NOTICE_NAME = "春节放假通知（扫描件）.pdf"


# ---------------------------------------------------------------------------
# A tiny block markup shared by the DOCX, PDF, Markdown and HTML writers.
#
#   # / ## / ###   headings            - item     bullet (continuation lines: 2 spaces)
#   1. item        numbered item       | a | b |  table row (first row is the header)
#   > text         quote / meta line   anything else: paragraph
#
# Blocks are separated by blank lines. Paragraph lines are hard-wrapped in this file to
# respect the line-length limit and are joined back without a separator (Chinese text has no
# spaces between words); a space is kept only between two ASCII letters or digits.
# ---------------------------------------------------------------------------


@dataclass
class Block:
    kind: str  # h1 h2 h3 p bullets numbers table quote
    text: str = ""
    items: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


def _join(lines: list[str]) -> str:
    out = ""
    for line in lines:
        line = line.strip()
        if out and line and out[-1].isascii() and out[-1].isalnum():
            if line[0].isascii() and line[0].isalnum():
                out += " "
        out += line
    return out


def parse_markup(source: str) -> list[Block]:
    blocks: list[Block] = []
    for chunk in re.split(r"\n\s*\n", source.strip("\n")):
        lines = chunk.split("\n")
        first = lines[0]
        if first.startswith("### "):
            blocks.append(Block("h3", _join([first[4:], *lines[1:]])))
        elif first.startswith("## "):
            blocks.append(Block("h2", _join([first[3:], *lines[1:]])))
        elif first.startswith("# "):
            blocks.append(Block("h1", _join([first[2:], *lines[1:]])))
        elif first.startswith("| "):
            rows = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in lines]
            blocks.append(Block("table", rows=rows))
        elif first.startswith("> "):
            blocks.append(Block("quote", _join([line[2:] for line in lines])))
        elif first.startswith("- ") or re.match(r"\d+\. ", first):
            kind = "bullets" if first.startswith("- ") else "numbers"
            items: list[list[str]] = []
            for line in lines:
                if line.startswith("- "):
                    items.append([line[2:]])
                elif re.match(r"\d+\. ", line):
                    items.append([line.split(". ", 1)[1]])
                else:
                    items[-1].append(line)
            blocks.append(Block(kind, items=[_join(item) for item in items]))
        else:
            blocks.append(Block("p", _join(lines)))
    return blocks


def wrap_text(text: str, measure: Callable[[str], float], width: float) -> list[str]:
    """Greedy CJK line wrap.

    Never splits a number, code, phone number or e-mail address, keeps a number together
    with a counter prefix (共约第) and a following unit (年月日天号元), never starts a line
    with closing punctuation and never ends one with opening punctuation.
    """
    atoms = re.findall(
        r"[共约第]?[0-9A-Za-z](?:[0-9A-Za-z\-:.,@_/]*[0-9A-Za-z])?[年月日天号元]?|.", text
    )
    lines: list[str] = []
    current: list[str] = []
    for atom in atoms:
        if current and measure("".join(current) + atom) > width:
            carry: list[str] = []
            if atom in CLOSING_PUNCTUATION and len(current) > 1:
                carry.append(current.pop())
            while len(current) > 1 and current[-1] in OPENING_PUNCTUATION:
                carry.insert(0, current.pop())
            lines.append("".join(current).rstrip())
            current = carry if atom == " " else [*carry, atom]
        else:
            current.append(atom)
    if current:
        lines.append("".join(current))
    return lines


def _normalize_zip(path: Path) -> None:
    """Rewrite an OOXML zip with fixed entry timestamps and a fixed ``dcterms:modified``."""
    with zipfile.ZipFile(path) as src:
        entries = [(info.filename, src.read(info.filename)) for info in src.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in entries:
            if name == "docProps/core.xml":
                text = data.decode("utf-8")
                for tag in ("dcterms:created", "dcterms:modified"):
                    text = re.sub(
                        rf"(<{tag}[^>]*>)[^<]*(</{tag}>)", rf"\g<1>{ZIP_W3CDTF}\g<2>", text
                    )
                data = text.encode("utf-8")
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, data)
    path.write_bytes(buffer.getvalue())


# ---------------------------------------------------------------------------
# 1. Employee handbook (DOCX)
# ---------------------------------------------------------------------------

HANDBOOK = """
# 第一章 总则

## 1.1 编制目的

为明确公司与员工双方的权利和义务，帮助员工快速了解公司的各项管理制度，营造公平、透明、
高效的工作环境，依据《中华人民共和国劳动法》《中华人民共和国劳动合同法》等法律法规，
结合公司实际情况，制定本手册。

## 1.2 适用范围

本手册适用于与云帆智能科技有限公司（以下简称“公司”）签订劳动合同的全体员工，包括杭州总部
及北京、深圳分公司的员工。实习生、劳务派遣人员参照本手册执行，另有约定的从其约定。

## 1.3 公司简介

云帆智能科技有限公司成立于2018年3月，总部位于浙江省杭州市西湖区云帆路88号云帆大厦，
现有员工约320人。公司专注于企业知识管理与人工智能应用，主要产品为“云帆知识库”（YF-KB）
系列，为制造、金融、法律、教育等行业的客户提供智能检索与问答服务。

## 1.4 公司价值观

公司倡导以下价值观，并将其作为员工招聘、绩效评价和晋升的重要依据：

- 客户第一：以客户的成功作为衡量工作的首要标准。
- 坦诚协作：对事不对人，及时、直接地沟通问题。
- 持续学习：保持好奇心，主动学习新知识、新技能。
- 结果导向：对承诺负责，以可衡量的结果说话。

# 第二章 考勤与休假

## 2.1 工作时间

公司实行标准工时制，每周工作5天，工作时间为周一至周五9:00至18:00，其中12:00至13:00为
午休时间。公司实行弹性上班制度：员工可在8:30至9:30之间打卡上班，工作满8小时（不含午休）
后方可下班。

员工通过“云帆OA”手机端或办公室门禁打卡。晚于9:30打卡视为迟到，每月迟到累计3次以内不扣薪；
自第4次起，每次扣发考勤奖50元。因公外出无法打卡的，应在当天通过云帆OA提交外出登记。

工作日加班须事先在云帆OA中提交加班申请并经直属经理批准。工作日及休息日加班原则上安排
1:1调休，调休须在加班发生后6个月内使用；法定节假日加班按国家规定支付加班工资。

## 2.2 年假

员工累计工作已满1年不满10年的，年休假5天；已满10年不满20年的，年休假10天；
已满20年的，年休假15天。累计工作年限包括员工在本公司及其他单位的工作时间，以社保缴纳
记录或原单位离职证明为准。

年假以半天为最小申请单位。当年的年假原则上应在当年休完；确因工作需要未能休完的，
经部门总监批准可顺延至次年3月31日，逾期未休的视为自动放弃。新入职员工当年的年假按照
剩余日历天数折算，折算后不足1整天的部分不予享受。

## 2.3 病假

员工因病需要休息的，应在当天9:30前通知直属经理，并在云帆OA中提交病假申请。连续病假
2天及以上的，须在返岗后3个工作日内补交二级及以上医院出具的病假证明。

员工每年享有5天全薪病假。超过5天的部分，按本人基本工资的80%发放病假工资，但不低于
杭州市最低工资标准的80%。

## 2.4 其他假期

公司各类假期的天数和审批人如下表所示：

| 假期类型 | 天数 | 审批人 | 说明 |
| 年假 | 5至15天 | 直属经理 | 按累计工作年限确定，见2.2 |
| 病假 | 每年5天全薪 | 直属经理 | 连续2天及以上需医院证明 |
| 事假 | 每年累计不超过10天 | 部门总监 | 事假期间不发放工资 |
| 婚假 | 13天 | 部门总监 | 领取结婚证后1年内一次性休完 |
| 产假 | 158天 | 人力资源部 | 难产或多胞胎生育的增加15天 |
| 陪产假 | 15天 | 直属经理 | 配偶生育后30天内休完 |
| 育儿假 | 每年10天 | 直属经理 | 子女3周岁以内 |
| 丧假 | 3天 | 直属经理 | 直系亲属去世 |

## 2.5 请假流程

所有假期均须通过云帆OA提交申请。请假3天以内的，应至少提前1个工作日申请；请假3天以上的，
应至少提前5个工作日申请。审批人按上表执行，紧急情况可先电话告知直属经理，事后3个工作日内
补办手续。

未经批准擅自缺勤的，按旷工处理。连续旷工3天或一年内累计旷工5天的，公司可依法解除劳动合同。

# 第三章 薪酬福利

## 3.1 薪资构成与发放

员工薪资由基本工资、岗位工资、绩效奖金和各类补贴构成。公司于每月15日发放上月工资，
遇节假日提前至最近的工作日发放。员工可在云帆OA“我的薪资”页面查看电子工资条。

## 3.2 试用期

新员工试用期为3个月，试用期工资为转正后工资的90%。试用期满前两周，由直属经理组织转正评估，
评估通过的员工自试用期满次日起转正。

## 3.3 社会保险与住房公积金

公司依法为员工缴纳养老、医疗、失业、工伤、生育保险和住房公积金（即“五险一金”），
住房公积金的公司与个人缴存比例均为12%。此外，公司为全体正式员工购买补充商业医疗保险，
员工子女可按团体价自费加入。

## 3.4 员工福利

公司为员工提供以下福利：

- 午餐补贴：每个工作日25元，随当月工资发放。
- 年度体检：每年1次，标准为每人800元。
- 节日福利：春节、端午节、中秋节各发放价值500元的购物卡。
- 生日礼金：员工生日当月发放300元。
- 学习基金：每人每年3,000元，可用于购买书籍、在线课程或参加外部培训。
- 团队建设：每季度每人200元团建经费，由部门统一安排使用。

## 3.5 绩效考核与年终奖

公司每半年进行一次绩效考核，分别在6月和12月进行，考核结果分为S、A、B、C、D五个等级。
年终奖根据公司年度经营业绩和个人绩效等级确定，一般为1至3个月工资，于春节前发放。
绩效等级为D的员工不享受当年年终奖。

## 3.6 差旅与费用报销

员工因公出差、业务招待等产生的费用，按《云帆智能科技有限公司费用报销制度》执行，
本手册不再重复规定。

# 第四章 信息安全

## 4.1 账号与密码

每名员工使用本人唯一的工作账号登录公司系统，严禁将账号借给他人使用。密码长度不少于12位，
须同时包含大写字母、小写字母、数字和特殊字符，每90天更换一次。登录云帆OA、代码仓库和
客户环境时必须启用双因素认证。

## 4.2 数据分级

公司数据分为公开、内部、机密、绝密四个级别。客户提供的文档和数据、产品源代码、未公开的
财务数据均属于机密级及以上。机密级数据未经部门总监书面授权，不得下载到个人设备、复制或
带出公司网络；绝密级数据须经总裁批准方可访问。

## 4.3 禁止行为

员工在工作中严禁以下行为：

- 将公司源代码、客户资料上传到个人网盘、公共代码托管平台或社交媒体。
- 在未经公司批准的外部AI工具中输入机密级及以上信息。
- 使用个人U盘或移动硬盘拷贝公司数据。
- 私自安装来源不明的软件或关闭终端安全软件。
- 在公共场所讨论客户项目细节或展示客户数据。

## 4.4 设备与安全事件

公司配发的笔记本电脑须启用全盘加密，并设置5分钟无操作自动锁屏。设备丢失、账号疑似被盗
或发现其他信息安全事件的，须在2小时内报告IT部（分机8010，邮箱 it@yunfan-ai.example）。

## 4.5 离职交接

员工离职前须在最后工作日归还公司配发的全部设备和门禁卡，并完成工作交接。IT部在员工最后
工作日当天注销其全部系统账号。

# 第五章 行为规范与奖惩

## 5.1 行为规范

员工工作日着装以商务休闲为主，拜访客户时应着正装。员工应遵守职业道德，不得利用职务之便
谋取私利，不得接受客户或供应商价值超过200元的礼品；确实无法拒绝的，应在3个工作日内
上交行政部登记。

## 5.2 奖励与处分

公司每年评选年度优秀员工，获奖者可获得奖金10,000元及额外3天带薪假期。员工违反公司制度的，
视情节轻重给予警告、记过直至解除劳动合同的处分。

# 第六章 附则

本手册自2026年1月1日起施行，由人力资源部负责解释。员工对本手册内容有疑问的，可联系
人力资源部（分机8001，邮箱 hr@yunfan-ai.example）。本手册与国家法律法规不一致的，
以法律法规为准。
"""


def make_handbook(out: Path) -> Path:
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Pt

    doc = Document()
    for style_name, east_asian in (
        ("Normal", "宋体"),
        ("Title", "黑体"),
        ("Heading 1", "黑体"),
        ("Heading 2", "黑体"),
    ):
        style = doc.styles[style_name]
        rpr = style.element.get_or_add_rPr()
        rfonts = rpr.find(qn("w:rFonts"))
        if rfonts is None:
            rfonts = rpr.makeelement(qn("w:rFonts"), {})
            rpr.append(rfonts)
        rfonts.set(qn("w:eastAsia"), east_asian)
    doc.styles["Normal"].font.size = Pt(11)

    doc.add_paragraph(f"{COMPANY}员工手册", style="Title")
    doc.add_paragraph("2026年版　人力资源部编制　生效日期：2026年1月1日")

    for block in parse_markup(HANDBOOK):
        if block.kind == "h1":
            doc.add_heading(block.text, level=1)
        elif block.kind == "h2":
            doc.add_heading(block.text, level=2)
        elif block.kind == "p":
            doc.add_paragraph(block.text)
        elif block.kind == "bullets":
            for item in block.items:
                doc.add_paragraph(item, style="List Bullet")
        elif block.kind == "table":
            header, *body = block.rows
            table = doc.add_table(rows=1, cols=len(header))
            table.style = "Table Grid"
            for cell, text in zip(table.rows[0].cells, header, strict=True):
                cell.text = text
                for run in cell.paragraphs[0].runs:
                    run.bold = True
            for row in body:
                cells = table.add_row().cells
                for cell, text in zip(cells, row, strict=True):
                    cell.text = text
        else:
            raise ValueError(f"unsupported block in handbook: {block.kind}")

    props = doc.core_properties
    props.title = f"{COMPANY}员工手册"
    props.subject = "员工手册（2026年版）"
    props.author = "人力资源部"
    props.last_modified_by = "人力资源部"
    props.keywords = "员工手册; 考勤; 休假; 薪酬福利; 信息安全"
    props.created = DOC_CREATED.replace(tzinfo=None)
    props.modified = DOC_CREATED.replace(tzinfo=None)
    props.revision = 1

    path = out / HANDBOOK_NAME
    doc.save(path)
    _normalize_zip(path)
    return path


# ---------------------------------------------------------------------------
# 2. Expense policy (text PDF)
# ---------------------------------------------------------------------------

EXPENSE = """
## 1. 总则

1.1 为规范公司费用支出管理，合理控制经营成本，提高报销效率，根据国家有关财务法规及
公司实际情况，制定本制度。

1.2 本制度适用于公司全体正式员工、试用期员工，以及经批准出差的实习生。

1.3 费用报销遵循“事前审批、据实报销、标准控制、及时结算”的原则。员工应诚信报销，
不得虚报、冒领或拆分报销。

1.4 本制度所称职级分为四类：普通员工（P1至P5职级）；经理（M1至M2职级，含主管）；
总监（M3至M4职级）；副总裁及以上。

## 2. 城市分类

出差目的地按以下标准分为三类：

- 一线城市：北京、上海、广州、深圳。
- 二线城市：杭州、南京、苏州、宁波、成都、武汉、西安、重庆、天津、长沙、厦门、青岛。
- 三线城市：除上述城市以外的其他城市，含县级市及乡镇。

杭州总部员工在杭州市内办公不属于出差。赴港澳台地区及境外出差的，参照《境外出差管理办法》
另行审批。

## 3. 差旅住宿标准

3.1 出差住宿费按城市分类和职级实行限额标准（每人每晚，含税），具体如下。

一线城市（北京、上海、广州、深圳）：

- 普通员工：每晚不超过500元
- 经理：每晚不超过650元
- 总监：每晚不超过800元
- 副总裁及以上：每晚不超过1200元

二线城市：

- 普通员工：每晚不超过400元
- 经理：每晚不超过500元
- 总监：每晚不超过650元
- 副总裁及以上：每晚不超过1000元

三线城市：

- 普通员工：每晚不超过300元
- 经理：每晚不超过400元
- 总监：每晚不超过500元
- 副总裁及以上：每晚不超过800元

3.2 超出标准的部分由员工个人承担，财务部在审核时直接扣减。

3.3 同性别员工两人及以上同行出差的，原则上应合住标准间，合住房间的住宿费标准按单人
标准的1.5倍执行。

3.4 在大型展会或春节、国庆等旺季期间，住宿价格明显上涨的，经部门总监事前审批，可在
上述标准基础上上浮不超过30%。

3.5 出差期间入住亲友住处、未产生住宿费的，每晚给予住宿节约补贴80元。

## 4. 交通费用

4.1 城际交通工具按职级乘坐，标准如下表：

| 职级 | 飞机 | 火车/高铁 | 轮船 |
| 普通员工 | 经济舱 | 二等座/硬卧 | 三等舱 |
| 经理 | 经济舱 | 二等座/软卧 | 二等舱 |
| 总监 | 经济舱 | 一等座/软卧 | 二等舱 |
| 副总裁及以上 | 公务舱 | 商务座/软卧 | 一等舱 |

4.2 高铁单程在5小时以内可以到达的，原则上应乘坐高铁。乘坐飞机的，应至少提前7天预订，
并优先选择折扣机票；因个人原因产生的退票费、改签费不予报销。

4.3 市内交通：出差期间的出租车、网约车、地铁、公交等市内交通费用凭票据实报销，
一线城市每天不超过150元，其他城市每天不超过100元。往返机场、火车站的交通费用不占用
上述额度。

4.4 自驾出差须事先审批，按每公里1.2元给予补贴（含油费）；过路费、过桥费和停车费
凭票报销。

## 5. 餐补与业务招待

5.1 出差餐补按出差自然日计算，标准为每天100元，不区分城市和职级，无需提供发票。
当天出发、当天返回的，餐补按每天50元发放。

5.2 出差期间由客户、会议主办方或公司提供午餐或晚餐的，每餐扣减餐补40元；提供早餐的
不扣减。

5.3 业务招待须事先在云帆OA中提交招待申请，人均标准不超过200元（含酒水）；单次金额
超过3,000元的，须经事业部总经理审批。

## 6. 报销时限

6.1 员工应在费用发生后30天内（出差费用以返程日期为准）通过云帆OA提交报销申请。

6.2 超过30天但未超过90天的，须经部门总监特别审批后方可报销；超过90天的，原则上
不予报销。

6.3 每年12月份发生的费用，最迟须于次年1月10日前提交，以便财务部完成年度结账。

6.4 预借差旅备用金的，应在出差结束后15天内办理冲账；逾期未冲账的，财务部将从当月
工资中扣回。预计出差费用超过3,000元的，方可申请预借备用金。

## 7. 所需材料

提交报销申请时，应按费用类型上传以下材料：

1. 增值税发票：纳税人识别号为91330106MA2YF8866K，抬头为“云帆智能科技有限公司”。
  住宿费应尽量取得增值税专用发票；电子发票须上传PDF或OFD格式的原文件，截图无效。
2. 交通票据：机票须提供电子客票行程单或航空运输电子客票（电子发票）；火车票须提供
  铁路电子客票；网约车须同时提供发票和行程单。
3. 酒店水单：住宿费须附酒店结账水单，注明入住日期、离店日期和每晚房价。
4. 出差审批单：出差前须在云帆OA中提交并经审批通过，报销时系统自动关联。
5. 招待材料：业务招待须附招待申请单和消费明细，注明招待对象和人数。

## 8. 审批流程

8.1 报销审批按以下步骤进行：

1. 员工在云帆OA“费用报销”模块填写报销单，并上传发票及附件的电子版。
2. 直属经理审批，应在2个工作日内完成。
3. 单笔金额超过5,000元的，须经部门总监审批。
4. 财务部费用会计审核票据的真实性与合规性，应在3个工作日内完成。
5. 单笔金额超过20,000元的，须经财务总监（CFO）审批。
6. 出纳付款。

8.2 电子发票无需提交纸质件。纸质发票须粘贴在打印的报销单后，于线上提交后5个工作日内
交至所在办公地的财务部（杭州总部为8楼财务室）。

8.3 财务部每周四统一付款，审核通过的报销款将于当周或下周四打入员工工资卡。

8.4 审核不通过的，财务部在云帆OA中退回报销单并注明原因，员工应在7天内补正后重新提交。

## 9. 其他费用

9.1 会议费：公司组织的会议应事先编制预算，经部门总监审批后执行，报销时须附会议通知、
签到表和费用明细。

9.2 培训费：员工参加外部培训的费用优先使用个人学习基金额度，超出部分须经人力资源部
事先审批。

9.3 通讯费：销售、售前和技术支持岗位每月可报销手机通讯费，标准为每月不超过200元，
凭运营商发票报销；其他岗位不予报销。

9.4 办公用品：原则上由行政部统一采购；确需个人垫付采购的，单笔金额不超过500元，
报销时须附采购清单。

9.5 快递费：寄送合同、发票等商务文件的快递费凭发票和寄件记录报销，应优先使用公司
月结快递账号。

## 10. 违规处理

虚开、伪造、变造发票或虚报费用的，一经查实，公司将追回全部款项，并视情节轻重给予警告、
记过直至解除劳动合同的处分；涉嫌违法犯罪的，移交司法机关处理。

## 11. 附则

11.1 本制度由财务部负责解释，自2026年7月1日起施行，原《费用报销管理办法》
（YF-FIN-2023-001）同时废止。

11.2 员工对本制度有疑问的，可咨询财务部费用组（分机8020，邮箱 finance@yunfan-ai.example）。
"""


def make_expense_pdf(out: Path, font: Path) -> Path:
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    class PolicyPDF(FPDF):
        def header(self) -> None:
            self.set_font("cjk", size=8)
            self.set_text_color(120)
            self.cell(0, 6, f"{COMPANY} · 费用报销制度（YF-FIN-2026-003）", align="R")
            self.ln(10)
            self.set_text_color(0)

        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("cjk", size=8)
            self.set_text_color(120)
            self.cell(0, 10, f"第 {self.page_no()} 页 / 共 {{nb}} 页", align="C")
            self.set_text_color(0)

    pdf = PolicyPDF(format="A4")
    pdf.set_margins(22, 18, 22)
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_font("cjk", "", str(font), collection_font_number=0)
    pdf.set_title(f"{COMPANY}费用报销制度")
    pdf.set_subject("差旅住宿标准、交通、餐补、报销时限、所需材料与审批流程")
    pdf.set_author("财务部")
    pdf.set_creator("云帆智能 财务部")
    pdf.set_keywords("费用报销 差旅 住宿标准 餐补 审批流程")
    pdf.set_lang("zh-CN")
    pdf.set_creation_date(DOC_CREATED)

    pdf.add_page()
    pdf.set_font("cjk", size=20)
    pdf.cell(0, 14, f"{COMPANY}费用报销制度", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=9.5)
    pdf.set_text_color(80)
    meta = "文件编号：YF-FIN-2026-003　版本：V3.0　发布部门：财务部　生效日期：2026年7月1日"
    pdf.cell(0, 8, meta, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0)
    pdf.ln(4)

    body_size, line_h = 10.5, 6.4

    def write_lines(text: str, x: float) -> None:
        """Write wrapped text starting at the current position, continuation lines at x."""
        width = pdf.w - pdf.r_margin - x
        for line in wrap_text(text, pdf.get_string_width, width):
            pdf.set_x(x)
            pdf.cell(width, line_h, line, new_x="LMARGIN", new_y="NEXT")

    for block in parse_markup(EXPENSE):
        if block.kind == "h2":
            pdf.ln(2)
            pdf.set_font("cjk", size=13.5)
            pdf.multi_cell(0, 9, block.text, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        elif block.kind == "p":
            pdf.set_font("cjk", size=body_size)
            clause = re.match(r"(\d+\.\d+) (.*)", block.text)
            if clause:  # "3.1 text": hanging clause number
                pdf.cell(11, line_h, clause.group(1))
                write_lines(clause.group(2), pdf.l_margin + 11)
            else:
                write_lines(block.text, pdf.l_margin)
            pdf.ln(1.5)
        elif block.kind in ("bullets", "numbers"):
            pdf.set_font("cjk", size=body_size)
            for number, item in enumerate(block.items, start=1):
                marker = "•" if block.kind == "bullets" else f"（{number}）"
                indent = 6 if block.kind == "bullets" else 12
                pdf.set_x(pdf.l_margin + 4)
                pdf.cell(indent, line_h, marker)
                write_lines(item, pdf.l_margin + 4 + indent)
            pdf.ln(1.5)
        elif block.kind == "table":
            pdf.set_font("cjk", size=10)
            with pdf.table(
                col_widths=(30, 30, 36, 30),
                text_align="CENTER",
                line_height=7.5,
                headings_style=FontFace(fill_color=(225, 232, 242)),
            ) as table:
                for row in block.rows:
                    table.row(row)
            pdf.ln(3)
        else:
            raise ValueError(f"unsupported block in expense policy: {block.kind}")

    path = out / EXPENSE_NAME
    pdf.output(str(path))
    return path


# ---------------------------------------------------------------------------
# 3. Product FAQ, part 1: features and deployment (Markdown)
# ---------------------------------------------------------------------------

FAQ_MD = """
# 云帆知识库常见问题（一）：产品功能与部署

> 适用版本：云帆知识库 V5.2　更新日期：2027年1月10日　维护部门：产品部

本文解答客户在选型和部署阶段最常提出的问题。售后服务、SLA、数据安全与发票相关问题，
请参阅帮助中心的《售后与服务常见问题》。

## 一、产品概述

### 1. 云帆知识库是什么？

云帆知识库（YF-KB）是云帆智能科技有限公司推出的企业知识库与智能问答平台。企业可以把
分散在网盘、邮件和业务系统中的制度、手册、合同、报告统一导入，员工用自然语言提问，
系统给出附带原文出处引用的答案，并可一键跳转到原文段落。

### 2. 产品有哪些版本？

云帆知识库提供标准版、专业版、企业版、旗舰版和私有化部署版五个版本，并提供OCR扫描件识别、
大模型问答助手、单点登录集成等增值模块。各版本的价格和授权用户数请以最新《价格表》为准。

## 二、文档与功能

### 3. 支持哪些文档格式？

云帆知识库支持以下格式的文档导入：

- Word文档：.docx、.doc
- PDF文档：文本型PDF及扫描件（扫描件需开通OCR扫描件识别模块）
- Excel表格：.xlsx、.xls、.csv
- PowerPoint演示文稿：.pptx（包括演讲者备注）
- 网页与文本：.html、.md、.txt

单个文件大小不超过200 MB，单个知识库最多可容纳100万篇文档。

### 4. 扫描件的识别效果如何？

对于分辨率不低于300 dpi的清晰扫描件，中文印刷体的文字识别准确率可达98%以上。
目前暂不支持手写体识别。

### 5. 如何控制不同部门的访问权限？

权限可以设置到知识库和单篇文档两个层级，并支持从LDAP/AD、企业微信、钉钉和飞书同步组织架构。
智能问答只会引用提问者有权查看的文档，不会通过答案泄露无权限的内容。

### 6. 能否接入我们自己的大模型？

可以。云帆知识库通过OpenAI兼容接口接入大模型，私有化部署的客户可以接入本地部署的开源模型。
即使不接入大模型，也可以正常使用全文检索和语义检索功能。

## 三、部署

### 7. 支持哪些部署方式？

- 公有云SaaS：注册后即开即用，无需客户自行运维。
- 私有化部署：部署在客户自有服务器或私有云中，数据不出客户内网。
- 混合部署：文档与索引保存在客户内网，大模型调用走公有云通道。

### 8. 私有化部署的系统要求是什么？

私有化部署的服务器配置要求如下：

| 项目 | 最低配置 | 推荐配置 |
| CPU | 4核 | 16核 |
| 内存 | 16 GB | 64 GB |
| 硬盘 | 200 GB SSD | 1 TB SSD |
| 操作系统 | Ubuntu 22.04、麒麟V10或统信UOS 20 | 同左 |
| GPU | 不需要 | NVIDIA A10 24 GB（本地运行大模型时） |
| 网络 | 千兆内网 | 万兆内网 |

最低配置适用于用户数在100人以内、文档量在10万篇以内的场景。用户数或文档量更大时，
请联系售前工程师进行容量评估。

### 9. 是否支持信创（国产化）环境？

支持。云帆知识库已完成与鲲鹏、海光、飞腾处理器，麒麟、统信操作系统，以及达梦、人大金仓
数据库的兼容性适配。

### 10. 私有化部署需要多长时间？

标准私有化部署的周期为5个工作日，包括环境检查、软件安装、首批数据导入和上线验收。
需要与客户内部系统做定制集成的，工期另行评估。

### 11. 产品如何升级？

云帆知识库每季度发布一个功能版本。SaaS客户自动升级；私有化部署客户在有效服务期内可免费
获得离线升级包，由客户自行或在我方工程师远程协助下完成升级。
"""


def _md_table(rows: list[list[str]]) -> list[str]:
    header, *body = rows
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in body]
    return lines


def render_markdown(source: str) -> str:
    out: list[str] = []
    for block in parse_markup(source):
        if block.kind in ("h1", "h2", "h3"):
            out.append("#" * int(block.kind[1]) + " " + block.text)
        elif block.kind == "p":
            out.append(block.text)
        elif block.kind == "quote":
            out.append("> " + block.text)
        elif block.kind == "bullets":
            out.append("\n".join("- " + item for item in block.items))
        elif block.kind == "numbers":
            out.append("\n".join(f"{n}. {item}" for n, item in enumerate(block.items, 1)))
        elif block.kind == "table":
            out.append("\n".join(_md_table(block.rows)))
    return "\n\n".join(out) + "\n"


def make_faq_md(out: Path) -> Path:
    path = out / FAQ_MD_NAME
    path.write_text(render_markdown(FAQ_MD), encoding="utf-8", newline="\n")
    return path


# ---------------------------------------------------------------------------
# 4. Product FAQ, part 2: after-sales and service (HTML page with site boilerplate)
# ---------------------------------------------------------------------------

FAQ_HTML = """
# 售后与服务常见问题

> 更新于 2027年1月12日 · 客户成功部 · 阅读约6分钟

本文汇总了云帆知识库客户在售后服务、服务等级、数据安全、发票与付款、续费与退款方面的
常见问题。产品功能与私有化部署相关问题，请参阅《产品功能与部署常见问题》。

## 一、服务渠道

### 1. 如何联系技术支持？

- 服务热线：400-826-3300，服务时间为工作日9:00至18:00。
- 紧急热线：企业版、旗舰版及私有化部署版客户享有7×24小时紧急支持，拨打服务热线后按9号键。
- 在线工单：登录管理控制台，依次点击“帮助”“提交工单”，可随时查看处理进度。
- 电子邮件：support@yunfan-ai.example，一般在1个工作日内回复。
- 专属客户成功经理：旗舰版和私有化部署版客户配备专属客户成功经理，按季度进行使用回访。

### 2. 非工作时间遇到问题怎么办？

标准版和专业版客户可在非工作时间提交在线工单，技术支持团队将在下一个工作日上午处理。
企业版及以上客户遇到系统不可用等紧急故障时，可随时拨打紧急热线。

## 二、服务等级（SLA）

### 3. 故障响应时间是多少？

我们按故障的影响范围划分为四个级别，企业版及以上版本的响应承诺如下表：

| 故障级别 | 定义 | 响应时间 | 恢复目标 |
| P1 紧急 | 系统整体不可用或发生数据丢失 | 30分钟 | 4小时 |
| P2 高 | 检索、问答等核心功能不可用 | 2小时 | 1个工作日 |
| P3 中 | 部分功能异常，但有临时替代方案 | 8小时 | 3个工作日 |
| P4 低 | 使用咨询、优化建议 | 1个工作日 | 纳入后续版本 |

标准版和专业版的响应时间为上表的2倍。公有云SaaS服务的月度可用性承诺为99.9%；
某月未达到承诺时，按当月服务费的10%以服务时长形式给予补偿。

## 三、数据安全

### 4. 我们的数据存储在哪里？

公有云SaaS的客户数据存储在位于杭州的数据中心，并在上海进行异地灾备，数据不会出境。
私有化部署的数据全部保存在客户自己的服务器上，我方工程师无法访问。

### 5. 如何保障数据安全？

- 数据传输全程使用TLS 1.3加密，存储使用AES-256加密。
- 平台已通过网络安全等级保护三级测评和ISO/IEC 27001信息安全管理体系认证。
- 我方员工访问客户数据须事先获得客户书面授权，所有操作全程留痕审计。

### 6. 合同终止后数据如何处理？

服务到期或合同终止后，客户数据将保留90天，期间客户可以随时登录导出全部文档和问答记录。
90天后数据将被彻底删除且无法恢复，客户可申请出具加盖公章的数据销毁证明。

## 四、发票与付款

### 7. 可以开具什么类型的发票？

我们可以开具增值税专用发票或普通发票，软件服务的税率为6%，均为数电发票。发票在款项到账后
5个工作日内开具，并发送至客户在合同中预留的邮箱。

### 8. 支持哪些付款方式？

支持对公银行转账；SaaS订单单笔金额在5万元以下的，也可以使用支付宝或微信支付。合同客户
应在合同签订后30天内付款。

### 9. 发票信息填错了怎么办？

发票开具后30天内，客户可在管理控制台的“费用中心”申请红冲并重新开具，每张发票限重开一次。

## 五、续费与退款

### 10. 服务到期前会提醒吗？

会。系统在服务到期前30天、7天和1天分别通过邮件和短信提醒管理员续费。服务到期后有15天
宽限期，宽限期内可以正常使用，但不能新增文档。

### 11. 可以退款吗？

公有云SaaS客户首次购买后15天内，可申请全额退款。私有化部署版以及已经完成实施交付的订单，
不支持退款。
"""


def render_html_article(source: str) -> str:
    esc = html.escape
    out: list[str] = []
    for block in parse_markup(source):
        if block.kind in ("h1", "h2", "h3"):
            out.append(f"<{block.kind}>{esc(block.text)}</{block.kind}>")
        elif block.kind == "p":
            out.append(f"<p>{esc(block.text)}</p>")
        elif block.kind == "quote":
            out.append(f'<p class="article-meta">{esc(block.text)}</p>')
        elif block.kind in ("bullets", "numbers"):
            tag = "ul" if block.kind == "bullets" else "ol"
            items = "\n".join(f"  <li>{esc(item)}</li>" for item in block.items)
            out.append(f"<{tag}>\n{items}\n</{tag}>")
        elif block.kind == "table":
            header, *body = block.rows
            head = "".join(f"<th>{esc(cell)}</th>" for cell in header)
            rows = "\n".join(
                "    <tr>" + "".join(f"<td>{esc(cell)}</td>" for cell in row) + "</tr>"
                for row in body
            )
            out.append(
                f'<table class="faq-table">\n  <thead><tr>{head}</tr></thead>\n'
                f"  <tbody>\n{rows}\n  </tbody>\n</table>"
            )
    return "\n".join("      " + line for line in "\n".join(out).split("\n"))


HTML_PAGE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>售后与服务常见问题 - 云帆知识库帮助中心</title>
  <meta name="description" content="云帆知识库售后服务、SLA、数据安全、发票与退款常见问题">
  <style>
    body { margin: 0; font-family: "PingFang SC", "Microsoft YaHei", sans-serif; color: #222; }
    .site-header { background: #0b3d91; color: #fff; padding: 12px 32px; }
    .site-header a { color: #fff; margin-right: 20px; text-decoration: none; }
    .layout { display: flex; max-width: 1200px; margin: 0 auto; }
    .sidebar { width: 260px; padding: 24px; background: #f5f7fa; font-size: 14px; }
    main { flex: 1; padding: 24px 40px; line-height: 1.8; }
    .faq-table { border-collapse: collapse; }
    .faq-table th, .faq-table td { border: 1px solid #ccd; padding: 6px 12px; }
    .site-footer { background: #1f2933; color: #aab; padding: 24px 32px; font-size: 13px; }
  </style>
</head>
<body>
  <header class="site-header">
    <a class="logo" href="/">云帆智能</a>
    <nav class="main-nav">
      <a href="/">首页</a>
      <a href="/products">产品</a>
      <a href="/solutions">解决方案</a>
      <a href="/pricing">价格</a>
      <a href="/help">帮助中心</a>
      <a href="/about">关于我们</a>
      <a href="/login">登录</a>
      <a class="cta" href="/trial">免费试用</a>
    </nav>
  </header>
  <div class="breadcrumb">
    <a href="/">首页</a> &gt; <a href="/help">帮助中心</a> &gt;
    <a href="/help/faq">常见问题</a> &gt; 售后与服务
  </div>
  <div class="layout">
    <aside class="sidebar">
      <div class="sidebar-section">
        <p class="sidebar-title">帮助中心目录</p>
        <ul>
          <li><a href="/help/getting-started">快速入门</a></li>
          <li><a href="/help/faq/features">产品功能与部署</a></li>
          <li class="active"><a href="/help/faq/service">售后与服务</a></li>
          <li><a href="/help/billing">账号与计费</a></li>
          <li><a href="/help/api">开发者API</a></li>
        </ul>
      </div>
      <div class="sidebar-section">
        <p class="sidebar-title">热门文章</p>
        <ul>
          <li><a href="/help/import">如何批量导入文档</a></li>
          <li><a href="/help/permissions">如何设置部门权限</a></li>
          <li><a href="/help/sso">如何配置单点登录</a></li>
        </ul>
      </div>
      <div class="sidebar-section promo">
        <p>企业版限时试用，立即预约产品演示！</p>
        <a class="cta" href="/demo">预约演示</a>
      </div>
    </aside>
    <main>
      <article class="faq-article">
__ARTICLE__
      </article>
      <div class="feedback">
        <p>这篇文章对您有帮助吗？</p>
        <button type="button">有帮助</button>
        <button type="button">没帮助</button>
      </div>
    </main>
  </div>
  <footer class="site-footer">
    <div class="footer-links">
      <a href="/about">关于我们</a> | <a href="/careers">加入我们</a> |
      <a href="/privacy">隐私政策</a> | <a href="/terms">服务条款</a> |
      <a href="/sitemap">网站地图</a>
    </div>
    <p>地址：浙江省杭州市西湖区云帆路88号云帆大厦　邮箱：support@yunfan-ai.example</p>
    <p>© 2018-2027 云帆智能科技有限公司 版权所有</p>
  </footer>
  <div class="cookie-banner">
    本网站使用Cookie以改善浏览体验。继续浏览即表示您同意我们的
    <a href="/privacy">隐私政策</a>。<button type="button">我知道了</button>
  </div>
  <script>
    document.querySelector(".cookie-banner button").addEventListener("click", function () {
      document.querySelector(".cookie-banner").style.display = "none";
    });
  </script>
</body>
</html>
"""


def make_faq_html(out: Path) -> Path:
    page = HTML_PAGE.replace("__ARTICLE__", render_html_article(FAQ_HTML))
    path = out / FAQ_HTML_NAME
    path.write_text(page, encoding="utf-8", newline="\n")
    return path


# ---------------------------------------------------------------------------
# 5. Price list (XLSX)
# ---------------------------------------------------------------------------

PRICE_HEADER = ["产品编号", "产品名称", "版本", "单价(元/年)", "授权用户数", "备注"]
PRICE_ROWS: list[tuple[str, str, str, int, str, str]] = [
    ("YF-KB-STD", "云帆知识库", "标准版", 29800, "50", "公有云SaaS，工作日5×8小时支持"),
    ("YF-KB-PRO", "云帆知识库", "专业版", 58000, "100", "公有云SaaS，含API接入"),
    ("YF-KB-ENT", "云帆知识库", "企业版", 98000, "200", "SaaS或私有化部署，7×24小时支持"),
    ("YF-KB-FLG", "云帆知识库", "旗舰版", 198000, "500", "含专属客户成功经理"),
    ("YF-KB-PRIV", "云帆知识库", "私有化部署版", 260000, "500", "含首年标准实施服务"),
    ("YF-ADD-USR", "增购用户包", "通用", 12000, "50", "每包50个用户，适用于所有版本"),
    ("YF-ADD-OCR", "OCR扫描件识别模块", "通用", 8800, "-", "支持扫描PDF和图片"),
    ("YF-ADD-LLM", "大模型问答助手", "通用", 36000, "-", "含每年1亿Token调用额度"),
    ("YF-ADD-SSO", "单点登录集成", "通用", 6000, "-", "支持LDAP/AD、企业微信、钉钉、飞书"),
    ("YF-ADD-API", "开放API调用包", "通用", 15000, "-", "每年100万次API调用"),
    ("YF-SVC-GLD", "金牌运维服务", "服务", 30000, "-", "季度巡检，远程运维"),
    ("YF-SVC-PLT", "白金运维服务", "服务", 60000, "-", "月度巡检，每年2次现场支持"),
    ("YF-SVC-TRN", "培训服务包", "服务", 10000, "-", "每年4次线上培训，1次现场培训"),
]
PRICE_NOTES = [
    "说明：以上价格均为含税价（增值税税率6%），价格有效期为2027年1月1日至2027年12月31日。",
    "增值模块和服务须与任一云帆知识库主版本同时购买。",
]

DISCOUNT_HEADER = ["折扣类型", "适用条件", "折扣", "审批人", "说明"]
DISCOUNT_ROWS: list[tuple[str, str, str, str, str]] = [
    ("两年合同", "一次性签订2年服务合同", "9折", "销售总监", "合同总额一次性付清"),
    ("三年合同", "一次性签订3年服务合同", "85折", "销售总监", "合同总额可分年支付"),
    ("教育行业", "公办及民办学校、科研院所", "7折", "销售副总裁", "需提供办学许可证或法人证书"),
    ("政府及公共事业", "政府机关、医院、公共事业单位", "8折", "销售副总裁", "需提供单位资质证明"),
    ("老客户续费", "到期前30天内完成续费", "95折", "销售经理", "仅适用于原版本续费"),
    ("渠道合作伙伴", "签约的授权渠道合作伙伴", "75折", "渠道总监", "以渠道合作协议为准"),
    ("新客户首单", "2027年6月30日前签约的首单", "9折", "销售经理", "仅限主版本"),
]
DISCOUNT_NOTES = [
    "1. 上述折扣不可叠加，同时满足多项条件时取最优惠的一项。",
    "2. 任何情况下成交价不得低于目录价的65折；低于65折的须经总裁特批。",
    "3. 增值模块和服务项目不参与折扣，渠道合作伙伴除外。",
]


def make_price_xlsx(out: Path) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    wb = Workbook()
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    header_fill = PatternFill("solid", fgColor="DCE6F1")
    title_font = Font(name="微软雅黑", size=16, bold=True)
    header_font = Font(name="微软雅黑", size=11, bold=True)
    center = Alignment(horizontal="center", vertical="center")

    def fill_sheet(
        ws: Worksheet,
        title: str,
        header: Sequence[str],
        rows: Sequence[Sequence[str | int]],
        notes: Sequence[str],
        widths: Sequence[int],
    ) -> None:
        ncols = len(header)
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncols)
        ws.cell(row=1, column=1, value=title).font = title_font
        ws.cell(row=1, column=1).alignment = center
        ws.row_dimensions[1].height = 30
        for col, text in enumerate(header, start=1):
            cell = ws.cell(row=2, column=col, value=text)
            cell.font, cell.fill, cell.alignment, cell.border = (
                header_font,
                header_fill,
                center,
                border,
            )
        for r, row in enumerate(rows, start=3):
            for col, value in enumerate(row, start=1):
                cell = ws.cell(row=r, column=col, value=value)
                cell.border = border
                if isinstance(value, int):
                    cell.number_format = "#,##0"
        note_row = len(rows) + 4
        for offset, note in enumerate(notes):
            ws.cell(row=note_row + offset, column=1, value=note)
        for col, width in enumerate(widths, start=1):
            ws.column_dimensions[chr(ord("A") + col - 1)].width = width
        ws.freeze_panes = "A3"

    ws = wb.active
    ws.title = "产品价格"
    fill_sheet(
        ws,
        f"{COMPANY} 产品价格表（2027年版）",
        PRICE_HEADER,
        PRICE_ROWS,
        PRICE_NOTES,
        (14, 20, 14, 14, 12, 36),
    )
    ws2 = wb.create_sheet("折扣政策")
    fill_sheet(
        ws2,
        "折扣政策（2027年版）",
        DISCOUNT_HEADER,
        DISCOUNT_ROWS,
        DISCOUNT_NOTES,
        (16, 30, 8, 12, 36),
    )

    props = wb.properties
    props.title = f"{COMPANY}产品价格表（2027年版）"
    props.creator = "销售运营部"
    props.lastModifiedBy = "销售运营部"
    props.subject = "云帆知识库产品价格与折扣政策"
    props.created = DOC_CREATED.replace(tzinfo=None)

    path = out / PRICE_NAME
    wb.save(path)
    _normalize_zip(path)
    return path


# ---------------------------------------------------------------------------
# 6. Sales deck (PPTX)
# ---------------------------------------------------------------------------


@dataclass
class Slide:
    title: str
    bullets: list[str] = field(default_factory=list)
    subtitle: str = ""
    table: list[list[str]] | None = None
    notes: str = ""


DECK: list[Slide] = [
    Slide(
        title="云帆知识库 YF-KB",
        subtitle="让企业知识一问即答\n云帆智能科技有限公司 · 2027年产品介绍",
        notes=(
            "开场：介绍自己和云帆智能。云帆智能成立于2018年，总部在杭州，"
            "已服务超过600家企业客户。本次演示约30分钟，最后留10分钟答疑。"
        ),
    ),
    Slide(
        title="企业知识管理的痛点",
        bullets=[
            "文档分散在网盘、邮件、即时通讯和业务系统中",
            "只能按文件名或关键词检索，找不到、找不全",
            "新员工上手慢，老员工离职带走经验",
            "通用AI工具不了解企业内部资料，且存在泄密风险",
        ],
        notes=(
            "据我们对120家客户的访谈，知识型员工平均每天花1.8小时查找内部资料。"
            "先请客户谈谈他们现在找资料的方式，再引出产品。"
        ),
    ),
    Slide(
        title="产品概览",
        bullets=[
            "一站式导入：Word、PDF、Excel、PPT、网页及扫描件",
            "智能问答：用自然语言提问，答案附原文出处引用",
            "权限管控：答案只引用提问者有权查看的文档",
            "成本透明：按部门统计大模型Token用量",
            "灵活部署：公有云SaaS、私有化部署、信创环境",
        ],
        notes="演示环节：现场上传一份客户提供的制度文件，提问并展示出处跳转。",
    ),
    Slide(
        title="核心优势",
        bullets=[
            "中文优先：中文分词与语义向量混合检索",
            "可追溯：每个答案都能定位到原文段落",
            "可控：支持接入客户自有或本地部署的大模型",
            "安全：等保三级、ISO/IEC 27001认证",
        ],
        notes=(
            "在我们内部2,000道中文问答评测集上，答案引用准确率为94%。"
            "如果客户关心大模型选型，强调不接入大模型也能使用检索功能。"
        ),
    ),
    Slide(
        title="版本对比",
        table=[
            ["版本", "授权用户数", "部署方式", "服务支持"],
            ["标准版", "50", "公有云SaaS", "工作日5×8小时"],
            ["专业版", "100", "公有云SaaS", "工作日5×8小时"],
            ["企业版", "200", "SaaS或私有化", "7×24小时"],
            ["旗舰版", "500", "SaaS或私有化", "7×24小时+专属客户成功经理"],
        ],
        notes="报价一律以最新《价格表》为准，现场不要口头承诺任何折扣。",
    ),
    Slide(
        title="客户案例",
        bullets=[
            "某汽车零部件制造企业：3,000名员工，导入12万份工艺文件和质量报告",
            "某律师事务所：统一管理合同范本与案例库，新律师培养周期明显缩短",
            "某城市商业银行：私有化部署在信创环境，覆盖全行制度问答",
        ],
        notes=(
            "某制造业客户上线后，工程师查找工艺文件的平均时间从15分钟降到4.5分钟，"
            "检索时间缩短70%；项目从签约到全员上线用时3周。"
            "律所客户的新律师培养周期从3个月缩短到6周。"
        ),
    ),
    Slide(
        title="实施路径",
        bullets=[
            "第1周：需求调研与环境准备",
            "第2周：部署安装与首批文档导入",
            "第3周：试点部门使用与管理员培训",
            "第4周：全员上线与效果评估",
        ],
        notes="私有化部署本身只需5个工作日，其余时间主要用于试点和培训。",
    ),
    Slide(
        title="下一步",
        bullets=[
            "申请30天免费试用，导入贵司真实文档进行验证",
            "预约现场演示与需求调研",
            "联系人：销售总监 陈思远　电话：0571-8606-3388",
            "邮箱：sales@yunfan-ai.example",
        ],
        notes=(
            "限时政策：2027年3月31日前签约企业版及以上版本，赠送一年OCR扫描件识别模块"
            "（价值8,800元）。"
        ),
    ),
]


def make_deck(out: Path) -> Path:
    from pptx import Presentation
    from pptx.util import Inches, Pt

    prs = Presentation()
    for spec in DECK:
        if spec.subtitle:
            slide = prs.slides.add_slide(prs.slide_layouts[0])
            slide.shapes.title.text = spec.title
            slide.placeholders[1].text = spec.subtitle
        elif spec.table:
            slide = prs.slides.add_slide(prs.slide_layouts[5])
            slide.shapes.title.text = spec.title
            rows, cols = len(spec.table), len(spec.table[0])
            shape = slide.shapes.add_table(
                rows, cols, Inches(0.5), Inches(1.8), Inches(9), Inches(0.5) * rows
            )
            table = shape.table
            for col, width in enumerate((1.6, 1.8, 2.2, 3.4)):
                table.columns[col].width = Inches(width)
            for r, row in enumerate(spec.table):
                for c, text in enumerate(row):
                    cell = table.cell(r, c)
                    cell.text = text
                    for paragraph in cell.text_frame.paragraphs:
                        for run in paragraph.runs:
                            run.font.size = Pt(16)
        else:
            slide = prs.slides.add_slide(prs.slide_layouts[1])
            slide.shapes.title.text = spec.title
            frame = slide.placeholders[1].text_frame
            frame.text = spec.bullets[0]
            for bullet in spec.bullets[1:]:
                frame.add_paragraph().text = bullet
            for paragraph in frame.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(22)
        if spec.notes:
            slide.notes_slide.notes_text_frame.text = spec.notes

    props = prs.core_properties
    props.title = "云帆知识库销售演示（2027年）"
    props.author = "销售部"
    props.last_modified_by = "销售部"
    props.subject = "云帆知识库产品介绍"
    props.created = DOC_CREATED.replace(tzinfo=None)
    props.modified = DOC_CREATED.replace(tzinfo=None)
    props.revision = 1

    path = out / DECK_NAME
    prs.save(path)
    _normalize_zip(path)
    return path


# ---------------------------------------------------------------------------
# 7. Scanned holiday notice (image-only PDF)
# ---------------------------------------------------------------------------

NOTICE_TITLE = "关于2027年春节放假安排的通知"
NOTICE_NUMBER = "云帆行通〔2027〕3号"
NOTICE_BODY = [
    ("p", "各部门、全体员工："),
    (
        "i",
        "根据国务院办公厅关于2027年部分节假日安排的通知精神，结合公司实际情况，"
        "现将2027年春节放假安排通知如下：",
    ),
    ("h", "一、放假时间"),
    (
        "i",
        "2027年2月5日（星期五，除夕）至2月13日（星期六）放假，共9天。2月14日（星期日）正常上班。",
    ),
    ("h", "二、值班安排"),
    (
        "i",
        "放假期间各部门须安排人员值班，值班时间为每天9:00至17:00。"
        "各部门值班表请于1月29日前报行政部备案。"
        "客户服务热线400-826-3300照常提供服务。",
    ),
    ("h", "三、注意事项"),
    ("i", "1. 放假前请各部门做好安全检查，关闭电脑、空调等电器电源，锁好门窗。"),
    ("i", "2. 2月4日（星期四）16:00起，员工可提前下班。"),
    ("i", "3. 假期出行请注意人身和财产安全，遇紧急情况请及时与联系人联系。"),
    ("h", "四、联系人"),
    ("i", "行政部 王丽，电话：0571-8606-3301。"),
    ("i", "特此通知。"),
]
NOTICE_SIGNATURE = ["云帆智能科技有限公司行政部", "2027年1月18日"]


def render_notice_image(font_path: Path) -> PILImage:
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    width, height = 1240, 1754  # A4 at 150 dpi
    margin, indent = 130, 64
    bg = 246
    image = Image.new("L", (width, height), bg)
    draw = ImageDraw.Draw(image)
    title_font = ImageFont.truetype(str(font_path), 46, index=0)
    body_font = ImageFont.truetype(str(font_path), 32, index=0)
    small_font = ImageFont.truetype(str(font_path), 30, index=0)
    ink = 30

    # Letterhead.
    y = 120
    head = COMPANY
    head_font = ImageFont.truetype(str(font_path), 40, index=0)
    draw.text(((width - head_font.getlength(head)) / 2, y), head, font=head_font, fill=ink)
    y += 70
    draw.line((margin - 20, y, width - margin + 20, y), fill=60, width=3)
    y += 26
    x = width - margin - small_font.getlength(NOTICE_NUMBER)
    draw.text((x, y), NOTICE_NUMBER, font=small_font, fill=ink)
    y += 80
    x = (width - title_font.getlength(NOTICE_TITLE)) / 2
    draw.text((x, y), NOTICE_TITLE, font=title_font, fill=ink)
    y += 110

    line_h = 54
    text_width = width - 2 * margin
    for kind, text in NOTICE_BODY:
        if kind == "h":
            y += 8
            draw.text((margin + indent, y), text, font=body_font, fill=ink)
            y += line_h
            continue
        lines = wrap_text(text, body_font.getlength, text_width - (indent if kind == "i" else 0))
        for n, line in enumerate(lines):
            x = margin + (indent if kind == "i" and n == 0 else 0)
            draw.text((x, y), line, font=body_font, fill=ink)
            y += line_h
    y += 70
    for line in NOTICE_SIGNATURE:
        x = width - margin - body_font.getlength(line) - 20
        draw.text((x, y), line, font=body_font, fill=ink)
        y += line_h

    # A faint round seal over the signature, as on a real stamped notice.
    cx, cy, r = width - margin - 200, y - line_h - 20, 105
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=200, width=6)

    # Scanner look: seeded speckles, a tiny skew and a soft blur. Deterministic.
    rng = random.Random(20270118)
    for _ in range(1800):
        px, py = rng.randrange(width), rng.randrange(height)
        draw.point((px, py), fill=rng.randrange(190, 230))
    image = image.rotate(0.35, resample=Image.Resampling.BICUBIC, fillcolor=bg)
    image = image.filter(ImageFilter.GaussianBlur(0.6))
    return image


def make_notice_pdf(out: Path, font: Path) -> Path:
    from fpdf import FPDF

    image = render_notice_image(font)
    jpeg = io.BytesIO()
    image.save(jpeg, format="JPEG", quality=72, optimize=True, dpi=(150, 150))
    jpeg.seek(0)

    pdf = FPDF(format="A4")
    pdf.set_margins(0, 0, 0)
    pdf.set_auto_page_break(False)
    pdf.set_creator("network scanner (scan to PDF)")
    pdf.set_producer("scanner firmware")
    pdf.set_creation_date(datetime(2027, 1, 18, 10, 12, 0, tzinfo=UTC))
    pdf.add_page()
    pdf.image(jpeg, x=0, y=0, w=210, h=297)
    path = out / NOTICE_NAME
    pdf.output(str(path))
    return path


# ---------------------------------------------------------------------------
# 8. Quickstart questions and README
# ---------------------------------------------------------------------------

QUESTIONS = [
    {
        "question": "在上海出差的普通员工住宿标准是多少？",
        "expected_document": EXPENSE_NAME,
        "expected_phrases": ["上海", "普通员工", "500元"],
    },
    {
        "question": "工作满3年的员工有几天年假？",
        "expected_document": HANDBOOK_NAME,
        "expected_phrases": ["已满1年不满10年", "年休假5天"],
    },
    {
        "question": "2027年春节放假从哪天到哪天，一共几天？",
        "expected_document": NOTICE_NAME,
        "expected_phrases": ["2月5日", "2月13日", "共9天"],
    },
]

README = f"""# TokenBase sample documents

These files are ingested by `tokenbase quickstart`. All content is **fictional** and was
written for TokenBase: it describes a made-up company, 云帆智能科技有限公司 (Yunfan
Intelligent Technology Co., Ltd., Hangzhou), and its knowledge-base product line. Names,
addresses, phone numbers, tax IDs and figures are invented; e-mail addresses use the
reserved `.example` domain. Any resemblance to a real company is coincidental.

The documents are in Simplified Chinese. Facts are consistent across the set, and each
question in `questions.json` is answered in exactly one document.

| File | Format | Content |
| --- | --- | --- |
| `{HANDBOOK_NAME}` | Word (.docx): title, Heading 1/2, bullets, a table | Employee handbook: \
attendance and leave (annual/sick leave), pay and benefits, information security |
| `{EXPENSE_NAME}` | Text PDF (CJK font embedded and subset) | Expense policy: hotel limits by \
city tier and job level, transport, meal allowance, deadlines, documents, approval flow |
| `{FAQ_MD_NAME}` | Markdown | Product FAQ, part 1: features, supported formats, deployment and \
system requirements |
| `{FAQ_HTML_NAME}` | HTML page with nav bar, sidebar and footer around the article | Product \
FAQ, part 2: after-sales service, SLA, data security, invoices, renewals and refunds |
| `{PRICE_NAME}` | Excel (.xlsx): sheets `产品价格` (merged title row) and `折扣政策` | Price \
list and discount policy |
| `{DECK_NAME}` | PowerPoint (.pptx): 8 slides, one table, speaker notes | Sales deck; several \
facts (e.g. customer-case figures) appear only in the speaker notes |
| `{NOTICE_NAME}` | Image-only PDF (a 150 dpi grayscale scan, no text layer) | Spring Festival \
2027 holiday notice; readable only through OCR |
| `questions.json` | JSON | The three questions the quickstart asks, with the expected document \
and phrases the cited passage should contain |

The files are generated by `scripts/make_samples.py` (a dev-time script; the package ships the
generated files). Rerun it after editing the content:

```
python scripts/make_samples.py
```
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    parser.add_argument("--font", type=Path, default=DEFAULT_FONT, help="CJK .ttf/.ttc font")
    args = parser.parse_args()
    if not args.font.exists():
        raise SystemExit(f"CJK font not found: {args.font} (use --font)")
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    paths = [
        make_handbook(out),
        make_expense_pdf(out, args.font),
        make_faq_md(out),
        make_faq_html(out),
        make_price_xlsx(out),
        make_deck(out),
        make_notice_pdf(out, args.font),
    ]
    questions = out / "questions.json"
    questions.write_text(
        json.dumps(QUESTIONS, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    readme = out / "README.md"
    readme.write_text(README, encoding="utf-8", newline="\n")
    for path in [*paths, questions, readme]:
        print(f"{path.stat().st_size:>9,d}  {path.relative_to(out)}")


if __name__ == "__main__":
    main()
