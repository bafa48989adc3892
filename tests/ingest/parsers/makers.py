"""Generate real test documents: PDFs (text, scanned, encrypted, truncated), images, DOCX, PPTX.

Every maker returns the file's bytes; pass `dest` to also write them to a path. Makers that
draw text take the path of a CJK font (see the `cjk_font` fixture). The default contents are
module constants so tests can assert on them.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

# A page is (heading, paragraphs).
PdfPage = tuple[str, Sequence[str]]

HANDBOOK_TITLE = "员工手册"
HANDBOOK_PAGES: list[PdfPage] = [
    (
        "第一章 总则",
        [
            "本手册适用于公司全体员工，规定了日常办公、考勤管理与费用报销的基本要求。"
            "员工应当认真阅读并遵守本手册的各项规定，如有疑问请联系人力资源部。",
            "本手册自发布之日起施行，由人力资源部负责解释和修订。",
        ],
    ),
    (
        "第二章 报销流程",
        [
            "员工因公出差产生的交通费、住宿费和餐费可以申请报销。申请报销时必须提供合法有效的"
            "增值税发票，发票抬头须为公司全称，并在费用发生后三十日内提交财务部审核。",
            "单笔金额超过五千元的报销申请，须经部门负责人和财务总监共同审批。",
        ],
    ),
    (
        "Chapter 3 Travel",
        [
            "Travel expenses must be submitted within thirty days of the trip together with "
            "the original receipts, the approved travel request and a short summary of the "
            "purpose of the journey so that finance can verify every item quickly.",
            "Economy class is the default for flights shorter than six hours.",
        ],
    ),
]

SCANNED_LINES: list[str] = [
    "差旅费报销规定",
    "",
    "报销时请附上发票原件",
    "并填写费用报销单",
]

IMAGE_LINES: list[str] = [
    "费用报销须知",
    "",
    "请在三十日内提交发票",
]


def _write(data: bytes, dest: str | Path | None) -> bytes:
    if dest is not None:
        Path(dest).write_bytes(data)
    return data


def _new_pdf(font_path: str | Path):  # type: ignore[no-untyped-def]
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_font("cjk", fname=str(font_path))
    pdf.set_font("cjk", size=12)
    return pdf


def _add_text_page(  # type: ignore[no-untyped-def]
    pdf,
    heading: str,
    paragraphs: Sequence[str],
    header: str | None = None,
    footer: str | None = None,
) -> None:
    pdf.add_page()
    if header or footer:
        pdf.set_auto_page_break(auto=False)  # the footer sits inside the bottom margin
        pdf.set_font("cjk", size=9)
        if header:
            pdf.set_xy(pdf.l_margin, 8)
            pdf.cell(0, 6, header, align="R")
        if footer:
            pdf.set_xy(pdf.l_margin, pdf.h - 14)
            pdf.cell(0, 6, footer, align="C")
        pdf.set_xy(pdf.l_margin, pdf.t_margin + 10)
        pdf.set_auto_page_break(auto=True, margin=20)
    pdf.set_font("cjk", size=18)
    pdf.multi_cell(0, 10, heading, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("cjk", size=12)
    for paragraph in paragraphs:
        pdf.multi_cell(0, 7, paragraph, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(7)


def _add_image_page(pdf, image: Image.Image) -> None:  # type: ignore[no-untyped-def]
    pdf.add_page()
    pdf.image(image, x=0, y=0, w=pdf.w, h=pdf.h)


def render_text_image(
    font_path: str | Path,
    lines: Sequence[str],
    size: tuple[int, int] = (800, 400),
    font_size: int = 36,
) -> Image.Image:
    """Black text on white, one entry per line; an empty entry leaves a paragraph gap."""
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(font_path), font_size)
    y = font_size
    for line in lines:
        if line:
            draw.text((font_size, y), line, fill="black", font=font)
        y += int(font_size * 1.5)
    return image


def make_text_pdf(
    font_path: str | Path,
    pages: Sequence[PdfPage] = HANDBOOK_PAGES,
    title: str | None = HANDBOOK_TITLE,
    dest: str | Path | None = None,
    running_header: str | None = None,
    page_numbers: bool = False,
) -> bytes:
    """A PDF with a text layer: one page per (heading, paragraphs); metadata title if given.

    `running_header` repeats a line atop every page; `page_numbers` adds "第 N 页 / 共 M 页"
    footers."""
    pdf = _new_pdf(font_path)
    if title:
        pdf.set_title(title)
    for number, (heading, paragraphs) in enumerate(pages, start=1):
        footer = f"第 {number} 页 / 共 {len(pages)} 页" if page_numbers else None
        _add_text_page(pdf, heading, paragraphs, running_header, footer)
    return _write(bytes(pdf.output()), dest)


def make_scanned_pdf(
    font_path: str | Path,
    pages: Sequence[Sequence[str]] = (SCANNED_LINES,),
    dest: str | Path | None = None,
) -> bytes:
    """An image-only PDF: each page is a picture of text lines, with no text layer."""
    pdf = _new_pdf(font_path)
    for lines in pages:
        _add_image_page(pdf, render_text_image(font_path, lines, size=(827, 1169), font_size=40))
    return _write(bytes(pdf.output()), dest)


def make_mixed_pdf(
    font_path: str | Path,
    text_page: PdfPage = HANDBOOK_PAGES[0],
    scanned_lines: Sequence[str] = SCANNED_LINES,
    dest: str | Path | None = None,
) -> bytes:
    """Page 1 has a text layer; page 2 is a scanned image."""
    pdf = _new_pdf(font_path)
    _add_text_page(pdf, *text_page)
    image = render_text_image(font_path, scanned_lines, size=(827, 1169), font_size=40)
    _add_image_page(pdf, image)
    return _write(bytes(pdf.output()), dest)


def make_blank_pdf(pages: int = 1, dest: str | Path | None = None) -> bytes:
    """A PDF whose pages draw nothing at all."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    for _ in range(pages):
        pdf.add_page()
    return _write(bytes(pdf.output()), dest)


