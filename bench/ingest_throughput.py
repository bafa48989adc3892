"""Ingest throughput: text PDFs to "lexically searchable", and the dense-embedding pass.

Synthesises text PDFs (fpdf2, WenQuanYi Micro Hei) filled with real Chinese passages from the
bench-data corpora, then measures in one run:

1. raw pypdfium2 text extraction, pages/s (the floor any PDF ingest pays);
2. the stages alone: PdfParser.parse, chunk_document, Tokenizer.index_text;
3. `Ingestor.run(embed=False)`: fetch + parse + chunk + index, pages/s (target >= 200 on 2 cores);
4. the embed pass (`Ingestor.run(embed=True)` over the pending jobs of the first N PDFs),
   chunks/s, against `embedder.embed_passages` on the same texts in batches of 32.

    PYTHONPATH=src python bench/ingest_throughput.py                  # 40 PDFs x 25 pages
    python bench/ingest_throughput.py --pdfs 8 --pages 25 --embed-pdfs 1

Outputs: a markdown table on stdout and bench/out/ingest_throughput.json.
"""

from __future__ import annotations

import argparse
import itertools
import random
import re
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

from common import (
    OUT,
    CountingProgress,
    machine_info,
    markdown_table,
    print_machine,
    read_jsonl,
    require_data,
    write_json,
)
from sqlalchemy import text

from tokenbase.config import load_settings
from tokenbase.ingest.chunker import chunk_document, context_for
from tokenbase.ingest.document import Locator
from tokenbase.ingest.parsers.pdf import PdfParser
from tokenbase.ingest.registry import ParseOptions
from tokenbase.ingest.sources import expand_sources
from tokenbase.kb.platform import Platform

FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
# Characters of text per page: a full A4 page of 11 pt CJK holds ~1,700; a government
# document (GB/T 9704: 22 lines x 28 characters) ~600; an ordinary report page ~800-1,200.
CHARS_PER_PAGE = 1000
_SENTENCE = re.compile(r"[^。！？；]*[。！？；]")


# -- synthetic PDFs ---------------------------------------------------------------------------
def paragraph_stream(data: Path, seed: int = 7) -> list[tuple[str, str]]:
    """(title, paragraph) pairs from the domainrag and cmrc2018 corpora, shuffled."""
    rows = read_jsonl(data / "domainrag" / "corpus.jsonl")
    rows += read_jsonl(data / "cmrc2018" / "corpus.jsonl")
    random.Random(seed).shuffle(rows)
    out = []
    for row in rows:
        for para in row["text"].split("\n"):
            para = para.strip()
            if len(para) >= 20:
                out.append((row.get("title") or "", para))
    return out


def _cut(paragraph: str, limit: int) -> str:
    """At most `limit` characters, ending at a sentence boundary when possible."""
    if len(paragraph) <= limit:
        return paragraph
    kept = ""
    for sentence in _SENTENCE.findall(paragraph):
        if len(kept) + len(sentence) > limit:
            break
        kept += sentence
    return kept or paragraph[:limit]


