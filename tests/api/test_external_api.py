"""Red line 3 over the API: a document's usage is set at upload and changed with PATCH; an
external answer uses only documents cleared for it and lists the others."""

from __future__ import annotations

from tokenbase.ingest import jobs as jobstore


def test_usage_labels_and_external_answers(make_app):  # type: ignore[no-untyped-def]
    _app, platform, key, client = make_app()

    with client(headers={"Authorization": f"Bearer {key}"}) as http:
        assert http.post("/knowledge-bases", json={"name": "sales"}).status_code == 201
        files = {
            "files": ("产品手册.md", "# 产品手册\n\n企业版标准售价为每用户每年300元。\n".encode())
        }
        r = http.post("/knowledge-bases/sales/documents", files=files, data={"usage": "external"})
        assert r.status_code == 202, r.text
        r = http.post(
            "/knowledge-bases/sales/documents",
            files={
                "files": ("内部定价.md", "# 内部定价\n\n企业版成本价为每用户每年90元。\n".encode())
            },
        )
        assert r.status_code == 202
        ingestor = platform.ingestor()  # the app runs without its worker thread here
        queued = [j.id for j in jobstore.list_jobs(platform.db.engine) if j.status == "queued"]
        assert not ingestor.run(queued).failed
        docs = {d["title"]: d for d in http.get("/knowledge-bases/sales/documents").json()}
        assert docs["产品手册"]["usage"] == "external" and docs["内部定价"]["usage"] == "internal"

        question = {
            "question": "企业版的标准售价是多少？",
            "kbs": ["sales"],
            "audience": "external",
        }
        answer = http.post("/ask", json=question).json()
        assert "300元" in answer["answer"] and "90元" not in answer["answer"]
        assert [s["title"] for s in answer["excluded_sources"]] == ["内部定价"]

        # Clear the internal document for external use: it is no longer left out.
        r = http.patch(f"/documents/{docs['内部定价']['id']}", json={"usage": "external"})
        assert r.status_code == 200 and r.json()["usage"] == "external"
        again = http.post("/ask", json=question).json()
        assert again["excluded_sources"] == []
        bad = http.patch(f"/documents/{docs['内部定价']['id']}", json={"usage": "public"})
        assert bad.status_code == 422 and "usage" in bad.json()["error"]["message"]
