"""HTML pages: the main content only, as headings, paragraphs, list items and tables.

trafilatura finds the main content and drops navigation, headers, footers, sidebars, forms
and scripts; its XML output (<head rend="h2">, <p>, <list>/<item>, <table>/<row>/<cell>) is
walked into blocks with heading paths. If trafilatura finds nothing, or loses most of the
headings, a plain lxml walk of <main>/<article>/<body> with boilerplate removed is used.
`extract_html` is shared with the URL fetcher.
"""

from __future__ import annotations

import logging
import re

import lxml.html
from lxml import etree

from ..document import Block, BlockKind, Locator, ParsedDocument
from ..registry import ParseOptions, register_parser
from ..tables import pipe_table
from ..textdecode import decode_text

log = logging.getLogger(__name__)

MEDIA_TYPE = "text/html"
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([-\w.:]+)""", re.I)
_CHARSET_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030"}
_CHARSET_ALIASES |= dict.fromkeys(("iso-8859-1", "latin1", "latin-1", "us-ascii"), "cp1252")

_HEADING_TAGS = {f"h{n}": n for n in range(1, 7)}
_DROP_TAGS = (
    "script", "style", "noscript", "template", "nav", "aside", "footer", "form", "iframe",
    "svg", "canvas", "button", "select", "textarea", "input", "menu", "dialog", "object",
    "embed",
)  # fmt: skip
_DROP_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search", "menu", "menubar"}
_BOILERPLATE_HINT = re.compile(
    r"(?:^|[-_\s])(?:nav|navbar|menu|sidebar|breadcrumbs?|footer|cookies?|share|social|related"
    r"|comments?|ads?|advert\w*|banner|toolbar|pagination|pager|copyright)(?:$|[-_\s])",
    re.I,
)
_INLINE_TAGS = {
    "a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "del", "dfn", "em", "font", "i",
    "img", "ins", "kbd", "label", "mark", "q", "s", "samp", "small", "span", "strong", "sub",
    "sup", "time", "tt", "u", "var", "wbr", "br",
}  # fmt: skip


def _clean(text: str) -> str:
    """Collapse whitespace within each line; drop empty lines."""
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


class _Builder:
    """Collects blocks, keeping the heading path of the headings seen so far."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.path: list[tuple[int, str]] = []

    def heading(self, text: str, level: int) -> None:
        text = " ".join(text.split())
        if not text:
            return
        while self.path and self.path[-1][0] >= level:
            self.path.pop()
        self.path.append((level, text))
        self.add(text, "heading", level)

    def add(self, text: str, kind: BlockKind, level: int = 0) -> None:
        text = text if kind == "code" else _clean(text)
        if text.strip():
            locator = Locator(heading_path=tuple(t for _, t in self.path))
            self.blocks.append(Block(text, kind, locator, level=level))


# ---------------------------------------------------------------------------- trafilatura


def _xml_text(el: etree._Element, skip: tuple[str, ...] = ()) -> str:
    """Text of a trafilatura XML element; <lb/> is a line break, `skip` tags are left out."""
    parts = [el.text or ""]
    for child in el:
        if child.tag == "lb":
            parts.append("\n")
        elif child.tag not in skip:
            parts.append(_xml_text(child, skip))
        parts.append(child.tail or "")
    return "".join(parts)


def _xml_item(item: etree._Element, depth: int = 0) -> list[str]:
    own = " ".join(_xml_text(item, skip=("list",)).split())
    lines = [("  " * (depth - 1) + "- " + own) if depth else own] if own else []
    for sub in item.iter("list"):
        if sub.getparent() is item:
            for child in sub.iterchildren("item"):
                lines.extend(_xml_item(child, depth + 1))
    return lines


