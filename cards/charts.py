"""Charts as PNG images (the report, docs/workflow.md "Reports"), drawn with matplotlib's object
API only (never pyplot, which keeps global state) and a CJK font from Debian's packages. These
are pure functions of their data, run in the render worker process (cards/render.py)."""
from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path

#: Debian's fonts-wqy-microhei (installed by `make test`; `make serve` installs it when it can).
CJK_FONTS = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
COLORS = {"planned": "#9aa5b1", "actual": "#2f6fde"}


def cjk_font() -> str | None:
    """The first CJK font file present, or None (charts then carry no Chinese: the caller says so)."""
    return next((f for f in CJK_FONTS if Path(f).exists()), None)


def _figure(width: float, height: float):  # noqa: ANN202 - matplotlib's Figure, imported lazily
    os.environ.setdefault("MPLCONFIGDIR", str(Path(os.environ.get("TMPDIR", "/tmp")) / "xiezuo-mpl"))
    from matplotlib import font_manager
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    font = cjk_font()
    family = "sans-serif"
    if font is not None:
        font_manager.fontManager.addfont(font)
        family = font_manager.FontProperties(fname=font).get_name()
    fig = Figure(figsize=(width, height), dpi=110)
    FigureCanvasAgg(fig)
    return fig, family


def _png(fig) -> bytes:  # noqa: ANN001
    out = io.BytesIO()
    fig.savefig(out, format="png", bbox_inches="tight")
    return out.getvalue()


def progress_curve(title: str, days: Sequence[str], planned: Sequence[float], actual: Sequence[float]) -> bytes:
    """Planned-vs-actual progress: % of tasks due by each day in the confirmed plan, and % done."""
    fig, family = _figure(7.2, 3.6)
    ax = fig.add_subplot()
    ax.plot(list(days), list(planned), color=COLORS["planned"], linestyle="--", marker="o", markersize=3, label="计划")
    ax.plot(list(days), list(actual), color=COLORS["actual"], marker="o", markersize=3, label="实际")
    ax.set_ylim(0, 105)
    ax.set_ylabel("任务完成 %", family=family)
    ax.set_title(title, family=family)
    ax.grid(axis="y", alpha=0.3)
    step = max(1, len(days) // 8)
    ax.set_xticks(range(0, len(days), step), [days[i][5:] for i in range(0, len(days), step)])
    ax.legend(prop={"family": family}, loc="upper left")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return _png(fig)
