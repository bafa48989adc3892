"""Rows from a SQL source: each row becomes a record block with a table/row locator."""

from __future__ import annotations

import json

from ..document import Block, Locator, ParsedDocument
from ..errors import CorruptDocument
from ..registry import ParseOptions, register_parser
from ..sources import SQL_ROWS_MEDIA_TYPE


class SqlRowsParser:
    name = "sql"
    media_types = (SQL_ROWS_MEDIA_TYPE,)
    extensions: tuple[str, ...] = ()

    def parse(self, data: bytes, options: ParseOptions) -> ParsedDocument:
        try:
            payload = json.loads(data)
            table, columns, rows = payload["table"], payload["columns"], payload["rows"]
        except (ValueError, KeyError, TypeError) as exc:
            raise CorruptDocument(f"{options.source_name}: unreadable SQL rows") from exc
        blocks = []
        for number, row in enumerate(rows, 1):
            fields = [
                f"{col}：{val}"
                for col, val in zip(columns, row, strict=False)
                if val not in (None, "")
            ]
            blocks.append(Block("；".join(fields), "row", Locator(table=table, row_start=number)))
        return ParsedDocument(blocks, SQL_ROWS_MEDIA_TYPE, title=table)


register_parser(SqlRowsParser())
