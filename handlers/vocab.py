"""The workflow's words: codes stored in SQL and the Chinese labels the manuals use."""
from __future__ import annotations

from bot.commands import Choice
from storage.models import Stage, TaskState

STAGES: dict[str, str] = {
    Stage.EVALUATING: "需求评估", Stage.RETURNED: "已退回", Stage.PLANNING: "方案制定", Stage.EXECUTING: "执行推进",
    Stage.ACCEPTED: "已验收", Stage.ARCHIVED: "已归档",
}
ACTIVE_STAGES = (Stage.EVALUATING, Stage.RETURNED, Stage.PLANNING, Stage.EXECUTING, Stage.ACCEPTED)

PRIORITY = (Choice("high", "高", ("h", "p1", "紧急")), Choice("medium", "中", ("m", "p2", "普通")),
            Choice("low", "低", ("l", "p3")))
PRIORITY_COLOR = {"high": "red", "medium": "yellow", "low": "green"}  # a problem's impact, a risk's level
#: Header colours of what is not a danger: red is kept for errors and for things going wrong (late,
#: blocked, a high risk), so a high-priority request that went through is never shown like a refusal;
#: its priority is a field (优先级) of the card. docs/cards.md, "Colours".
SUCCESS, ASKING = "green", "blue"
LEVELS = PRIORITY  # 高/中/低 for problem impact and risk level
LEVEL_LABEL = {c.value: c.label for c in LEVELS}

DECISIONS = (Choice("accept", "接受", ("同意", "承接", "yes", "ok")), Choice("decline", "拒绝", ("不接受", "no")),
             Choice("need_info", "需补充信息", ("need-info", "needinfo", "补充", "待补充", "info")))
DECISION_LABEL = {c.value: c.label for c in DECISIONS} | {"pending": "待答复"}

TASK_STATES = (Choice(TaskState.TODO, "未启动", ("未开始", "not-started")),
               Choice(TaskState.DOING, "进行中", ("in-progress", "开始")), Choice(TaskState.DELAYED, "延期", ("late",)),
               Choice(TaskState.BLOCKED, "阻塞", ("受阻",)), Choice(TaskState.DONE, "已完成", ("完成", "finished")))
TASK_LABEL: dict[str, str] = {c.value: c.label for c in TASK_STATES} | {TaskState.REVIEW.value: "待验收"}
TASK_COLOR: dict[str, str] = {TaskState.TODO: "grey", TaskState.DOING: "blue", TaskState.DELAYED: "yellow", TaskState.BLOCKED: "red",
              TaskState.REVIEW: "blue", TaskState.DONE: "green"}
OPEN_TASK_STATES = (TaskState.TODO, TaskState.DOING, TaskState.DELAYED, TaskState.BLOCKED, TaskState.REVIEW)

RESULTS = (Choice("pass", "通过", ("验收通过", "ok")), Choice("partial", "部分通过", ("部分",)),
           Choice("fail", "不通过", ("未通过", "驳回")))
RESULT_LABEL = {c.value: c.label for c in RESULTS}

CHANGE_KINDS = (Choice("goal", "目标"), Choice("scope", "范围"), Choice("dates", "时间", ("日期", "工期", "schedule")),
                Choice("resources", "资源", ("预算", "人力")))
CHANGE_LABEL = {c.value: c.label for c in CHANGE_KINDS}
CHANGE_STATUS = {"pending": "待审批", "approved": "已批准", "rejected": "已驳回"}

MEETING_KINDS = (Choice("evaluation", "需求评估会", ("评估会",)), Choice("kickoff", "启动会", ("启动",)),
                 Choice("sync", "进度同步会", ("周会", "同步会", "例会")), Choice("problem", "问题解决会", ("问题会",)),
                 Choice("decision", "专题决策会", ("决策会",)), Choice("retro", "复盘会", ("复盘",)),
                 Choice("other", "其他会议", ("其他",)))
MEETING_LABEL = {c.value: c.label for c in MEETING_KINDS}
MEETING_STATUS = {"scheduled": "已安排", "done": "已召开（纪要已记录）", "cancelled": "已取消"}

RISK_STATES = (Choice("open", "跟踪中", ("打开",)), Choice("closed", "已关闭", ("关闭", "close")),
               Choice("accepted", "已接受风险", ("接受风险", "接受", "accept")))
RISK_LABEL = {c.value: c.label for c in RISK_STATES}

ESCALATION = ("牵头部门", "协作管理办公室", "分管领导（专题决策会）")

#: What each audited action is called in the audit trail (/audit, the export's 审计记录).
AUDIT_LABEL = {
    "request": "发起需求", "request.edit": "修改需求", "request.submit": "重新提交", "evaluate": "评估答复",
    "approve": "立项", "return": "退回", "task.add": "新增任务", "task.edit": "修改任务", "task.reassign": "改派任务",
    "task.force_start": "强制开始", "confirm": "确认方案", "status": "更新状态", "progress": "提交周进度",
    "problem": "登记问题", "problem.resolve": "解决问题", "problem.escalate": "升级问题", "risk": "登记风险",
    "risk.update": "更新风险", "change": "变更申请", "change.approve": "批准变更", "change.reject": "驳回变更",
    "meeting": "安排会议", "meeting.cancel": "取消会议", "minutes": "会议纪要", "action.done": "完成行动项",
    "action.reassign": "改派行动项", "deliver": "提交交付", "accept": "验收", "rate": "评价", "retro": "复盘归档",
    "retro.override": "带未关闭事项归档", "contact.change": "更换对接人", "person.leave": "人员离开", "bind": "绑定群",
    "calendar.add": "设置日历", "calendar.remove": "删除日历设置", "config role": "配置角色",
    "export": "导出",
}
