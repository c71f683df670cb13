"""What the benches share: `xiezuo serve` as a real process on a database, and another git
revision checked out beside this tree, to measure both in one run."""
from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serving(folder: Path, config: str) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`xiezuo serve` with `config` (TOML, without [http]) on a free port, once /healthz answers:
    (its process, its base URL). Stopped on leaving."""
    port = free_port()
    path = folder / "config.toml"
    path.write_text(f"{config}\n[http]\nport = {port}\n", encoding="utf-8")
    xiezuo = Path(sys.executable).with_name("xiezuo")
    proc = subprocess.Popen([str(xiezuo), "serve", "--config", str(path)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("serve did not answer /healthz within 30 s")
        yield proc, base
    finally:
        proc.terminate()
        proc.wait(10)


@contextlib.contextmanager
def checkout(rev: str) -> Iterator[Path]:
    """`rev` of this repository in a temporary git worktree (removed on leaving)."""
    repo = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory(prefix="xiezuo-baseline-") as tmp:
        tree = Path(tmp) / "src"
        subprocess.run(["git", "-C", str(repo), "worktree", "add", "--detach", "--quiet", str(tree), rev], check=True)
        try:
            yield tree
        finally:
            subprocess.run(["git", "-C", str(repo), "worktree", "remove", "--force", str(tree)], check=True)
