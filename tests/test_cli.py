"""The CLI end to end: quickstart on the bundled samples, search --explain, ask --json."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tokenbase.cli import app
from tokenbase.quickstart import sample_questions

runner = CliRunner()


@pytest.fixture(scope="module")
def quickstart_dir(tmp_path_factory) -> Path:
    data_dir = tmp_path_factory.mktemp("qs") / "data"
    result = runner.invoke(app, ["quickstart", "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    assert "0 failed" in result.output
    return data_dir


def test_quickstart_answers_each_sample_question_from_the_right_document(quickstart_dir: Path):
    for item in sample_questions():
        result = runner.invoke(
            app,
            [
                "ask",
                item["question"],
                "--kb",
                "quickstart",
                "--json",
                "--data-dir",
                str(quickstart_dir),
            ],
        )
        assert result.exit_code == 0, result.output
        answer = json.loads(result.stdout)
        assert answer["found"] and answer["kind"] == "extractive"
        expected_title = Path(item["expected_document"]).stem
        cited = [c for c in answer["citations"] if f"[{c['n']}]" in answer["answer"]]
        assert cited, answer
        first = cited[0]
        assert expected_title[:4] in first["title"] or first["source"].endswith(
            item["expected_document"]
        ), (item["question"], first)
        for phrase in item["expected_phrases"]:
            assert phrase in answer["answer"].replace("：", ":"), (phrase, answer["answer"])


def test_ocr_document_is_cited_with_page_and_ocr_marker(quickstart_dir: Path):
    result = runner.invoke(
        app,
        [
            "ask",
            "春节放假共几天",
            "--kb",
            "quickstart",
            "--json",
            "--data-dir",
            str(quickstart_dir),
        ],
    )
    answer = json.loads(result.stdout)
    locators = [c["locator"] for c in answer["citations"]]
    assert {"page": 1, "ocr": True}.items() <= locators[0].items()


def test_unrelated_question_is_not_answered(quickstart_dir: Path):
    result = runner.invoke(
        app,
        [
            "ask",
            "火星上有几座城市？",
            "--kb",
            "quickstart",
            "--json",
            "--data-dir",
            str(quickstart_dir),
        ],
    )
    answer = json.loads(result.stdout)
    assert not answer["found"] and answer["kind"] == "not_found"
    assert answer["citations"] == []


def test_search_explain_and_json(quickstart_dir: Path):
    result = runner.invoke(
        app,
        [
            "search",
            "年假天数",
            "--kb",
            "quickstart",
            "--explain",
            "--data-dir",
            str(quickstart_dir),
        ],
    )
    assert result.exit_code == 0
    assert "lexical: rank" in result.output and "dense: rank" in result.output
    result = runner.invoke(
        app,
        [
            "search",
            "年假天数",
            "--kb",
            "quickstart",
            "--json",
            "--limit",
            "3",
            "--data-dir",
            str(quickstart_dir),
        ],
    )
    hits = json.loads(result.stdout)
    assert len(hits) == 3
    assert {"document_id", "source", "title", "locator", "scores", "text"} - set(hits[0]) <= {
        "scores"
    }
    assert hits[0]["channels"]


def test_unknown_kb_is_a_clear_error(quickstart_dir: Path):
    result = runner.invoke(app, ["search", "x", "--kb", "nope", "--data-dir", str(quickstart_dir)])
    assert result.exit_code == 1
    assert "no knowledge base named nope" in result.output


def test_ingest_ls_resume_rm_flow(tmp_path: Path):
    from .corpus import write_corpus

    folder = write_corpus(tmp_path / "docs")
    data = ["--data-dir", str(tmp_path / "data")]
    result = runner.invoke(
        app, ["ingest", str(folder), "--kb", "hr", "--no-embed", "-c", "机密", "--json", *data]
    )
    assert result.exit_code == 0, result.output
    jobs = json.loads(result.stdout)
    assert {j["status"] for j in jobs} == {"queued"} and {j["stage"] for j in jobs} == {"embed"}

    docs = json.loads(runner.invoke(app, ["ls", "--json", *data]).stdout)
    assert len(docs) == 3 and {d["classification"] for d in docs} == {"机密"}
    assert {d["status"] for d in docs} == {"indexed"}

    result = runner.invoke(app, ["resume", *data])
    assert result.exit_code == 0 and "3 done" in result.output
    docs = json.loads(runner.invoke(app, ["ls", "--json", *data]).stdout)
    assert {d["status"] for d in docs} == {"ready"}

    result = runner.invoke(app, ["rm", "食堂.md", "--kb", "hr", *data])
    assert result.exit_code == 0 and "Removed" in result.output
    kbs = json.loads(runner.invoke(app, ["kb", "list", "--json", *data]).stdout)
    assert kbs[0]["name"] == "hr" and kbs[0]["documents"] == 2

    result = runner.invoke(app, ["rm", "nothing-like-this", *data])
    assert result.exit_code == 1 and "tokenbase ls" in result.output
