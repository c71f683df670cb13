"""知识库: `/kb <words>` searches what past collaborations learned (retrospectives, problems and
their solutions, risk mitigations, changes, minutes, deliverables, acceptance comments), within
what the asker may read; `/kb open` shows one hit's card (docs/knowledge.md)."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from bot import refs
from bot.commands import Choice, Kind, Param, UserError, Values
from bot.messages import CardKind, Message
from bot.segment import query_terms, snippet
from handlers import common, views
from handlers.context import Context
from handlers.registry import Commands
from handlers.vocab import STAGES
from storage import kb, workflow

commands = Commands()
commands.group("kb", ("知识库",), "知识库：搜索以往协作的经验、问题解决方案、会议决议；打开一条记录")

KINDS = (Choice("retro", "复盘", ("经验",)), Choice("problem", "问题"), Choice("risk", "风险"),
         Choice("change", "变更"), Choice("meeting", "会议", ("纪要", "决议")), Choice("request", "需求", ("协作",)),
         Choice("delivery", "交付", ("交付物",)), Choice("acceptance", "验收", ("验收意见",)))
KIND_LABEL = {c.value: c.label for c in KINDS}
PAGE = 5  # hits per card: each has its own 打开 button (DingTalk's action cards hold five)


@commands.command("kb", ("知识库", "搜索"), "搜索知识库（复盘经验、问题解决方案、风险应对、变更、会议纪要、交付与验收意见）",
                  Param("words", "关键词", Kind.TEXT, positional=True, required=True, rest=True, aliases=("搜索",)),
                  Param("kind", "类别", Kind.CHOICE, choices=KINDS, aliases=("类别", "类型")),
                  Param("dept", "部门", Kind.DEPT),
                  Param("period", "时间段", Kind.PERIOD, aliases=("期间",)),
                  Param("page", "页码", Kind.INT, min=1, aliases=("页",)),
                  example="/kb 支付接口 签名 kind=问题", mutates=False, default_sub=True)
async def search(ctx: Context, v: Values) -> None:
    if not any(query_terms(v.words)):
        raise UserError(f"“{v.words[:40]}”里没有可以搜索的字词", usage="/kb 支付接口 签名")
    filters = await _filters(ctx, v)
    page = v.page or 1
    hits = await kb.search(ctx.session, v.words, filters, limit=PAGE + 1, offset=(page - 1) * PAGE)
    more = len(hits) > PAGE
    ctx.reply(results_message(v.words, hits[:PAGE], page, more, _options(v)), personal=True)


async def _filters(ctx: Context, v: Values) -> kb.Filters:
    dept = await common.dept(ctx, v.dept) if v.dept else None
    since = until = None
    if v.period is not None:
        first, last = v.period
        since = datetime.combine(first, time(), ctx.zone)
        until = datetime.combine(last + timedelta(days=1), time(), ctx.zone)
    return kb.Filters(kinds=(v.kind,) if v.kind else (), dept_id=dept.id if dept else None, since=since, until=until,
                      reader=None if common.reads_everything(ctx) else ctx.actor)


def _options(v: Values) -> dict[str, str]:
    """The filters the asker gave, as the next page's button repeats them."""
    out = {"words": v.words}
    if v.kind:
        out["kind"] = v.kind
    if v.dept:
        out["dept"] = v.dept
    if v.period is not None:
        out["period"] = f"{v.period[0]}~{v.period[1]}"
    return out


def results_message(words: str, hits: list[kb.Hit], page: int, more: bool, options: dict[str, str]) -> Message:
    items = [_item(h, words) | {"n": (page - 1) * PAGE + i + 1} for i, h in enumerate(hits)]
    if not items:
        body = "没有找到相关记录。可以换个说法、减少关键词，或去掉类别、部门、时间段的限制。" if page == 1 else "没有更多结果了。"
    else:
        body = ""
    title = f"知识库：{words[:30]}" + (f"（第 {page} 页）" if page > 1 else "")
    return Message(title, body, template=CardKind.KB_RESULTS,
                   data={"items": items, "page": page, "more": more, "options": options})


async def suggest(ctx: Context, title: str, words: str, kinds: tuple[str, ...], states: tuple[str, ...] = ()) -> None:
    """Show the actor, under their action's reply, the three past records most like `words`;
    nothing when none is alike."""
    filters = kb.Filters(kinds=kinds, states=states, reader=None if common.reads_everything(ctx) else ctx.actor)
    hits = await kb.search(ctx.session, words, filters, limit=3)
    if hits:
        ctx.reply(suggestions_message(title, hits, words), personal=True)


def suggestions_message(title: str, hits: list[kb.Hit], words: str) -> Message:
    """A few similar past records, one line each with a button to open it (the moment's hint)."""
    return Message(title, template=CardKind.KB_SUGGESTIONS, data={"items": [_item(h, words, 40) for h in hits]})


def _item(h: kb.Hit, words: str, width: int = 60) -> dict[str, Any]:
    """A hit as a card shows it: kind, reference, title, date, the snippet, what 打开 runs."""
    return {"kind": KIND_LABEL.get(h.kind, h.kind), "ref": h.ref, "title": h.title, "date": h.at.date().isoformat(),
            "snippet": snippet(h.body, words, width), "open": _open_ref(h)}


def _open_ref(h: kb.Hit) -> str:
    """What `/kb open` takes for this hit: the item's reference, or the code plus a word for a
    collaboration's own texts (its request, its retrospective)."""
    return f"{h.ref} 复盘" if h.kind == "retro" else h.ref


@commands.command("kb open", ("打开", "open"), "打开知识库里的一条记录（问题、风险、变更、会议、任务、需求或复盘）",
                  Param("ref", "编号", positional=True, required=True, rest=True),
                  example="/kb open XZ-2026-0003/P2", mutates=False)
async def open_record(ctx: Context, v: Values) -> None:
    words = v.ref.split()
    ref = words[0]
    retro = len(words) > 1 and words[1] in ("复盘", "retro")
    named = refs.item(ref)
    if named is not None:
        if named.code is None:
            raise UserError(f"请写明协作编号，例如 XZ-2026-0001/{named.prefix}{named.number}")
        c, row = await common.item(ctx, ref, named.prefix)
        obj = f"{_VIEW_OF[named.prefix]}:{row.id}"
    elif refs.is_code(ref):
        c = await common.collab(ctx, ref, stages=tuple(STAGES))
        found = await workflow.retrospective(ctx.session, c.id) if retro else None
        obj = f"retro:{found.id}" if found is not None else f"collab:{c.id}"
    else:
        raise UserError(f"编号“{ref[:40]}”格式不对，应形如 XZ-2026-0003/P2 或 XZ-2026-0003")
    if not await common.may_see(ctx, c):
        raise UserError(f"没有编号为 {c.code} 的协作项目；用 /board 查看你参与的项目")
    card = await views.current(ctx, obj)
    if card is None:
        raise UserError(f"{ref} 已不存在")
    ctx.reply(card, personal=True)


_VIEW_OF = {"T": "task", "P": "problem", "R": "risk", "C": "change", "M": "meeting", "A": "action"}
