"""`xiezuo serve` with no platform configured: the emulator with the demo org, and its URL printed."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.fakes.emulator import page_token
from tests.net import free_port


def test_serve_starts_the_emulator_and_prints_its_url(tmp_path: Path) -> None:
    port = free_port()
    config = tmp_path / "xiezuo.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "x.db"}"\n[http]\nport = {port}\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("XIEZUO_")}
    proc = subprocess.Popen([sys.executable, "-c", "from bot.cli import main; main()", "serve", "--config", str(config)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        url = f"http://127.0.0.1:{port}/"
        assert line.strip() == f"xiezuo local emulator: open {url} in a browser"
        with urllib.request.urlopen(url, timeout=10) as response:
            token = page_token(response.read().decode())
        request = urllib.request.Request(f"{url}api/state", headers={"X-Xiezuo-Token": token})
        with urllib.request.urlopen(request, timeout=10) as response:
            state = json.load(response)
        assert len(state["chats"]) == 7 and state["chats"][0]["title"] == "协作管理办公室"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
