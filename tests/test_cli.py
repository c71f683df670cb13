"""bot/cli.py: the stable command line — help, db upgrade, config errors, and a real `serve` process."""
from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bot.cli import main
from tests.net import free_port

XIEZUO = Path(sys.executable).parent / "xiezuo"  # the installed console script


def write_config(tmp_path: Path, body: str = "") -> Path:
    path = tmp_path / "xiezuo.toml"
    path.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "cli.db"}"\n{body}', encoding="utf-8")
    return path


def test_the_command_line_module_imports_no_bot() -> None:
    """The `xiezuo` script imports bot.cli, and so does each process multiprocessing starts from it
    (the chart worker): it must stay small (docs/performance.md, "Reports and exports")."""
    probe = "import sys, bot.cli; print(sorted({'sqlalchemy', 'aiohttp', 'bot.app', 'jinja2'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_help_exits_zero() -> None:
    result = subprocess.run([str(XIEZUO), "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "serve" in result.stdout and "db" in result.stdout


@pytest.mark.parametrize("argv", [["db", "upgrade", "--config", "{cfg}"], ["--config", "{cfg}", "db", "upgrade"]])
def test_db_upgrade_creates_the_schema(tmp_path: Path, argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path)
    assert main([a.format(cfg=config) for a in argv]) == 0
    assert "database upgraded" in capsys.readouterr().out
    with sqlite3.connect(tmp_path / "cli.db") as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"alembic_version", "collaborations", "tasks", "outbox", "inbox"} <= tables


def test_config_error_exits_2_naming_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, "[http]\nprot = 8080\n")
    assert main(["db", "upgrade", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "config error" in err and "http.prot" in err and str(config) in err
    assert not (tmp_path / "cli.db").exists(), "nothing is touched with a bad config"


def test_config_error_from_a_real_process(tmp_path: Path) -> None:
    config = write_config(tmp_path, "[policy]\nrework_working_days = 'three'\n")
    result = subprocess.run([str(XIEZUO), "serve", "--config", str(config)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2
    assert "policy.rework_working_days" in result.stderr


def test_an_unsigned_webhook_does_not_start(tmp_path: Path) -> None:
    """Webhook mode without encrypt_key would take unsigned POSTs from anyone as the PMO."""
    config = write_config(tmp_path, '[feishu]\napp_id = "cli_x"\napp_secret = "hunter2"\nmode = "webhook"\n')
    result = subprocess.run([str(XIEZUO), "serve", "--config", str(config)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2
    assert "feishu.encrypt_key" in result.stderr and "hunter2" not in result.stderr + result.stdout
    assert not (tmp_path / "cli.db").exists()


@pytest.mark.parametrize("command", [["serve"], ["db", "upgrade"]])
@pytest.mark.parametrize("url, reason", [
    ("postgresql://bot:hunter2@127.0.0.1:{port}/xiezuo", "Connect call failed"),  # nothing listens there
    ("sqlite:///{tmp}/no/such/dir/x.db", "unable to open database file"),
])
def test_an_unreachable_database_exits_1_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     command: list[str], url: str, reason: str) -> None:
    url = url.format(port=free_port(), tmp=tmp_path)
    config = write_config(tmp_path, f"[http]\nport = {free_port()}\n").read_text(encoding="utf-8")
    path = tmp_path / "unreachable.toml"
    path.write_text(config.replace(f"sqlite:///{tmp_path / 'cli.db'}", url), encoding="utf-8")
    assert main([*command, "--config", str(path)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("xiezuo: cannot open the database ") and reason in err and "\n" not in err
    assert "hunter2" not in err


def test_a_taken_port_exits_1_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = write_config(tmp_path, f"[http]\nport = {port}\n[local]\nenabled = false\n")
        assert main(["serve", "--config", str(config)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"xiezuo: cannot listen on 127.0.0.1:{port}: ") and "[http] port" in err


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read()


def test_serve_answers_healthz_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    config = write_config(tmp_path, f'[http]\nport = {port}\n[local]\nenabled = false\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("XIEZUO_")}
    proc = subprocess.Popen([str(XIEZUO), "serve", "--config", str(config)], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, f"serve exited early:\n{proc.stdout.read() if proc.stdout else ''}"
            try:
                status, body = _get(f"http://127.0.0.1:{port}/healthz")
                break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, "serve did not answer /healthz within 60 s"
                time.sleep(0.2)
        assert status == 200
        assert json.loads(body) == {"status": "ok", "database": "sqlite", "platforms": []}
        status, metrics = _get(f"http://127.0.0.1:{port}/metrics")
        assert status == 200 and b"xiezuo_outbox_depth 0.0" in metrics
        assert (tmp_path / "cli.db").exists(), "serve upgrades an empty SQLite file itself"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()
