"""Charts as PNG images (the report, docs/workflow.md "Reports"), drawn with matplotlib's object
API only (never pyplot, which keeps global state) and a CJK font from Debian's packages. These
are pure functions of their data, run in the render worker process (cards/render.py)."""
from __future__ import annotations

import functools
import io
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # matplotlib itself is imported where a chart is drawn: in the render worker
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: Debian's fonts-wqy-microhei (installed by `make test`; `make serve` installs it when it can).
CJK_FONTS = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
COLORS = {"planned": "#9aa5b1", "actual": "#2f6fde"}


def cjk_font() -> str | None:
    """The first CJK font file present, or None (charts then carry no Chinese: the caller says so)."""
    return next((f for f in CJK_FONTS if Path(f).exists()), None)


@functools.cache
def _family() -> str:
    """The CJK font's family, registered with matplotlib once per process (each `addfont` adds
    another entry that every later font lookup walks)."""
    from matplotlib import font_manager

    font = cjk_font()
    if font is None:
        return "sans-serif"
    font_manager.fontManager.addfont(font)
    return str(font_manager.FontProperties(fname=font).get_name())


def _figure(width: float, height: float) -> tuple[Figure, str]:
    os.environ.setdefault("MPLCONFIGDIR", str(Path(os.environ.get("TMPDIR", "/tmp")) / "xiezuo-mpl"))
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=110)
    FigureCanvasAgg(fig)
    return fig, _family()


def _open_frame(ax: Axes) -> None:
    """No top and right spines: the plot reads as data, not a box."""
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _png(fig: Figure) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format="png", bbox_inches="tight")
    return out.getvalue()