def make_pdf(dest: Path, title: str, pages: list[list[str]]) -> None:
    from fpdf import FPDF
    from fpdf.enums import WrapMode

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=False)
    pdf.add_font("cjk", fname=str(FONT))
    pdf.set_title(title)
    for number, paragraphs in enumerate(pages, 1):
        pdf.add_page()
        pdf.set_font("cjk", size=15)
        pdf.multi_cell(0, 9, f"{title}（第 {number} 节）", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
        pdf.set_font("cjk", size=11)
        for paragraph in paragraphs:
            pdf.multi_cell(0, 6, paragraph, new_x="LMARGIN", new_y="NEXT", wrapmode=WrapMode.CHAR)
            pdf.ln(2)
        if pdf.get_y() > pdf.h - 18:
            raise RuntimeError(f"page {number} of {dest.name} overflows; lower --chars-per-page")
        pdf.set_font("cjk", size=9)
        pdf.set_xy(pdf.l_margin, pdf.h - 14)
        pdf.cell(0, 6, f"第 {number} 页 / 共 {len(pages)} 页", align="C")
    pdf.output(str(dest))


def build_pdfs(data: Path, folder: Path, n_pdfs: int, n_pages: int, per_page: int) -> float:
    """Write the PDFs unless a complete set is cached; returns seconds spent generating."""
    marker = folder / ".complete"
    if marker.exists():
        return 0.0
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    stream = itertools.cycle(paragraph_stream(data))  # ~1.7M characters, then repeats
    start = time.perf_counter()
    for i in range(n_pdfs):
        doc_title = ""
        pages = []
        for _ in range(n_pages):
            paragraphs, used = [], 0
            while used < per_page - 100:
                title, para = next(stream)
                doc_title = doc_title or title
                para = _cut(para, per_page - used)
                paragraphs.append(para)
                used += len(para)
            pages.append(paragraphs)
        make_pdf(folder / f"report_{i + 1:03d}.pdf", f"{doc_title or '报告'}专题资料汇编", pages)
    marker.write_text("ok")
    return time.perf_counter() - start


# -- measurements -----------------------------------------------------------------------------
def raw_extract(paths: list[Path]) -> tuple[int, int, float]:
    """pypdfium2 text extraction only: (pages, characters, seconds)."""
    import pypdfium2 as pdfium

    pages = chars = 0
    start = time.perf_counter()
    for path in paths:
        doc = pdfium.PdfDocument(path.read_bytes())
        for page in doc:
            textpage = page.get_textpage()
            chars += len(textpage.get_text_range())
            textpage.close()
            page.close()
            pages += 1
        doc.close()
    return pages, chars, time.perf_counter() - start


def stage_times(paths: list[Path], platform: Platform) -> dict[str, float]:
    """Seconds for parse, chunk and jieba tokenisation alone, over all PDFs."""
    parser = PdfParser()
    settings = platform.settings.ingest
    parsed, pieces = [], []
    start = time.perf_counter()
    for path in paths:
        options = ParseOptions(ocr=False, source_name=path.name)
        parsed.append(parser.parse(path.read_bytes(), options))
    parse_s = time.perf_counter() - start
    start = time.perf_counter()
    for doc in parsed:
        pieces.extend(chunk_document(doc, settings.chunk_tokens, settings.chunk_overlap_tokens))
    chunk_s = time.perf_counter() - start
    start = time.perf_counter()
    for piece in pieces:
        platform.tokenizer.index_text(piece.index_text)
    tokenize_s = time.perf_counter() - start
    return {"parse_s": parse_s, "chunk_s": chunk_s, "tokenize_s": tokenize_s, "chunks": len(pieces)}


def embed_texts(platform: Platform, job_ids: list[int]) -> list[str]:
    """The exact texts the embed pass feeds the embedder for these jobs' chunks."""
    import json

    with platform.db.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.text, c.locator FROM chunks c JOIN jobs j ON j.document_id = "
                f"c.document_id WHERE j.id IN ({','.join(map(str, job_ids))}) "
                "ORDER BY c.document_id, c.ordinal"
            )
        ).all()
    texts = []
    for chunk_text, locator in rows:
        loc = locator if isinstance(locator, dict) else json.loads(locator or "{}")
        context = context_for(Locator.from_dict(loc))
        texts.append(f"{context}\n{chunk_text}" if context else chunk_text)
    return texts