def make_encrypted_pdf(
    font_path: str | Path, password: str = "secret", dest: str | Path | None = None
) -> bytes:
    """A text PDF that needs a user password to open."""
    pdf = _new_pdf(font_path)
    _add_text_page(pdf, *HANDBOOK_PAGES[0])
    pdf.set_encryption(owner_password=password + "-owner", user_password=password)
    return _write(bytes(pdf.output()), dest)


def make_truncated_pdf(font_path: str | Path, dest: str | Path | None = None) -> bytes:
    """The first half of a valid text PDF, as left by an interrupted download."""
    data = make_text_pdf(font_path)
    return _write(data[: len(data) // 2], dest)


def make_image(
    font_path: str | Path,
    lines: Sequence[str] = IMAGE_LINES,
    fmt: str = "PNG",
    dest: str | Path | None = None,
) -> bytes:
    """A PNG/JPEG (or any PIL format) picture of Chinese text."""
    buffer = io.BytesIO()
    render_text_image(font_path, lines).save(buffer, format=fmt)
    return _write(buffer.getvalue(), dest)


def make_multipage_tiff(
    font_path: str | Path,
    pages: Sequence[Sequence[str]],
    dest: str | Path | None = None,
) -> bytes:
    """A multi-frame TIFF, one frame per list of lines, like a fax or office-scanner output."""
    images = [render_text_image(font_path, lines) for lines in pages]
    buffer = io.BytesIO()
    images[0].save(buffer, format="TIFF", save_all=True, append_images=images[1:])
    return _write(buffer.getvalue(), dest)


DOCX_TITLE = "差旅管理办法"
# A legacy VML text box, the simplest form Word reads.
_TEXT_BOX_XML = (
    '<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:v="urn:schemas-microsoft-com:vml"><w:pict><v:shape><v:textbox><w:txbxContent>'
    "<w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:txbxContent></v:textbox></v:shape></w:pict></w:r>"
)


def make_docx(dest: str | Path | None = None, core_title: str | None = DOCX_TITLE) -> bytes:
    """A Word file: Title, Heading 1/2 sections, paragraphs, a bulleted list, a table with
    merged cells, a Chinese-named heading style ("标题 1"), an outline-level heading, a one-cell
    table framing two paragraphs, and a text box."""
    import docx
    from docx.enum.style import WD_STYLE_TYPE
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    document = docx.Document()
    if core_title:
        document.core_properties.title = core_title
    document.add_paragraph("差旅管理办法", style="Title")
    document.add_paragraph("本办法规范公司员工的差旅活动。")
    document.add_heading("第一章 出差申请", level=1)
    document.add_paragraph("员工出差前须在系统中提交出差申请，经部门负责人批准后方可出行。")
    document.add_heading("1.1 交通工具", level=2)
    document.add_paragraph("优先乘坐高铁二等座", style="List Bullet")
    document.add_paragraph("航程超过六小时可乘坐经济舱", style="List Bullet")
    document.add_heading("第二章 费用报销", level=1)
    document.add_paragraph("报销时须提供合法有效的发票，并在返回后三十日内提交。")
    rows = [
        ("城市", "住宿标准", "餐补"),
        ("北京", "600元/晚", "100元/天"),
        ("上海", "600元/晚", ""),
        ("其他城市", "400元/晚（含餐补）", ""),
    ]
    table = document.add_table(rows=len(rows), cols=len(rows[0]))
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            table.cell(r, c).text = value
    table.cell(1, 2).merge(table.cell(2, 2))  # 北京 and 上海 share one meal allowance
    table.cell(3, 1).merge(table.cell(3, 2))  # 其他城市 spans accommodation and meals
    document.add_paragraph("表格之后的说明段落。")

    chinese_heading = document.styles.add_style("标题 1", WD_STYLE_TYPE.PARAGRAPH)
    chinese_heading.base_style = document.styles["Normal"]
    document.add_paragraph("第三章 附则", style=chinese_heading)
    outlined = document.add_paragraph("3.1 生效日期")
    outlined._p.get_or_add_pPr().append(parse_xml(f'<w:outlineLvl {nsdecls("w")} w:val="1"/>'))
    frame = document.add_table(rows=1, cols=1)  # a one-cell table used as a text frame
    frame.cell(0, 0).text = "框内第一段"
    frame.cell(0, 0).add_paragraph("框内第二段")
    boxed = document.add_paragraph("本办法自发布之日起施行。")
    boxed._p.append(parse_xml(_TEXT_BOX_XML.format(text="文本框里的提示")))
    buffer = io.BytesIO()
    document.save(buffer)
    return _write(buffer.getvalue(), dest)


PPTX_SLIDES: list[dict] = [
    {
        "title": "季度销售回顾",
        "body": ["华东区销售额同比增长百分之二十", "新客户数量创历史新高"],
        "notes": "强调华东区的增长来自新客户。",
    },
    {
        "title": "费用报销政策",
        "table": [("项目", "标准"), ("住宿", "600元/晚"), ("餐补", "100元/天")],
        "notes": "提醒大家报销需附发票。",
    },
    {"title": "", "textbox": "没有标题的幻灯片正文"},
]


def make_pptx(
    slides: Sequence[dict] = PPTX_SLIDES,
    dest: str | Path | None = None,
    core_title: str | None = "销售会议",
) -> bytes:
    """A PowerPoint file. Each slide dict may have title, body (bullets), table (rows),
    textbox (plain text) and notes."""
    from pptx import Presentation
    from pptx.util import Inches

    prs = Presentation()
    if core_title:
        prs.core_properties.title = core_title
    for spec in slides:
        layout = prs.slide_layouts[1] if spec.get("body") else prs.slide_layouts[5]
        if not spec.get("title"):
            layout = prs.slide_layouts[6]  # blank
        slide = prs.slides.add_slide(layout)
        if spec.get("title"):
            slide.shapes.title.text = spec["title"]
        if spec.get("body"):
            frame = slide.placeholders[1].text_frame
            frame.text = spec["body"][0]
            for line in spec["body"][1:]:
                frame.add_paragraph().text = line
        if spec.get("table"):
            rows = spec["table"]
            shape = slide.shapes.add_table(
                len(rows), len(rows[0]), Inches(1), Inches(2), Inches(6), Inches(2)
            )
            for r, values in enumerate(rows):
                for c, value in enumerate(values):
                    shape.table.cell(r, c).text = value
        if spec.get("textbox"):
            box = slide.shapes.add_textbox(Inches(1), Inches(1), Inches(6), Inches(1))
            box.text_frame.text = spec["textbox"]
        if spec.get("notes"):
            slide.notes_slide.notes_text_frame.text = spec["notes"]
    buffer = io.BytesIO()
    prs.save(buffer)
    return _write(buffer.getvalue(), dest)
