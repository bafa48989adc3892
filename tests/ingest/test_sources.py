"""URL and SQL sources, through real HTTP on 127.0.0.1 and a real SQLite database."""

import sqlite3
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sqlalchemy import text

from tokenbase.ingest.sources import expand_sources, sql_source
from tokenbase.kb.platform import Platform

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>售后服务 - 云帆</title></head>
<body><nav><a href="/">首页</a> | <a href="/p">产品</a> | <a href="/c">联系我们</a></nav>
<header>云帆智能 官方网站</header>
<main><article><h1>售后服务</h1><h2>服务热线</h2>
<p>客户服务热线为400-826-3300，工作日9:00至18:00有人值守，紧急故障7×24小时响应。</p>
<h2>响应时间</h2><p>企业版客户的一级故障须在30分钟内响应，4小时内恢复服务。</p>
</article></main><footer>版权所有 © 2026 云帆智能 · 浙ICP备00000000号</footer></body></html>"""


class _Site(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path == "/service.html":
            body = PAGE.encode("utf-8")
            self.send_response(200)
            self.send_header("content-type", "text/html; charset=utf-8")
        else:
            body = b"not found"
            self.send_response(404)
            self.send_header("content-type", "text/plain")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_url_is_fetched_and_main_content_extracted(platform: Platform):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        sources, problems = expand_sources([f"{base}/service.html", f"{base}/gone.html"])
        ingestor = platform.ingestor()
        summary = ingestor.run(ingestor.enqueue(sources, "web"))
    finally:
        server.shutdown()
    assert len(summary.done) == 1 and len(summary.failed) == 1
    hit = platform.searcher.search("故障响应时间", ["web"], limit=1).hits[0]
    assert hit.source == f"{base}/service.html"
    assert hit.locator.heading_path[-1] == "响应时间"
    with platform.db.engine.connect() as conn:
        doc_text = conn.execute(text("SELECT text FROM documents")).scalar_one()
    assert "400-826-3300" in doc_text
    assert "浙ICP备" not in doc_text and "联系我们" not in doc_text


def test_sql_rows_become_records_with_table_row_locators(platform: Platform, tmp_path: Path):
    db_path = tmp_path / "crm.db"
    with sqlite3.connect(db_path) as conn:
        conn.execute("CREATE TABLE customers (name TEXT, city TEXT, owner TEXT, note TEXT)")
        conn.executemany(
            "INSERT INTO customers VALUES (?, ?, ?, ?)",
            [
                ("华东精密制造", "苏州", "李娜", "关注私有化部署"),
                ("西南物流集团", "成都", "王强", "试用专业版，预算二季度审批"),
                ("北方能源", "太原", "赵敏", None),
            ],
        )
    sources, _ = expand_sources(
        [f"sqlite:///{db_path}"], sql_query="SELECT * FROM customers ORDER BY rowid"
    )
    ingestor = platform.ingestor()
    summary = ingestor.run(ingestor.enqueue(sources, "crm"))
    assert len(summary.done) == 1
    hit = platform.searcher.search("西南物流 预算", ["crm"], limit=1).hits[0]
    assert "owner：王强" in hit.text
    assert hit.locator.table == "customers"
    assert hit.title == "customers"


def test_sql_source_never_stores_the_password():
    source = sql_source("postgresql://crm:s3cret-pw@db.internal/crm", "select * from deals")
    assert "s3cret-pw" not in source.location
    assert source.location.startswith("sql:postgresql://crm:***@db.internal/crm#")
    assert source.name == "deals"
