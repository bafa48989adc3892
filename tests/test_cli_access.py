"""The CLI end to end as an administrator would use it: departments, users, grants, classified
documents, and two users who ask the same question and get different, correct answers."""

import json
from pathlib import Path

from typer.testing import CliRunner

from tokenbase.cli import app

runner = CliRunner()

DOCS = {
    "研发/研发预算.md": "# 研发预算\n\n2027年研发预算总额为3200万元，其中算力采购占六成。\n",
    "研发/研发周报.md": "# 研发周报\n\n本周研发部完成了检索服务的压力测试，预算执行正常。\n",
    "财务/差旅制度.md": "# 差旅制度\n\n一线城市住宿标准为每晚500元，二线城市为每晚380元。\n",
}


def _run(data_dir: Path, *args: str, stdin: str | None = None) -> str:
    result = runner.invoke(app, [*args, "--data-dir", str(data_dir)], input=stdin)
    assert result.exit_code == 0, result.output
    return result.stdout


def _ask(data_dir: Path, user: str, question: str) -> dict:
    return json.loads(_run(data_dir, "ask", question, "--as", user, "--json"))


def test_two_users_get_different_correct_answers(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for name, body in DOCS.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(body, encoding="utf-8")
    _run(data, "admin", "create", "--username", "root", "--password-stdin", stdin="Gx7-pass-2026\n")
    _run(data, "dept", "create", "总部")
    _run(data, "dept", "create", "研发部", "--parent", "总部")
    _run(data, "dept", "create", "财务部", "--parent", "总部")
    _run(data, "user", "create", "alice", "--department", "总部/研发部", "--clearance", "机密")
    _run(data, "user", "create", "bob", "--department", "总部/财务部", "--clearance", "内部")
    _run(
        data,
        "ingest",
        str(tmp_path / "研发/研发预算.md"),
        "--kb",
        "研发",
        "--classification",
        "机密",
    )
    _run(
        data,
        "ingest",
        str(tmp_path / "研发/研发周报.md"),
        "--kb",
        "研发",
        "--classification",
        "内部",
    )
    _run(
        data,
        "ingest",
        str(tmp_path / "财务/差旅制度.md"),
        "--kb",
        "财务",
        "--classification",
        "内部",
    )
    _run(data, "grant", "研发", "--department", "总部/研发部", "--level", "read")
    _run(data, "grant", "财务", "--department", "总部", "--level", "read")  # inherited below
    _run(data, "grant", "研发", "--user", "bob", "--level", "read")

    question = "2027年研发预算总额是多少？"
    alice = _ask(data, "alice", question)
    assert alice["found"] and "3200万元" in alice["answer"]
    assert {c["title"] for c in alice["citations"]} == {"研发预算"}

    bob = _ask(data, "bob", question)  # may read 研发, but not its 机密 document
    assert "3200万元" not in json.dumps(bob, ensure_ascii=False)
    assert all(r["title"] != "研发预算" for r in bob["results"])

    # Both read 财务 through the grant to 总部, inherited by their departments.
    for user in ("alice", "bob"):
        answer = _ask(data, user, "一线城市住宿标准是多少？")
        assert answer["found"] and "500元" in answer["answer"]

    hits = json.loads(_run(data, "search", "研发预算", "--as", "bob", "--json"))
    assert hits and all(h["classification"] != "机密" for h in hits)
    result = runner.invoke(app, ["search", "预算", "--as", "nobody", "--data-dir", str(data)])
    assert result.exit_code == 1 and "no user named nobody" in result.output
