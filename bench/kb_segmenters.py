"""Which segmentation the knowledge base uses (docs/knowledge.md, "Segmentation"): overlapping Han
pairs (bot.segment) against jieba's search-mode dictionary segmentation, on the same index (SQLite
FTS5, bm25, all terms first then any) and the same test set (bench/kb_corpus.py: queries people
type, each with the text it should find, among distractor texts of the same vocabulary).

Prints, per segmenter: recall of the right text in the top 3 (and top 1), the time and memory it
costs to load, and the time to cut a 2 000-character field.

    .venv/bin/python bench/kb_segmenters.py [--background 3000]
"""
from __future__ import annotations

import argparse
import gc
import re
import resource
import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from kb_corpus import DOCS, QUERIES, background  # noqa: E402

from bot.segment import query_terms, terms  # noqa: E402

WORD = re.compile(r"\w", re.UNICODE)
Cut = Callable[[str], list[str]]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bigram_index(text: str) -> list[str]:
    return terms(text)


def bigram_query(text: str) -> list[str]:
    words, prefixes = query_terms(text)
    return words + [p + "*" for p in prefixes]


def jieba_cut() -> tuple[Cut, float, float]:
    """jieba's search-mode cut, with what loading its dictionary cost (seconds, MB of peak RSS)."""
    before, started = rss_mb(), time.perf_counter()
    import jieba
    jieba.setLogLevel(60)
    jieba.initialize()
    cost = time.perf_counter() - started

    def cut(text: str) -> list[str]:
        return [w.lower() for w in jieba.cut_for_search(text) if WORD.search(w)]
    return cut, cost, rss_mb() - before


def recall(label: str, index_cut: Cut, query_cut: Cut, texts: list[str], misses: list[str]) -> tuple[float, float]:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE t USING fts5(terms, tokenize='unicode61')")
    db.executemany("INSERT INTO t(rowid, terms) VALUES (?, ?)", ((i, " ".join(index_cut(x))) for i, x in enumerate(texts)))
    top3 = top1 = 0
    for query, want in QUERIES:
        found: list[int] = []
        words = list(dict.fromkeys(query_cut(query)))
        for joiner in (" AND ", " OR "):
            if len(found) >= 3:
                break
            match = joiner.join(f'"{w[:-1]}"*' if w.endswith("*") else f'"{w}"' for w in words)
            skip = ",".join(map(str, found)) or "-1"
            found += [r for (r,) in db.execute(f"SELECT rowid FROM t WHERE t MATCH ? AND rowid NOT IN ({skip}) "
                                               "ORDER BY bm25(t) LIMIT ?", (match, 3 - len(found)))]
        top3 += want in found[:3]
        if want not in found[:3]:
            misses.append(f"{label}: {query} → {found[:3]} (want {want}; query terms {words})")
        top1 += bool(found) and found[0] == want
    return top3 / len(QUERIES), top1 / len(QUERIES)


def per_field(cut: Cut, repeat: int = 20) -> float:
    field = ("".join(DOCS) * 10)[:2000]
    started = time.perf_counter()
    for _ in range(repeat):
        cut(field)
    return (time.perf_counter() - started) / repeat * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--background", type=int, default=3000, help="distractor texts beside the test set")
    parser.add_argument("--misses", action="store_true", help="list the queries whose text was not in the top 3")
    args = parser.parse_args()
    texts = DOCS + background(args.background)
    print(f"{len(QUERIES)} queries over {len(DOCS)} texts + {args.background} distractors")
    gc.collect()
    missed: list[str] = []
    r3, r1 = recall("bigrams", bigram_index, bigram_query, texts, missed)
    print(f"bigrams: recall@3 {r3:.0%}  @1 {r1:.0%}  load 0.000 s  +0 MB  {per_field(bigram_index):.2f} ms per 2000 chars")
    cut, seconds, mb = jieba_cut()
    r3, r1 = recall("jieba", cut, cut, texts, missed)
    print(f"jieba:   recall@3 {r3:.0%}  @1 {r1:.0%}  load {seconds:.3f} s  +{mb:.0f} MB  {per_field(cut):.2f} ms per 2000 chars")
    for line in missed if args.misses else ():
        print("  missed:", line)


if __name__ == "__main__":
    main()