def _walk_xml(el: etree._Element, out: _Builder) -> None:
    for child in el:
        tag = child.tag
        if tag == "head":
            match = re.fullmatch(r"h([1-6])", child.get("rend", ""))
            out.heading(_xml_text(child), int(match.group(1)) if match else 2)
        elif tag == "list":
            for item in child.iterchildren("item"):
                out.add("\n".join(_xml_item(item)), "list_item")
        elif tag == "table":
            rows = [
                [" ".join(_xml_text(cell).split()) for cell in row.iterchildren("cell")]
                for row in child.iter("row")
            ]
            out.add(pipe_table(rows), "table")
        elif tag == "code":
            out.add(_xml_text(child).strip("\n"), "code")
        elif tag in ("p", "quote") and not len(child.xpath("p|list|table|head|quote")):
            out.add(_xml_text(child), "paragraph")
        elif tag in ("graphic", "comments"):
            continue
        else:  # div, quote with blocks, anything unexpected: walk into it
            if (child.text or "").strip():
                out.add(child.text or "", "paragraph")
            _walk_xml(child, out)
        if (child.tail or "").strip():
            out.add(child.tail or "", "paragraph")


def _trafilatura_blocks(html: str, url: str | None) -> list[Block] | None:
    try:
        import trafilatura
    except ImportError as exc:  # e.g. lxml.html.clean missing: degrade to the lxml walk
        log.warning("trafilatura unavailable (%s); using the plain HTML walk", exc)
        return None
    try:
        xml = trafilatura.extract(
            html,
            url=url,
            output_format="xml",
            include_tables=True,
            include_formatting=False,
            include_comments=False,
            include_images=False,
            include_links=False,
            favor_recall=True,
        )
        root = etree.fromstring(xml.encode("utf-8")) if xml else None
    except Exception as exc:  # a trafilatura bug must not cost the page: use the plain walk
        log.warning(
            "trafilatura failed (%s: %s); using the plain HTML walk", type(exc).__name__, exc
        )
        return None
    if root is None:
        return None
    main = root.find("main")
    out = _Builder()
    _walk_xml(main if main is not None else root, out)
    return out.blocks


# ---------------------------------------------------------------------------- lxml fallback


