"""Administration commands through the CLI runner, and `tokenbase serve` as a real process:
a first start with no users prints a one-time admin password that works exactly once."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
from typer.testing import CliRunner

from tokenbase.cli import app

from .api.server import free_port

runner = CliRunner()


def invoke(data_dir: Path, *args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    result = runner.invoke(app, [*args, "--data-dir", str(data_dir)], input=input)
    return result


def test_admin_user_dept_grant_key_commands(tmp_path: Path):
    d = tmp_path / "data"
    assert (
        invoke(
            d, "admin", "create", "--username", "root", "--password-stdin", input="pw-123456\n"
        ).exit_code
        == 0
    )
    assert invoke(d, "dept", "create", "总部").exit_code == 0
    assert invoke(d, "dept", "create", "研发部", "--parent", "总部").exit_code == 0
    tree = json.loads(invoke(d, "dept", "list", "--json").stdout)
    assert tree[0]["name"] == "总部" and tree[0]["children"][0]["name"] == "研发部"
    created = invoke(
        d, "user", "create", "amy", "--department", "总部/研发部", "--clearance", "机密"
    )
    assert created.exit_code == 0 and "One-time password" in created.stdout
    users = {u["username"]: u for u in json.loads(invoke(d, "user", "list", "--json").stdout)}
    assert users["amy"]["clearance"] == 2 and users["amy"]["must_change_password"]
    assert invoke(d, "kb", "create", "hr").exit_code == 0
    assert invoke(d, "grant", "hr", "--department", "研发部", "--level", "write").exit_code == 0
    assert "研发部" in invoke(d, "grant", "hr").stdout
    key = invoke(d, "key", "create", "--user", "amy", "--name", "ci", "--scope", "read")
    assert key.exit_code == 0 and re.search(r"tb_[0-9a-f]{12}_\S+", key.stdout)
    refused = invoke(d, "key", "create", "--user", "amy", "--name", "x", "--scope", "admin")
    assert refused.exit_code == 1 and "not an admin" in refused.output
    assert invoke(d, "key", "revoke", "1").exit_code == 0
    listed = json.loads(invoke(d, "key", "list", "--json").stdout)
    assert listed[0]["revoked_at"] and "secret" not in json.dumps(listed)
    bad = invoke(d, "user", "set", "amy", "--role", "boss")
    assert bad.exit_code == 1 and "unknown role" in bad.output and "Traceback" not in bad.output
    last = invoke(d, "user", "set", "root", "--role", "member")
    assert last.exit_code == 1 and "last active admin" in last.output


def test_serve_creates_first_admin_with_one_time_password(tmp_path: Path):
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tokenbase",
            "serve",
            "--port",
            str(port),
            "--no-worker",
            "--data-dir",
            str(tmp_path / "data"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"},
    )
    try:
        url = f"http://127.0.0.1:{port}"
        banner = ""
        deadline = time.monotonic() + 60
        while "TokenBase API on" not in banner:
            line = proc.stdout.readline()
            assert line or proc.poll() is None, banner
            banner += line
            assert time.monotonic() < deadline, banner
        password = re.search(r"one-time password\s+(\S+)", banner).group(1)
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
            assert time.monotonic() < deadline
        with httpx.Client(base_url=url) as client:
            login = client.post("/auth/login", json={"username": "admin", "password": password})
            assert login.status_code == 200 and login.json()["must_change_password"]
            assert client.get("/users").json()["error"]["code"] == "password_change_required"
    finally:
        proc.terminate()
        proc.wait(20)
