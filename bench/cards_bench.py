"""Card rendering time: one card of each kind for each platform (target: well under 5 ms).

Usage: .venv/bin/python bench/cards_bench.py [repeats]. Prints the median and the worst kind per
renderer, then every kind's figures, in milliseconds per card.
"""
from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.messages import Message  # noqa: E402
from cards.dingtalk import card_data, markdown  # noqa: E402
from cards.feishu import feishu_card  # noqa: E402
from cards.html import Directory, render_html  # noqa: E402
from tests.cardkit import SPECS, every_kind  # noqa: E402

WHERE = Directory(people=tuple((f"成员{i}", "研发部") for i in range(20)), depts=("市场部", "研发部", "设计部"))
RENDERERS: dict[str, Callable[[Message], Any]] = {
    "feishu": lambda m: feishu_card(m, SPECS),  # card JSON 2.0
    "dingtalk-card": lambda m: card_data(m, SPECS),  # template variables
    "dingtalk-md": lambda m: markdown(m, SPECS),  # markdown + typed commands
    "html": lambda m: render_html(m, SPECS, WHERE),  # local emulator
}


def per_card_ms(render: Callable[[Message], Any], message: Message, repeats: int) -> float:
    render(message)  # warm the template cache
    samples = []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(repeats):
            render(message)
        samples.append((time.perf_counter() - started) * 1000 / repeats)
    return min(samples)


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    messages = every_kind()
    table = {name: {m.template or "error": per_card_ms(fn, m, repeats) for m in messages}
             for name, fn in RENDERERS.items()}
    print(f"card rendering, ms per card (best of 5 x {repeats}), {len(messages)} kinds")
    print(f"{'renderer':<16}{'median':>8}{'worst':>8}  worst kind")
    for name, figures in table.items():
        worst = max(figures, key=figures.__getitem__)
        print(f"{name:<16}{statistics.median(figures.values()):>8.3f}{figures[worst]:>8.3f}  {worst}")
    print()
    print(f"{'kind':<20}" + "".join(f"{name:>15}" for name in table))
    for kind in table["feishu"]:
        print(f"{kind:<20}" + "".join(f"{table[name][kind]:>15.3f}" for name in table))


if __name__ == "__main__":
    main()
