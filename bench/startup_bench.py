"""How long `xiezuo serve` takes to answer /healthz on the embedded default (no config: the
emulator with the demo, in ./xiezuo-demo.db of a fresh folder), and its memory then.

The first start creates the database and plays the demo; the next `--starts` are timed from the
process's spawn to the first 200 from /healthz (polled every 10 ms), with VmRSS read then. Prints
the first start and the median (and range) of the others; with `--baseline REV`, the same for that
revision in the same run, alternating.

usage: python bench/startup_bench.py [--starts 5] [--baseline REV]
"""
from __future__ import annotations

import argparse
import contextlib
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from serving import checkout, free_port  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def start_once(source: Path, folder: Path) -> tuple[float, float]:
    """Seconds from spawn to /healthz, and MB of RSS then."""
    port = free_port()
    (folder / "port.toml").write_text(f"[http]\nport = {port}\n")  # nothing else: the embedded default
    env = {k: v for k, v in os.environ.items() if not k.startswith("XIEZUO_")} | {"PYTHONPATH": str(source)}
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", "from bot.cli import main; main()", "serve", "--config", "port.toml"],
                            cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError(f"serve exited with {proc.returncode}") from None
            if time.perf_counter() - started > 60:
                raise RuntimeError("serve did not answer /healthz within 60 s")
            time.sleep(0.01)
        seconds = time.perf_counter() - started
        rss = next(int(line.split()[1]) for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines()
                   if line.startswith("VmRSS:")) / 1024
        return seconds, rss
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--baseline", help="a git revision to measure beside this tree")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, \
            (checkout(args.baseline) if args.baseline else contextlib.nullcontext()) as base:
        sides = {"this tree": ROOT} | ({f"baseline {args.baseline}": base} if base else {})
        folders = {name: Path(tmp) / str(i) for i, name in enumerate(sides)}
        first: dict[str, tuple[float, float]] = {}
        for name, source in sides.items():
            folders[name].mkdir()
            first[name] = start_once(source, folders[name])
        timed: dict[str, list[tuple[float, float]]] = {name: [] for name in sides}
        for _ in range(args.starts):
            for name, source in sides.items():
                timed[name].append(start_once(source, folders[name]))
        for name in sides:
            seconds = [s for s, _ in timed[name]]
            rss = [r for _, r in timed[name]]
            print(f"{name}: first start {first[name][0]:.2f} s ({first[name][1]:.0f} MB); "
                  f"then median {statistics.median(seconds):.2f} s ({min(seconds):.2f}–{max(seconds):.2f}) "
                  f"over {len(seconds)} starts, {statistics.median(rss):.0f} MB at /healthz")


if __name__ == "__main__":
    main()