def _container(tree: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    """<main>, else the <article> with the most text, else role=main, else <body>."""
    for xpath in ("//main", "//article", "//*[@role='main']"):
        candidates = tree.xpath(xpath)
        if candidates:
            return max(candidates, key=lambda el: len(el.text_content()))
    body = tree.find("body")
    return body if body is not None else tree


def _strip_boilerplate(container: lxml.html.HtmlElement) -> None:
    doomed = []
    for el in container.iter():
        if el is container or not isinstance(el.tag, str):  # comments are skipped when walking
            continue
        hint = f"{el.get('class', '')} {el.get('id', '')}"
        if (
            el.tag in _DROP_TAGS
            or el.get("role", "").lower() in _DROP_ROLES
            or el.get("hidden") is not None
            or "display:none" in el.get("style", "").replace(" ", "").lower()
            or (el.tag == "header" and not el.xpath("ancestor::article|.//h1"))
            or (_BOILERPLATE_HINT.search(hint) and not el.xpath(".//h1"))
        ):
            doomed.append(el)
    for el in doomed:
        if el.getparent() is not None:
            el.drop_tree()  # keeps the tail text


def _html_text(el: lxml.html.HtmlElement) -> str:
    parts = [el.text or ""]
    for child in el:
        if isinstance(child.tag, str):
            if child.tag == "br":
                parts.append("\n")
            elif child.tag == "img":
                parts.append(child.get("alt", ""))
            else:
                parts.append(_html_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _html_item(li: lxml.html.HtmlElement, depth: int = 0) -> list[str]:
    own_parts = [li.text or ""]
    nested = []
    for child in li:
        if isinstance(child.tag, str) and child.tag in ("ul", "ol"):
            nested.append(child)
        elif isinstance(child.tag, str):
            own_parts.append(_html_text(child))
        own_parts.append(child.tail or "")
    own = " ".join("".join(own_parts).split())
    lines = [("  " * (depth - 1) + "- " + own) if depth else own] if own else []
    for sub in nested:
        for child in sub.iterchildren("li"):
            lines.extend(_html_item(child, depth + 1))
    return lines


def _table_rows(table: lxml.html.HtmlElement) -> list[list[str]]:
    rows = table.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr")
    return [[" ".join(_html_text(c).split()) for c in row.iterchildren("th", "td")] for row in rows]


def _walk_html(el: lxml.html.HtmlElement, out: _Builder) -> None:
    inline: list[str] = [el.text or ""]

    def flush() -> None:
        out.add("".join(inline), "paragraph")
        inline.clear()

    for child in el:
        tag = child.tag if isinstance(child.tag, str) else ""
        if not tag or tag in _INLINE_TAGS:
            inline.append("\n" if tag == "br" else _html_text(child) if tag else "")
        else:
            flush()
            if tag in _HEADING_TAGS:
                out.heading(_html_text(child), _HEADING_TAGS[tag])
            elif tag in ("ul", "ol"):
                for li in child.iterchildren("li"):
                    out.add("\n".join(_html_item(li)), "list_item")
            elif tag == "table":
                out.add(pipe_table(_table_rows(child)), "table")
            elif tag == "pre":
                out.add(child.text_content().strip("\n"), "code")
            elif tag == "p":
                out.add(_html_text(child), "paragraph")
            else:
                _walk_html(child, out)
        inline.append(child.tail or "")
    flush()


def _lxml_blocks(tree: lxml.html.HtmlElement) -> list[Block]:
    container = _container(tree)
    _strip_boilerplate(container)
    out = _Builder()
    _walk_html(container, out)
    return out.blocks


# ---------------------------------------------------------------------------- entry points


def _parse_tree(html: str) -> lxml.html.HtmlElement | None:
    html = _XML_DECLARATION.sub("", html, count=1)
    try:
        return lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return None


def _title(tree: lxml.html.HtmlElement) -> str | None:
    """The first <h1> if the <title> contains it (site names trimmed), else <title> or <h1>."""
    title = " ".join("".join(tree.xpath("//title//text()")[:1]).split()) or None
    h1s = tree.xpath("//h1")
    h1 = " ".join(h1s[0].text_content().split()) if h1s else None
    if h1 and (not title or h1 in title):
        return h1
    return title or h1


def _lost_headings(blocks: list[Block], fallback: list[Block]) -> bool:
    """True if trafilatura kept no heading, or under half of those the plain walk finds.

    On short pages trafilatura falls back to a flat text dump (menus included); losing the
    headings is the sign of that.
    """
    found = sum(1 for b in fallback if b.kind == "heading")
    kept = sum(1 for b in blocks if b.kind == "heading")
    return found >= 1 and (kept == 0 or 2 * kept < found)


def extract_html(html: str, url: str | None = None) -> ParsedDocument:
    """Main-content blocks of an HTML page, with heading paths and the page title."""
    tree = _parse_tree(html) if html.strip() else None
    if tree is None:
        return ParsedDocument(blocks=[], media_type=MEDIA_TYPE)
    title = _title(tree)
    blocks = _trafilatura_blocks(html, url)
    fallback = _lxml_blocks(tree)
    extractor = "trafilatura"
    if not blocks or _lost_headings(blocks, fallback):
        blocks, extractor = fallback, "lxml"
    metadata = {"extractor": extractor} | ({"url": url} if url else {})
    return ParsedDocument(blocks=blocks, media_type=MEDIA_TYPE, title=title, metadata=metadata)


def decode_html(data: bytes, source_name: str) -> str:
    """Decode HTML bytes: a BOM wins, then a <meta charset> that decodes cleanly, then sniffing."""
    if not data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        match = _META_CHARSET.search(data[:4096])
        if match:
            declared = match.group(1).decode("ascii", "replace").lower()
            try:
                text = data.decode(_CHARSET_ALIASES.get(declared, declared))
            except (LookupError, UnicodeDecodeError):
                pass
            else:
                return text.replace("\r\n", "\n").replace("\r", "\n")
    return decode_text(data, source_name)


class HtmlParser:
    name = "html"
    media_types = (MEDIA_TYPE, "application/xhtml+xml")
    extensions = (".html", ".htm", ".xhtml")

    def parse(self, data: bytes, options: ParseOptions) -> ParsedDocument:
        name = options.source_name or "this HTML page"
        html = decode_html(data, name)
        if not html.strip():
            return ParsedDocument(blocks=[], media_type=MEDIA_TYPE)
        return extract_html(html, url=options.extra.get("url"))


register_parser(HtmlParser())
