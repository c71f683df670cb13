"""`xiezuo serve` with no platform configured: the emulator with the demo org; start-up says where
it listens, on which database, with which platforms, and then stays quiet: each HTTP request at
DEBUG, a summary a minute at INFO (bot/logs.py)."""
from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from bot import logs
from bot.config import ConfigError, load_config
from tests.fakes.emulator import page_token
from tests.net import free_port


def serve(tmp_path: Path, *args: str, env: dict[str, str] | None = None,
          port_in_config: int | None = None) -> subprocess.Popen[str]:
    config = tmp_path / "xiezuo.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "x.db"}"\n'
                      + (f"[http]\nport = {port_in_config}\n" if port_in_config else ""))
    clean = {k: v for k, v in os.environ.items() if not k.startswith("XIEZUO_")} | (env or {})
    return subprocess.Popen([sys.executable, "-c", "from bot.cli import main; main()", "serve", "--config", str(config),
                             *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean)


def stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 0
    assert proc.stderr is not None
    return proc.stderr.read()


def test_serve_starts_the_emulator_says_where_and_stays_quiet(tmp_path: Path) -> None:
    port = free_port()
    proc = serve(tmp_path, port_in_config=port)
    try:
        assert proc.stdout is not None
        url = f"http://127.0.0.1:{port}/"
        assert [proc.stdout.readline().strip() for _ in range(4)] == [
            f"xiezuo is running: {url}", f"database: sqlite:///{tmp_path / 'x.db'}", "platforms: local",
            f"xiezuo local emulator: open {url} in a browser"]
        with urllib.request.urlopen(url, timeout=10) as response:
            token = page_token(response.read().decode())
        request = urllib.request.Request(f"{url}api/state", headers={"X-Xiezuo-Token": token})
        with urllib.request.urlopen(request, timeout=10) as response:
            state = json.load(response)
        assert len(state["chats"]) == 7 and state["chats"][0]["title"] == "协作管理办公室"
    finally:
        errors = stop(proc)
    assert errors == "", errors  # no migration, job or request lines at the default level


def test_the_port_comes_from_the_flag_else_the_environment_else_the_config(tmp_path: Path) -> None:
    flag, from_env = free_port(), free_port()
    proc = serve(tmp_path, "--port", str(flag), env={"XIEZUO_HTTP_PORT": str(from_env)}, port_in_config=free_port())
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == f"xiezuo is running: http://127.0.0.1:{flag}/"
    finally:
        stop(proc)
    assert load_config(env={"XIEZUO_HTTP_PORT": str(from_env)}).http.port == from_env
    with pytest.raises(ConfigError, match="XIEZUO_HTTP_PORT='80a' is not a port number"):
        load_config(env={"XIEZUO_HTTP_PORT": "80a"})


def test_a_minute_of_traffic_is_one_line_and_a_quiet_minute_none() -> None:
    traffic = logs.Traffic()
    assert traffic.summary() is None
    for status, seconds in ((200, 0.003), (200, 0.120), (404, 0.001)):
        traffic.add(status, seconds)
    assert traffic.summary() == "HTTP: 3 requests in the last minute (2 2xx, 1 4xx), slowest 120 ms"
    assert traffic.summary() is None


def test_libraries_chatter_at_debug_unless_asked(caplog: pytest.LogCaptureFixture) -> None:
    before = {name: logging.getLogger(name).level for name in logs.CHATTY}
    try:
        assert logs.setup({}) == logging.INFO
        assert all(logging.getLogger(name).level == logging.WARNING for name in logs.CHATTY)
        assert logs.setup({"XIEZUO_LOG_LEVEL": "debug"}) == logging.DEBUG
        assert all(logging.getLogger(name).level == logging.DEBUG for name in logs.CHATTY)
        assert logs.setup({"XIEZUO_LOG_LEVEL": "loud"}) == logging.INFO
    finally:
        for name, level in before.items():
            logging.getLogger(name).setLevel(level)