def raw_embed(platform: Platform, texts: list[str], batch: int = 32) -> float:
    start = time.perf_counter()
    for i in range(0, len(texts), batch):
        platform.embedder.embed_passages(texts[i : i + batch])
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pdfs", type=int, default=40)
    parser.add_argument("--pages", type=int, default=25, help="pages per PDF")
    parser.add_argument("--chars-per-page", type=int, default=CHARS_PER_PAGE)
    parser.add_argument(
        "--repeat", type=int, default=3, help="index passes (fresh data dir each); median"
    )
    parser.add_argument(
        "--embed-pdfs", type=int, default=3, help="PDFs whose chunks the embed pass measures"
    )
    parser.add_argument("--out", type=Path, default=OUT / "ingest_throughput.json")
    args = parser.parse_args()
    data = require_data("domainrag/corpus.jsonl", "cmrc2018/corpus.jsonl")
    if not FONT.exists():
        print(f"SKIP: CJK font {FONT} not found (apt-get install fonts-wqy-microhei)")
        raise SystemExit(0)
    info = machine_info()
    print_machine(info)

    folder = OUT / "pdfs" / f"{args.pdfs}x{args.pages}x{args.chars_per_page}"
    gen_s = build_pdfs(data, folder, args.pdfs, args.pages, args.chars_per_page)
    paths = sorted(folder.glob("*.pdf"))
    size_mb = sum(p.stat().st_size for p in paths) / 1e6
    print(f"{len(paths)} PDFs, {size_mb:.1f} MB in {folder} (generated in {gen_s:.1f} s)")

    # Warm the page cache, PDFium and jieba so no measurement pays a one-off load.
    raw_extract(paths[:1])
    pages, chars, raw_s = raw_extract(paths)
    print(f"raw pypdfium2: {pages} pages, {chars} chars, {pages / raw_s:.0f} pages/s")

    data_dir = OUT / "ingest_throughput" / "data"
    index_times: list[float] = []
    for attempt in range(args.repeat):  # a fresh data dir each time; the last one is kept
        if data_dir.exists():
            shutil.rmtree(data_dir)
        platform = Platform(load_settings(data_dir))
        platform.tokenizer.index_text("预热分词器")
        if attempt == 0:
            stages = stage_times(paths, platform)
            print(f"stages alone: {stages}")
        ingestor = platform.ingestor(embed=True)
        sources, _ = expand_sources([str(folder)])
        ids = ingestor.enqueue(sources, "bench")
        start = time.perf_counter()
        with CountingProgress(len(ids), f"index (embed=False) #{attempt + 1}") as progress:
            summary = ingestor.run(ids, progress, embed=False)
        index_times.append(time.perf_counter() - start)
        assert not summary.failed, progress.failed
        print(f"pipeline index pass: {pages / index_times[-1]:.0f} pages/s")
        if attempt < args.repeat - 1:
            platform.close()
    index_s = statistics.median(index_times)
    try:
        with platform.db.engine.connect() as conn:
            n_chunks = conn.execute(text("SELECT count(*) FROM chunks")).scalar_one()

        embed_ids = ids[: args.embed_pdfs]
        texts = embed_texts(platform, embed_ids)
        platform.embedder.embed_passages(texts[:2])  # load the model outside the timings
        raw_before = raw_embed(platform, texts)
        start = time.perf_counter()
        with CountingProgress(len(embed_ids), "embed pass") as progress:
            ingestor.run(embed_ids, progress, embed=True)
        embed_s = time.perf_counter() - start
        raw_after = raw_embed(platform, texts)
    finally:
        platform.close()
    raw_embed_s = (raw_before + raw_after) / 2
    n = len(texts)
    results: dict[str, Any] = {
        "machine": info,
        "pdfs": len(paths),
        "pages": pages,
        "characters": chars,
        "pdf_megabytes": round(size_mb, 1),
        "chunks": n_chunks,
        "raw_pypdfium2_pages_per_s": round(pages / raw_s, 1),
        "parse_only_pages_per_s": round(pages / stages["parse_s"], 1),
        "chunk_only_pages_per_s": round(pages / stages["chunk_s"], 1),
        "tokenize_only_pages_per_s": round(pages / stages["tokenize_s"], 1),
        "pipeline_index_s": round(index_s, 2),
        "pipeline_index_s_runs": [round(t, 2) for t in index_times],
        "pipeline_pages_per_s": round(pages / index_s, 1),
        "pipeline_chars_per_s": round(chars / index_s),
        "pipeline_vs_raw_ratio": round(raw_s / index_s, 3),
        "embed_chunks": n,
        "embed_pass_s": round(embed_s, 1),
        "embed_pass_chunks_per_s": round(n / embed_s, 2),
        "raw_embedder_s": [round(raw_before, 1), round(raw_after, 1)],
        "raw_embedder_chunks_per_s": round(n / raw_embed_s, 2),
        "embed_pass_vs_raw_ratio": round(raw_embed_s / embed_s, 3),
        "mean_chunk_chars": round(sum(len(t) for t in texts) / max(1, n)),
    }
    rows = [
        ["raw pypdfium2 text extraction", f"{results['raw_pypdfium2_pages_per_s']} pages/s"],
        ["PdfParser.parse alone", f"{results['parse_only_pages_per_s']} pages/s"],
        ["chunk_document alone", f"{results['chunk_only_pages_per_s']} pages/s"],
        ["jieba index_text alone", f"{results['tokenize_only_pages_per_s']} pages/s"],
        [
            f"Ingestor.run(embed=False), median of {args.repeat}",
            f"{results['pipeline_pages_per_s']} pages/s "
            f"({results['pipeline_chars_per_s']} chars/s)",
        ],
        ["pipeline / raw extraction", f"{results['pipeline_vs_raw_ratio']}"],
        ["embed pass (Ingestor.run embed=True)", f"{results['embed_pass_chunks_per_s']} chunks/s"],
        ["embed_passages, batches of 32", f"{results['raw_embedder_chunks_per_s']} chunks/s"],
        ["embed pass / raw embedder", f"{results['embed_pass_vs_raw_ratio']}"],
    ]
    print("\n" + markdown_table(["measure", "value"], rows))
    write_json(args.out, results)


if __name__ == "__main__":
    main()
