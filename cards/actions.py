"""Card buttons, and what each reminder asks its reader to do.

A reminder's buttons are declared here once, by card kind, so the reminder's own card and a
digest that carries it (several reminders due together in one chat) offer the same actions.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bot.messages import CardKind as K
from handlers.forms import OPEN_FORM

Button = dict[str, Any]


def button(label: str, command: str, values: Mapping[str, Any] | None = None, style: str = "default",
           form: bool = False) -> Button:
    """A card button; `form=True` opens the command's form pre-filled with `values`."""
    preset = dict(values or {})
    if form:
        preset[OPEN_FORM] = "1"
    return {"label": label, "command": command, "values": preset, "style": style, "form": form}


def _ref(d: Mapping[str, Any], key: str) -> str:
    return f"{d.get('code', '')}/{d.get(key, '')}"


def _board(d: Mapping[str, Any]) -> Button:
    return button("查看看板", "board", {"id": d.get("code", "")})


def _explain(d: Mapping[str, Any]) -> Button:
    return button("说明原因", "status", {"task": _ref(d, "task"), "state": "delayed"}, "primary", form=True)


def _reschedule(d: Mapping[str, Any], label: str = "申请变更") -> Button:
    return button(label, "change", {"id": d.get("code", ""), "kind": "dates", "task": d.get("task", "")}, form=True)


def _status(d: Mapping[str, Any]) -> Button:
    return button("更新状态", "status", {"task": _ref(d, "task")}, "primary", form=True)


def _deliver(d: Mapping[str, Any], label: str = "提交交付物") -> Button:
    return button(label, "deliver", {"task": _ref(d, "task")}, "primary", form=True)


def _progress(d: Mapping[str, Any]) -> Button:
    return button("提交周进度", "progress", {"id": d.get("code", ""), "dept": d.get("dept", "")}, "primary", form=True)


def _minutes(d: Mapping[str, Any]) -> Button:
    return button("记录纪要", "minutes", {"meeting": _ref(d, "meeting")}, "primary", form=True)


def _problem(d: Mapping[str, Any]) -> list[Button]:
    ref = _ref(d, "problem")
    buttons = [button("登记解决", "problem resolve", {"problem": ref}, "primary", form=True)]
    if int(d.get("level", 1)) >= 2:
        return buttons + [button("安排决策会", "meeting", {"id": d.get("code", ""), "kind": "decision"}, "danger",
                                 form=True)]
    return buttons + [button("升级处理", "problem escalate", {"problem": ref}, "danger", form=True)]


#: What each reminder asks for, by card kind: its buttons, first the main one.
REMINDERS: dict[str, Callable[[Mapping[str, Any]], list[Button]]] = {
    K.DUE_SOON: lambda d: [_status(d), _reschedule(d)],
    K.DUE_TODAY: lambda d: [_deliver(d), _explain(d)],
    K.OVERDUE: lambda d: [_explain(d), _reschedule(d)],
    K.PROGRESS_ALERT: lambda d: [_explain(d), _reschedule(d), _board(d)],
    K.UPSTREAM_SLIPPED: lambda d: [_reschedule(d, "申请改期"), _board(d)],
    K.REWORK_DUE: lambda d: [_deliver(d, "重新提交交付物")],
    K.EVALUATION_REMINDER: lambda d: [button("答复评估", "evaluate", {"id": d.get("code", "")}, "primary", form=True)],
    K.EVALUATION_OVERDUE: lambda d: [button("答复评估", "evaluate", {"id": d.get("code", "")}, "primary", form=True),
                                     _board(d)],
    K.KICKOFF: lambda d: [button("安排启动会", "meeting", {"id": d.get("code", ""), "kind": "kickoff"}, "primary",
                                 form=True)],
    K.MEETING_AGENDA: lambda d: [_board(d), button("取消会议", "meeting cancel", {"meeting": _ref(d, "meeting")},
                                                   "danger", form=True)],
    K.MEETING_SOON: lambda d: [_minutes(d)],
    K.MINUTES_DUE: lambda d: [_minutes(d)],
    K.MINUTES_OVERDUE: lambda d: [_minutes(d)],
    K.ACTION_DUE: lambda d: [button("完成行动项", "action done", {"action": _ref(d, "action")}, "primary", form=True),
                             _board(d)],
    K.WEEKLY_PROMPT: lambda d: [_progress(d)],
    K.WEEKLY_MISSING: lambda d: [_progress(d)],
    K.WEEKLY_ESCALATE: lambda d: [_board(d), button("安排同步会", "meeting", {"id": d.get("code", ""), "kind": "sync"},
                                                    form=True)],
    K.WEEKLY_SYNC: lambda d: [button("安排同步会", "meeting", {"id": d.get("code", ""), "kind": "sync"}, "primary",
                                     form=True), _board(d)],
    K.PROBLEM_ESCALATION: _problem,
    K.RETRO_DUE: lambda d: [button("填写复盘", "retro", {"id": d.get("code", "")}, "primary", form=True)],
    K.CALENDAR_UNCOVERED: lambda d: [button("补充节假日", "calendar add", {}, "primary", form=True),
                                     button("查看日历", "calendar list", {"year": d.get("year", "")})],
}


def reminder_actions(kind: str, data: Mapping[str, Any]) -> list[Button]:
    """The buttons of a reminder of `kind`; none for a kind that is not a reminder."""
    make = REMINDERS.get(kind)
    return make(data) if make is not None else []
