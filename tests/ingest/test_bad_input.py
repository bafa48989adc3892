"""Every kind of bad input fails its own job with a clear message; the batch goes on."""

import socket
from pathlib import Path

from typer.testing import CliRunner

from tokenbase.cli import app
from tokenbase.config import load_settings
from tokenbase.ingest import jobs as jobstore
from tokenbase.ingest.sources import expand_sources
from tokenbase.kb.platform import Platform

from .parsers.makers import make_encrypted_pdf, make_text_pdf, make_truncated_pdf


def _closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def test_each_bad_file_fails_alone(tmp_path: Path, cjk_font: Path):
    folder = tmp_path / "batch"
    folder.mkdir()
    make_text_pdf(cjk_font, dest=folder / "good.pdf")
    (folder / "good.md").write_text("# 好文件\n\n这是正常的文档内容。", encoding="utf-8")
    make_encrypted_pdf(cjk_font, dest=folder / "encrypted.pdf")
    make_truncated_pdf(cjk_font, dest=folder / "truncated.pdf")
    (folder / "corrupt.pdf").write_bytes(b"this is not a pdf at all")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "huge.txt").write_bytes("大文件内容。".encode() * 200_000)  # ~3.6 MB
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 40)
    (folder / "program.exe").write_bytes(b"MZ\x90\x00")
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "tokenbase.toml").write_text("[ingest]\nmax_file_size_mb = 1\n", encoding="utf-8")
    platform = Platform(load_settings(data_dir))

    url = f"http://127.0.0.1:{_closed_port()}/missing.html"
    sources, problems = expand_sources([str(folder), url], include=["*"])
    assert not problems
    ingestor = platform.ingestor()
    summary = ingestor.run(ingestor.enqueue(sources, "batch"))
    rows = {
        Path(j.source).name if j.source_kind == "file" else "url": j
        for j in jobstore.list_jobs(platform.db.engine)
    }
    assert rows["good.pdf"].status == "done" and rows["good.md"].status == "done"
    expected = {
        "encrypted.pdf": ("encrypted", "password"),
        "truncated.pdf": ("corrupt", "damaged"),
        "corrupt.pdf": ("corrupt", "damaged"),
        "empty.txt": ("empty_file", "empty"),
        "huge.txt": ("file_too_large", "max_file_size_mb"),
        "binary.txt": ("decoding_error", "UTF-8"),
        "program.exe": ("unsupported_format", "Supported"),
        "url": ("fetch_error", "could not fetch"),
    }
    for name, (code, phrase) in expected.items():
        job = rows[name]
        assert job.status == "failed", name
        assert job.error_code == code, (name, job.error_code, job.error)
        assert phrase.lower() in job.error.lower(), (name, job.error)
    assert len(summary.failed) == len(expected)
    platform.close()

    result = CliRunner().invoke(app, ["jobs", "--failed", "--json", "--data-dir", str(data_dir)])
    assert result.exit_code == 0
    assert result.stdout.count('"status": "failed"') == len(expected)


def test_cli_ingest_reports_missing_path_and_exits_nonzero(tmp_path: Path):
    result = CliRunner().invoke(
        app, ["ingest", str(tmp_path / "nope"), "--data-dir", str(tmp_path / "d")]
    )
    assert result.exit_code == 2
    assert "no such file" in result.output
