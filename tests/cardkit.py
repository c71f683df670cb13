"""Sample messages of every card kind, for the card and renderer tests and the bench."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.messages import CardKind, Field, Message
from handlers import build_registry
from handlers.forms import form_message

TEMPLATES = Path(__file__).resolve().parent.parent / "cards" / "templates"
#: The bot's commands, as every card test renders against them.
REGISTRY = build_registry()
SPECS = REGISTRY.specs
KINDS = sorted(k.value for k in CardKind if k is not CardKind.ERROR)
ROWS = [{"task": f"T{i}", "title": f"任务{i}", "dept": "研发部", "owner": "李强", "deliverable": "文档",
         "standard": "评审通过", "start": "2026-12-01", "due": "2026-12-10", "after": "", "status": "进行中",
         "progress": 50, "milestone": False} for i in range(1, 4)]
DATA: dict[str, Any] = {
    "code": "XZ-2026-0001", "task": "T1", "problem": "P1", "risk": "R1", "change": "C1", "meeting": "M1", "action": "A1",
    "status": "open", "decision": "accept", "dept": "研发部", "by": "李强", "all_accepted": True, "stage": "executing",
    "counts": {"doing": 2, "done": 1, "blocked": 1}, "rows": ROWS, "result": "partial", "state": "doing",
    "progress": 40, "commands": ["help", "request"],
    "items": [{"task": "XZ-2026-0001/T1", "title": "用户调研", "due": "2026-12-10", "status": "doing",
               "code": "XZ-2026-0001", "name": "Q4新品推广", "stage": "executing",
               "action": "A1", "ref": "XZ-2026-0001/A1", "text": "补充FAQ", "owner": "李工", "done": False,
               "state": "截止 2026-12-05", "what": "任务", "command": "task assign",
               "values": {"task": "XZ-2026-0001/T1"}, "n": 1, "kind": "问题", "date": "2026-11-20",
               "snippet": "原因：**签名**算法不一致", "open": "XZ-2026-0001/P1"}],
    "weeks": ["12-07", "12-14"], "people": [{"person": "李工", "w0": 4, "w1": 2, "total": 5}], "hot": 1,
    "more": True, "options": {"words": "签名"}, "page": 1,
    "templates": [{"name": "新品推广", "source": "XZ-2026-0001", "depts": "研发部、设计部", "tasks": 3, "days": 14,
                   "saved": "2026-12-01"}],
}
FIELDS = (Field("部门", "研发部"), Field("响应及时性", "5/5"), Field("意见", "无"))


def sample(kind: str, title: str = "XZ-2026-0001 卡片", body: str = "正文\n第二行", **data: Any) -> Message:
    """A message of `kind` with every data key any template reads."""
    if kind == "form":
        return replace(form_message(SPECS["request"], {"name": "Q4新品推广"}), title=title, body=body)
    merged = DATA | data
    status = {"change": "pending", "meeting": "scheduled"}.get(kind, merged["status"])
    return Message(title, body, FIELDS, template=kind, data=merged | {"status": status}, color="yellow",
                   mentions=("feishu:ou_1", "dingtalk:staff1", "local:李强"))


def every_kind(title: str = "XZ-2026-0001 卡片", body: str = "正文\n第二行") -> list[Message]:
    """One message per card kind, and an error."""
    return [sample(kind, title, body) for kind in KINDS] + [Message(title, body, color="red", is_error=True)]
