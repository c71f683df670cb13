"""Help and group binding: the commands that are about the bot, not a collaboration."""
from __future__ import annotations

from bot.commands import Kind, Param, UserError, Values
from bot.messages import CardKind, Field, Message
from handlers import common
from handlers.context import Context
from handlers.registry import Commands
from storage import org
from storage.models import NAME_CHARS

commands = Commands()

#: What the bot says in a group it was just added to. Bold comes from the card's field labels:
#: message text is always shown literally (docs/cards.md).
GREETING = Message("协作机器人已加入本群", "大家好！我负责跨部门协作的发起、评估、任务、进度、交付和复盘。",
                   (Field("第一步", "部门负责人在本群 @机器人 发送 /bind 部门名（如 /bind 研发部），把本群绑定为部门群"),
                    Field("查看全部命令", "@机器人 发送 /help")), template=CardKind.HELP, color="blue")


@commands.command("help", ("帮助", "?", "？", "菜单"), "命令列表，或某个命令的用法和示例",
                  Param("command", "命令", positional=True), example="/help task", mutates=False)
async def help_command(ctx: Context, v: Values) -> None:
    reg = ctx.registry
    if v.command:
        word = v.command.lstrip("/／").lower()
        root = reg.roots.get(word)
        if root is None:
            near = reg.nearest(word)
            raise UserError(f"没有命令“{word[:40]}”" + (f"，你是不是想查 /help {near}？" if near else ""))
        specs = [s for s in (reg.specs.get(root), *reg.subcommands(root)) if s is not None]
        ctx.reply(Message(f"/{root} 用法", "\n\n".join(s.help_text() for s in specs), template=CardKind.HELP,
                          data={"command": root}))
        return
    lines = []
    for root in reg.root_names():
        aliases, summary = reg.summary(root)
        lines.append(f"/{root}（{aliases[0] if aliases else ''}）— {summary}")
    ctx.reply(Message("协作机器人 · 命令", "\n".join(lines) + "\n\n发送 /help 命令名 查看用法，如 /help request",
                      template=CardKind.HELP, data={"commands": reg.root_names()}))


@commands.command("bind", ("绑定",), "把本群绑定为某部门的群（管理员或该部门负责人）",
                  Param("dept", "部门", Kind.DEPT, positional=True, required=True), example="/bind 研发部")
async def bind_group(ctx: Context, v: Values) -> None:
    chat = ctx.event.chat
    if not chat.is_group:
        raise UserError("请在部门群里 @机器人 发送 /bind，私聊不能绑定")
    if len(v.dept.strip()) > NAME_CHARS:
        raise UserError(f"部门名太长（{len(v.dept.strip())} 字），最多 {NAME_CHARS} 字", usage=ctx.registry.usage("bind"))
    dept = await org.dept_by_name(ctx.session, v.dept)
    if dept is None:
        common.require(common.is_admin(ctx), f"新建部门“{v.dept}”", "协作管理办公室")
        dept = await org.ensure_department(ctx.session, v.dept.strip(), ctx.config.policy.timezone)
    common.require(common.is_admin(ctx) or common.is_head(ctx, dept.id), f"把本群绑定到{dept.name}",
                   f"{dept.name}负责人或协作管理办公室")
    bound = await org.chat_dept(ctx.session, chat.platform, chat.chat_id)
    if bound is not None and bound != dept.id:  # moving another department's group away from it
        current = await org.dept_by_id(ctx.session, bound)
        common.require(common.is_admin(ctx), f"把{current.name if current else '其他部门'}的群改绑到{dept.name}",
                       "协作管理办公室")
    await org.bind_chat(ctx.session, dept, chat.platform, chat.chat_id, chat.title)
    if ctx.actor.dept_id is None:
        ctx.actor.dept_id = dept.id
    ctx.audit("bind", dept=dept.name, platform=chat.platform, chat=chat.chat_id)
    ctx.reply(Message(f"本群已绑定：{dept.name}", f"{dept.name}的协作通知、提醒和预警将发到本群。发送 /help 查看命令。",
                      template=CardKind.BOUND, data={"dept": dept.name}, color="green"))
