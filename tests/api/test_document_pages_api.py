"""PDF pages for the source viewer (both backends): a page as PNG under the download's read
check, and the boxes of a chunk's lines on its page."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from tokenbase.db.schema import chunks, documents, knowledge_bases
from tokenbase.identity.grants import set_grant
from tokenbase.identity.keys import create_key
from tokenbase.identity.users import create_user
from tokenbase.ingest.sources import expand_sources

from ..corpus import write_corpus
from ..ingest.parsers.makers import make_text_pdf


def _ingest(platform, folder: Path, kb: str) -> None:
    sources, _ = expand_sources([str(folder)])
    ingestor = platform.ingestor()
    assert not ingestor.run(ingestor.enqueue(sources, kb)).failed


def test_a_pdf_page_and_where_a_chunk_stands_on_it(make_app, tmp_path, cjk_font) -> None:
    _app, platform, _admin, client = make_app()
    folder = write_corpus(tmp_path / "docs")
    make_text_pdf(cjk_font, dest=folder / "员工手册.pdf")
    _ingest(platform, folder, "hr")
    with platform.db.engine.begin() as conn:
        kb = conn.execute(select(knowledge_bases.c.id)).scalar_one()
        alice = create_user(conn, "alice", password=None)
        bob = create_user(conn, "bob", password=None)
        set_grant(conn, kb, "user", alice.id, "read")
        keys = {u.username: create_key(conn, u.id, "t", ["read"])[1] for u in (alice, bob)}
        docs = dict(conn.execute(select(documents.c.media_type, documents.c.id)).all())
        pdf = docs["application/pdf"]
        rows = conn.execute(
            select(chunks.c.id, chunks.c.text, chunks.c.locator).where(chunks.c.document_id == pdf)
        ).all()
    chunk = next(r for r in rows if "五千元" in r.text)
    markdown = docs["text/markdown"]

    def get(path: str, who: str = "alice", **params):
        with client(headers={"Authorization": f"Bearer {keys[who]}"}) as http:
            return http.get(path, params=params)

    page = get(f"/documents/{pdf}/pages/2.png", width=400)
    assert page.status_code == 200 and page.headers["content-type"] == "image/png"
    assert page.content.startswith(b"\x89PNG")
    areas = get(f"/chunks/{chunk.id}/areas").json()  # the whole chunk: every page marked
    assert areas["document_id"] == pdf and [p["page"] for p in areas["pages"]] == [1, 2, 3]
    assert all(p["boxes"] for p in areas["pages"])
    quote = "单笔金额超过五千元的报销申请，须经部门负责人和财务总监共同审批。"
    quoted = get(f"/chunks/{chunk.id}/areas", quote=quote).json()["pages"]
    assert [p["page"] for p in quoted if p["boxes"]] == [2]  # the cited sentence: one line
    boxes = quoted[1]["boxes"]
    assert len(boxes) == 1
    assert all(0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1 for x0, y0, x1, y1 in boxes)

    denied = [
        get(f"/documents/{pdf}/pages/2.png", "bob"),  # no grant: the same 404 as missing
        get(f"/chunks/{chunk.id}/areas", "bob"),
        get(f"/documents/{pdf}/pages/9.png"),
        get(f"/documents/{markdown}/pages/1.png"),
    ]
    assert [r.status_code for r in denied] == [404] * 4
    codes = [r.json()["error"]["code"] for r in denied]
    assert codes == ["document_not_found", "chunk_not_found", "page_not_found", "not_a_pdf"]
    assert get(f"/documents/{pdf}/pages/0.png").status_code == 422
