"""Image parser: OCR a picture (PNG, JPEG, BMP, TIFF, WebP) into paragraph blocks.

Multi-page TIFFs (fax-style scans) are read frame by frame, each frame a page.
"""

from __future__ import annotations

import io
from dataclasses import replace

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from ..document import Block, Locator, ParsedDocument
from ..errors import CorruptDocument, EmptyFile, FileTooLarge
from ..ocr import lines_to_paragraphs, recognize
from ..registry import ParseOptions, register_parser

MAX_FRAMES = 200  # a multi-page TIFF longer than this is almost certainly not a scan


def ocr_image_blocks(image: Image.Image, locator: Locator) -> list[Block]:
    """OCR one image into paragraph blocks carrying `locator` (with ocr=True)."""
    located = replace(locator, ocr=True)
    return [
        Block(text=text, kind="paragraph", locator=located)
        for text in lines_to_paragraphs(recognize(image))
        if text.strip()
    ]


def _who(options: ParseOptions) -> str:
    return f"'{options.source_name}'" if options.source_name else "The image"


class ImageParser:
    """Reads text from pictures with OCR; every block is marked as OCR text."""

    name = "image"
    media_types = ("image/png", "image/jpeg", "image/bmp", "image/tiff", "image/webp")
    extensions = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")

    def parse(self, data: bytes, options: ParseOptions) -> ParsedDocument:
        who = _who(options)
        fmt, images = _load_frames(data, who)
        media_type = Image.MIME.get(fmt or "", "image/png")
        if not options.ocr:
            return ParsedDocument(
                blocks=[],
                media_type=media_type,
                warnings=[f"{who} is an image and OCR is turned off, so no text was read."],
            )
        blocks: list[Block] = []
        total = len(images)
        for number, image in enumerate(images, start=1):
            locator = Locator(page=number) if total > 1 else Locator()
            blocks.extend(ocr_image_blocks(image, locator))
            if options.progress:
                options.progress(number, total)
        warnings = [] if blocks else [f"No text was recognised in {who}."]
        return ParsedDocument(
            blocks=blocks,
            media_type=media_type,
            ocr_pages=total,
            warnings=warnings,
            metadata={"width": images[0].width, "height": images[0].height},
        )


def _load_frames(data: bytes, who: str) -> tuple[str | None, list[Image.Image]]:
    """Decode every frame, upright (EXIF orientation applied) and in RGB."""
    if not data:
        raise EmptyFile(f"{who} is empty (0 bytes); re-export or re-download it.")
    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt = image.format
            images = []
            for frame in ImageSequence.Iterator(image):
                images.append(ImageOps.exif_transpose(frame).convert("RGB"))
                if len(images) >= MAX_FRAMES:
                    break
    except Image.DecompressionBombError as exc:
        raise FileTooLarge(
            f"{who} is too large to OCR safely ({exc}); scale it down and ingest again."
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise CorruptDocument(
            f"{who} is damaged or truncated and cannot be read as an image ({exc}); "
            "re-export or re-download it and ingest again."
        ) from exc
    return fmt, images


register_parser(ImageParser())