def progress_curve(title: str, days: Sequence[str], planned: Sequence[float], actual: Sequence[float | None]
                   ) -> bytes:
    """Planned-vs-actual progress: % of tasks due by each day in the confirmed plan, and % done
    (None after today: no line)."""
    fig, family = _figure(7.2, 3.6)
    ax = fig.add_subplot()
    ax.plot(list(days), list(planned), color=COLORS["planned"], linestyle="--", marker="o", markersize=3, label="计划")
    ax.plot(list(days), [math.nan if a is None else a for a in actual], color=COLORS["actual"], marker="o",
            markersize=3, label="实际")
    ax.set_ylim(0, 105)
    ax.set_ylabel("任务完成 %", family=family)
    ax.set_title(title, family=family)
    ax.grid(axis="y", alpha=0.3)
    step = max(1, len(days) // 8)
    ax.set_xticks(range(0, len(days), step), [days[i][5:] for i in range(0, len(days), step)])
    ax.legend(prop={"family": family}, loc="upper left")
    _open_frame(ax)
    return _png(fig)


STATUS_COLORS = {"todo": "#c3cad5", "doing": "#2f6fde", "delayed": "#e8a33d", "blocked": "#d64545",
                 "review": "#8e6bd8", "done": "#3a9d5d"}


def gantt(title: str, rows: Sequence[dict[str, Any]], today: str, legend: dict[str, str]) -> bytes:
    """A Gantt of tasks: one bar per task from start to due, coloured by status with its % done
    filled, grouped by owner dept (label "部门 Tn 标题"), milestones as diamonds, late ones in
    red, arrows from each predecessor's end to its successor's start, and a today line.
    Rows: {"label", "start", "due", "status", "progress", "milestone", "late", "after": [row index]}."""
    from datetime import date

    from matplotlib.dates import DateFormatter, date2num
    from matplotlib.patches import Patch

    def day(iso: str) -> float:
        return float(date2num(date.fromisoformat(iso)))

    fig, family = _figure(8.0, 1.2 + 0.42 * max(len(rows), 1))
    ax = fig.add_subplot()
    for i, r in enumerate(rows):
        start, due = day(r["start"]), day(r["due"])
        span = max(due - start, 0.6)
        color = STATUS_COLORS.get(r["status"], "#c3cad5")
        if r.get("milestone"):
            ax.scatter([due], [i], marker="D", s=70, color="#d64545" if r.get("late") else color, zorder=3)
        else:
            ax.barh(i, span, left=start, height=0.5, color=color, alpha=0.35,
                    edgecolor="#d64545" if r.get("late") else color, linewidth=1.6 if r.get("late") else 0.8)
            ax.barh(i, span * r.get("progress", 0) / 100, left=start, height=0.5, color=color)
        for j in r.get("after", []):
            ax.annotate("", xy=(start, i), xytext=(day(rows[j]["due"]), j),
                        arrowprops={"arrowstyle": "->", "color": "#7a8699", "lw": 0.8})
    ax.axvline(day(today), color="#d64545", linestyle=":", linewidth=1.2)
    ax.set_yticks(range(len(rows)), [r["label"] for r in rows], family=family, fontsize=9)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(DateFormatter("%m-%d"))
    ax.set_title(title, family=family)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(handles=[Patch(color=c, label=legend.get(s, s)) for s, c in STATUS_COLORS.items()],
              prop={"family": family, "size": 8}, loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=6,
              frameon=False)
    _open_frame(ax)
    return _png(fig)


def dept_comparison(title: str, depts: Sequence[str], series: dict[str, Sequence[float]]) -> bytes:
    """Departments compared as grouped bars (e.g. 完成率, 按时率 in %), one group per dept."""
    fig, family = _figure(7.2, 3.6)
    ax = fig.add_subplot()
    width = 0.8 / max(len(series), 1)
    palette = ["#2f6fde", "#3a9d5d", "#e8a33d", "#8e6bd8"]
    for k, (label, values) in enumerate(series.items()):
        ax.bar([i + k * width for i in range(len(depts))], list(values), width, label=label, color=palette[k % 4])
    ax.set_xticks([i + width * (len(series) - 1) / 2 for i in range(len(depts))], list(depts), family=family)
    ax.set_ylim(0, 105)
    ax.set_title(title, family=family)
    ax.legend(prop={"family": family}, loc="upper right")
    ax.grid(axis="y", alpha=0.3)
    _open_frame(ax)
    return _png(fig)


def ratings_radar(title: str, axes: Sequence[str], depts: dict[str, Sequence[float]]) -> bytes:
    """The 1–5 ratings as a radar: one closed line per department over `axes`."""
    fig, family = _figure(5.2, 4.6)
    ax = fig.add_subplot(projection="polar")
    angles = [2 * math.pi * i / len(axes) for i in range(len(axes))]
    for name, values in depts.items():
        ax.plot([*angles, angles[0]], [*values, values[0]], marker="o", markersize=3, label=name)
        ax.fill([*angles, angles[0]], [*values, values[0]], alpha=0.08)
    ax.set_xticks(angles, list(axes), family=family)
    ax.set_ylim(0, 5)
    ax.set_title(title, family=family, pad=16)
    ax.legend(prop={"family": family, "size": 8}, loc="upper right", bbox_to_anchor=(1.3, 1.1))
    return _png(fig)


def load_grid(title: str, people: Sequence[str], weeks: Sequence[str], counts: Sequence[Sequence[int]],
              limit: int) -> bytes:
    """A department's load: one row per person, one column per week, each cell the open tasks held
    then; cells over `limit` in red, the others shaded by how full they are."""
    fig, family = _figure(1.6 + 0.9 * len(weeks), 0.9 + 0.42 * max(len(people), 1))
    ax = fig.add_subplot()
    top = max(limit, 1)
    for r, row in enumerate(counts):
        for c, n in enumerate(row):
            over = limit > 0 and n > limit
            colour = "#e05d5d" if over else (0.18, 0.44, 0.87, 0.12 + 0.6 * min(n, top) / top) if n else "#f4f5f7"
            ax.add_patch(_rect(c, r, colour))
            ax.text(c + 0.5, r + 0.5, str(n) if n else "", ha="center", va="center", fontsize=9,
                    color="white" if over else "#1f2329", family=family)
    ax.set_xlim(0, len(weeks))
    ax.set_ylim(len(people), 0)
    ax.set_xticks([i + 0.5 for i in range(len(weeks))], list(weeks), family=family, fontsize=8)
    ax.set_yticks([i + 0.5 for i in range(len(people))], list(people), family=family, fontsize=9)
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    ax.set_title(title, family=family, fontsize=10)
    return _png(fig)


def _rect(x: int, y: int, colour: Any) -> Any:
    from matplotlib.patches import Rectangle
    return Rectangle((x + 0.04, y + 0.06), 0.92, 0.88, color=colour)


#: The charts a message may name (`bot.messages.Chart.draw`): nothing else is looked up by name.
DRAWINGS = {f.__name__: f for f in (progress_curve, gantt, dept_comparison, ratings_radar, load_grid)}
