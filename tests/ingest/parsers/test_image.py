"""Image parser: OCR of generated pictures of Chinese text, and broken images."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ingest.parsers.makers import make_image, make_multipage_tiff
from tokenbase.ingest.document import Locator, ParsedDocument
from tokenbase.ingest.errors import CorruptDocument, EmptyFile
from tokenbase.ingest.parsers.image import ImageParser
from tokenbase.ingest.registry import ParseOptions


def parse(data: bytes, **options: object) -> ParsedDocument:
    return ImageParser().parse(data, ParseOptions(source_name="须知.png", **options))  # type: ignore[arg-type]


def test_parser_declares_image_types() -> None:
    parser = ImageParser()
    assert {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"} <= set(parser.extensions)
    assert "image/png" in parser.media_types and "image/jpeg" in parser.media_types


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_image_text_is_recognised(cjk_font: Path, fmt: str) -> None:
    calls: list[tuple[int, int]] = []
    doc = parse(make_image(cjk_font, fmt=fmt), progress=lambda d, t: calls.append((d, t)))
    assert doc.ocr_pages == 1
    assert doc.media_type == ("image/png" if fmt == "PNG" else "image/jpeg")
    assert doc.blocks and all(b.locator == Locator(ocr=True) for b in doc.blocks)
    assert "报销" in doc.text and "发票" in doc.text
    assert len(doc.blocks) == 2  # the heading line and the sentence, split by a blank gap
    assert calls == [(1, 1)]
    assert doc.warnings == []


@pytest.mark.slow
def test_multipage_tiff_pages_are_located(cjk_font: Path) -> None:
    doc = parse(make_multipage_tiff(cjk_font, [["报销须知"], ["请附发票"]]))
    assert doc.ocr_pages == 2
    by_page = {b.locator.page: b.text for b in doc.blocks}
    assert "报销" in by_page[1] and "发票" in by_page[2]
    assert all(b.locator.ocr for b in doc.blocks)


def test_ocr_off_reads_nothing_and_warns(cjk_font: Path) -> None:
    doc = parse(make_image(cjk_font), ocr=False)
    assert doc.blocks == [] and doc.ocr_pages == 0
    assert "OCR" in doc.warnings[0] and "须知.png" in doc.warnings[0]


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_truncated_image_is_corrupt(cjk_font: Path, cut: float) -> None:
    data = make_image(cjk_font)
    with pytest.raises(CorruptDocument) as info:
        parse(data[: int(len(data) * cut)])
    assert "须知.png" in str(info.value) and "damaged or truncated" in str(info.value)
    assert info.value.__cause__ is not None


def test_not_an_image_is_corrupt() -> None:
    with pytest.raises(CorruptDocument):
        parse(b"this is text, not pixels")


def test_empty_image() -> None:
    with pytest.raises(EmptyFile):
        parse(b"")
