"""Feishu's side of `xiezuo doctor` (docs/deploy.md, "First day"): the app's credentials (a tenant
token), the bot (robot capability on), how events arrive (the long connection's endpoint, or the
webhook's keys), and each department's group chat (the bot a member, and the permission to ask)."""
from __future__ import annotations

from dataclasses import replace

from bot.config import Config
from bot.doctor import Finding, credentials
from bot.platforms.feishu.api import FeishuApi, FeishuError
from bot.platforms.http import Retryable, json_object

#: Feishu's answers when the app lacks the scope a call needs (docs/feishu.md, "Errors"): the
#: platform-wide 99991672, or the message API's 230027.
NO_SCOPE = (99991672, 230027)
ENDPOINT = "/callback/ws/endpoint"


async def check(config: Config) -> list[Finding]:
    api = FeishuApi(replace(config.feishu, max_attempts=1))
    try:
        return await _check(api, config)
    finally:
        await api.close()


async def _check(api: FeishuApi, config: Config) -> list[Finding]:
    f = config.feishu
    token = await credentials("feishu", f.app_id, f.base_url, api.fetch_token, FeishuError,
                              "copy App ID and App Secret from the developer console (凭证与基础信息) into [feishu]")
    if not token.ok:
        return [token]
    out = [token]
    try:
        out.append(Finding(True, f"feishu bot: {await api.bot_open_id()}"))
    except (FeishuError, Retryable) as exc:
        out.append(Finding(False, f"feishu bot: not available ({exc})",
                           "turn on the robot capability (应用能力 → 机器人) and publish a version"))
    out.append(await _events(api, config))
    out.append(await _names(api, config))
    for dept in config.departments:
        for chat in dept.feishu_chats:
            out.append(await _chat(api, dept.name, chat))
    return out


async def _events(api: FeishuApi, config: Config) -> Finding:
    f = config.feishu
    if f.mode == "webhook":
        if f.encrypt_key and f.verification_token:
            return Finding(True, "feishu events: webhook with encrypt_key and verification_token")
        return Finding(False, "feishu events: webhook without encrypt_key or verification_token",
                       "set both from 事件与回调 → 加密策略 into [feishu]")
    try:
        status, text, _ = await api.exchange("POST", api.base + ENDPOINT, json={"AppID": f.app_id, "AppSecret": f.app_secret})
        body = json_object(text)
    except (Retryable, ValueError) as exc:
        body, status = {"msg": str(exc)}, 0
    if status == 200 and body.get("code") == 0 and (body.get("data") or {}).get("URL"):
        return Finding(True, "feishu events: the long connection can open")
    return Finding(False, f"feishu events: the long connection cannot open ({body.get('code')}: {body.get('msg')})",
                   "in 事件与回调, choose 使用长连接接收事件 and subscribe im.message.receive_v1 and card.action.trigger")


async def _names(api: FeishuApi, config: Config) -> Finding:
    """The contact call the bot makes for a new speaker's name, on a configured person."""
    person = next((ref.removeprefix("feishu:") for d in config.departments for ref in d.heads + d.members
                   if ref.startswith("feishu:")), None)
    if person is None:
        return Finding(None, "feishu names: no Feishu person configured to try the contact API on")
    try:
        name = await api.user_name(person)
    except (FeishuError, Retryable) as exc:
        return Finding(None, f"feishu names: the contact API refused {person} ({exc}); people show by id until "
                             "they are configured", "权限管理: add contact:user.base:readonly and set 通讯录权限范围 to "
                                                    "the departments that use the bot")
    return Finding(True, f"feishu names: {person} is {name}")


async def _chat(api: FeishuApi, dept: str, chat: str) -> Finding:
    try:
        body = await api.call("GET", f"/open-apis/im/v1/chats/{chat}/members/is_in_chat", None)
    except FeishuError as exc:
        if exc.code in NO_SCOPE:
            return Finding(False, f"feishu {dept} group {chat}: the app may not read chats ({exc})",
                           "权限管理: add im:chat:readonly (获取群组信息) and publish a version")
        return Finding(False, f"feishu {dept} group {chat}: {exc}", "check the chat id in feishu_chats")
    except Retryable as exc:
        return Finding(False, f"feishu {dept} group {chat}: no answer ({exc})")
    if (body.get("data") or {}).get("is_in_chat"):
        return Finding(True, f"feishu {dept} group {chat}: the bot is a member")
    return Finding(False, f"feishu {dept} group {chat}: the bot is not a member",
                   f"add the bot to the group (群设置 → 群机器人 → 添加机器人), then send /bind {dept} there")
