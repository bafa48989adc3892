"""OCR with RapidOCR (PP-OCR Chinese/English models shipped inside rapidocr-onnxruntime).

The engine is loaded once per process, lazily, because loading costs about half a second and
most documents never need it. Nothing is downloaded: the ONNX models are package data.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

_engine: Any = None
_lock = threading.Lock()


@dataclass(frozen=True)
class OcrLine:
    text: str
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in image pixels
    score: float


def _get_engine() -> Any:
    global _engine
    with _lock:
        if _engine is None:
            from rapidocr_onnxruntime import RapidOCR

            _engine = RapidOCR()
        return _engine


def recognize(image: Any, min_score: float = 0.5) -> list[OcrLine]:
    """Recognise text lines in a PIL image or an RGB numpy array, in reading order."""
    array = image if isinstance(image, np.ndarray) else np.asarray(image.convert("RGB"))
    result, _elapsed = _get_engine()(array)
    lines: list[OcrLine] = []
    for box, text, score in result or []:
        if float(score) < min_score or not str(text).strip():
            continue
        xs = [p[0] for p in box]
        ys = [p[1] for p in box]
        lines.append(OcrLine(str(text), (min(xs), min(ys), max(xs), max(ys)), float(score)))
    # Reading order: top to bottom by line, then left to right.
    lines.sort(key=lambda ln: (round(ln.box[1] / 12), ln.box[0]))
    return lines


def lines_to_paragraphs(lines: list[OcrLine]) -> list[str]:
    """Group OCR lines into paragraphs: a vertical gap larger than ~1 line height breaks one."""
    paragraphs: list[list[str]] = []
    last_bottom: float | None = None
    for line in lines:
        height = max(1.0, line.box[3] - line.box[1])
        if last_bottom is None or line.box[1] - last_bottom > 0.9 * height:
            paragraphs.append([])
        paragraphs[-1].append(line.text)
        last_bottom = line.box[3]
    return ["".join(p) if _mostly_cjk(p) else " ".join(p) for p in paragraphs]


def _mostly_cjk(parts: list[str]) -> bool:
    text = "".join(parts)
    cjk = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    return cjk * 2 >= len(text.replace(" ", ""))
