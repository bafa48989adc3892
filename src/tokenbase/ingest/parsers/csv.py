"""CSV and TSV files: decoded like any text file, then one block per data row (see xlsx.py).

The delimiter is sniffed (comma, tab, semicolon or pipe); a row's locator gives the line it
starts on, counting the header line as 1.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator

from ..document import ParsedDocument
from ..errors import CorruptDocument
from ..registry import ParseOptions, register_parser
from ..textdecode import decode_text
from .xlsx import format_cell, table_blocks

DELIMITERS = (",", "\t", ";", "|")
_SAMPLE_LINES = 50
_MAX_FIELD = 16 * 1024 * 1024

csv.field_size_limit(max(csv.field_size_limit(), _MAX_FIELD))  # only ever raised


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the most consistent number of fields."""
    sample = "\n".join(text.split("\n", _SAMPLE_LINES)[:_SAMPLE_LINES])
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        sniffed = None
    scores = {d: _consistency(sample, d) for d in DELIMITERS}
    if sniffed in scores and scores[sniffed] >= (0.5, 2):
        return sniffed
    best = max(DELIMITERS, key=lambda d: scores[d])
    return best if scores[best][1] >= 2 else ","


def _consistency(sample: str, delimiter: str) -> tuple[float, int]:
    """(share of rows with the most common field count, that count)."""
    try:
        counts = Counter(len(r) for r in csv.reader(io.StringIO(sample), delimiter=delimiter) if r)
    except csv.Error:
        return (0.0, 0)
    if not counts:
        return (0.0, 0)
    fields, rows = counts.most_common(1)[0]
    return (rows / sum(counts.values()), fields)


def _rows(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    line = 0
    for row in reader:
        start, line = line + 1, reader.line_num
        yield start, [format_cell(cell) for cell in row]


class CsvParser:
    name = "csv"
    media_types = ("text/csv", "text/tab-separated-values")
    extensions = (".csv", ".tsv")

    def parse(self, data: bytes, options: ParseOptions) -> ParsedDocument:
        name = options.source_name or "this CSV file"
        text = decode_text(data, name)
        if not text.strip():
            return ParsedDocument(blocks=[], media_type=self.media_types[0])
        tsv = name.lower().endswith(".tsv")
        delimiter = "\t" if tsv else sniff_delimiter(text)
        try:
            blocks = table_blocks(_rows(text, delimiter), sheet=None, heading_level=1)
        except csv.Error as exc:
            raise CorruptDocument(
                f"'{name}' is not well-formed CSV ({exc}). Open it in Excel or WPS, save it "
                "again as 'CSV UTF-8', and upload it again."
            ) from exc
        return ParsedDocument(
            blocks=blocks,
            media_type=self.media_types[1] if tsv else self.media_types[0],
            metadata={"delimiter": delimiter},
        )


register_parser(CsvParser())
