"""The notification matrix: which parties hear of each workflow event, at once or in their next
daily digest (docs/workflow.md, "Who hears what").

A party is a set of departments seen from one collaboration: the initiating dept, the lead dept,
every participant, the depts the event concerns (a task's owner, a problem's responsible dept,
a meeting's attendees, …) and the PMO. A party that must act on the event is *required*: it
hears at once, @mentions included, and config cannot take it away. The others receive a copy
for information, without @mentions, as `[policy.notify]` says.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Party = Literal["initiator", "lead", "participants", "concerned", "pmo"]
When = Literal["now", "digest", "off"]
PARTIES: tuple[Party, ...] = ("initiator", "lead", "participants", "concerned", "pmo")
WHEN: tuple[When, ...] = ("now", "digest", "off")
PARTY_LABEL = {"initiator": "发起部门", "lead": "牵头部门", "participants": "全体参与部门",
               "concerned": "相关部门", "pmo": "协作管理办公室"}


@dataclass(frozen=True)
class EventSpec:
    label: str  # what happened, for the docs and errors
    who: str  # who "concerned" means for this event ("" when it has no such party)
    defaults: Mapping[Party, When]
    required: frozenset[Party] = frozenset()


def _spec(label: str, who: str = "", required: tuple[Party, ...] = (), **defaults: When) -> EventSpec:
    table: dict[Party, When] = {p: defaults.get(p, "off") for p in PARTIES}
    table.update({p: "now" for p in required})
    return EventSpec(label, who, table, frozenset(required))


#: Every workflow event that tells anyone, with the manuals' defaults: the PMO hears every stage
#: transition, high risks and problems, change decisions, acceptance results and the archive.
EVENTS: dict[str, EventSpec] = {
    "request_submitted": _spec("需求提交评估", required=("pmo",)),
    "evaluation_answer": _spec("一个部门答复评估", required=("initiator",)),
    "evaluation_complete": _spec("评估全部答复", required=("pmo",)),
    "returned": _spec("需求退回", required=("initiator",), pmo="now"),
    "charter": _spec("立项（协作立项确认函）", required=("participants",), pmo="now"),
    "task_assigned": _spec("新任务分配", "任务的负责部门", required=("concerned",)),
    "plan_confirmed": _spec("执行方案确认", participants="now", pmo="now"),
    "task_blocked": _spec("任务受阻或延期", required=("lead",)),
    "task_ready": _spec("前置任务完成，下游可开始", "下游任务的负责部门", required=("concerned",)),
    "upstream_slipped": _spec("上游任务改期", "受影响任务的负责部门", required=("concerned",)),
    "progress": _spec("周进度提交", lead="now", pmo="digest"),
    "problem": _spec("问题登记（影响程度中、低）", "责任部门", required=("concerned",), lead="now"),
    "problem_high": _spec("问题登记（影响程度高）", "责任部门", required=("concerned",), lead="now", pmo="now"),
    "problem_escalated": _spec("问题升级", "责任部门", required=("pmo",), lead="now", concerned="now"),
    "problem_resolved": _spec("问题解决", "责任部门", lead="now", concerned="now"),
    "risk": _spec("风险登记（中、低）", lead="now"),
    "risk_high": _spec("风险登记（高）", lead="now", pmo="now"),
    "risk_accepted": _spec("接受风险", lead="now", pmo="now"),
    "change_requested": _spec("变更申请", "涉及任务的负责部门", required=("lead",), concerned="now", pmo="now"),
    "change_approved": _spec("变更批准", participants="now", pmo="now"),
    "change_rejected": _spec("变更驳回", "申请人所在部门", lead="now", concerned="now", pmo="now"),
    "meeting": _spec("会议安排", "参会部门", required=("concerned",), pmo="digest"),
    "meeting_cancelled": _spec("会议取消", "参会部门", required=("concerned",), pmo="digest"),
    "minutes": _spec("会议纪要", "参会部门", required=("concerned",), pmo="digest"),
    "action_done": _spec("行动项完成", "会议的参会部门", lead="now"),
    "handover": _spec("工作交接（改派任务、行动项，更换对接人）", "接手人的部门", required=("concerned",), lead="now"),
    "delivered": _spec("成果交付", required=("initiator",)),
    "acceptance": _spec("任务验收结果", "任务的负责部门", required=("concerned",), pmo="now"),
    "all_accepted": _spec("成果验收确认", participants="now", pmo="now"),
    "rating": _spec("协作评价", "被评价部门", concerned="now", pmo="digest"),
    "archived": _spec("复盘归档", participants="now", pmo="now"),
}


def matrix(overrides: Mapping[str, Mapping[str, str]]) -> dict[str, dict[Party, When]]:
    """The defaults with `[policy.notify]` laid over them; a ValueError says what is wrong."""
    table: dict[str, dict[Party, When]] = {event: dict(spec.defaults) for event, spec in EVENTS.items()}
    for event, parties in overrides.items():
        spec = EVENTS.get(event)
        if spec is None:
            raise ValueError(f"unknown event {event!r}; events: {', '.join(EVENTS)}")
        if not isinstance(parties, Mapping):
            raise ValueError(f"{event} must be a table like {{ pmo = \"digest\" }}")
        for party, when in parties.items():
            if party not in PARTIES:
                raise ValueError(f"{event}: unknown party {party!r}; parties: {', '.join(PARTIES)}")
            if when not in WHEN:
                raise ValueError(f"{event}.{party} must be one of {', '.join(WHEN)}, not {when!r}")
            if party in spec.required and when != "now":
                raise ValueError(f"{event}.{party} must stay \"now\": {PARTY_LABEL[party]}要处理此事")
            if party == "concerned" and not spec.who and when != "off":
                raise ValueError(f"{event} has no party 'concerned'")
            table[event][party] = when
    return table
