"""DingTalk's side of `xiezuo doctor` (docs/deploy.md, "First day"): the app's credentials (an
access token), the stream connection (a gateway ticket), and what cannot be asked without sending
(the robot's membership of each group, told by the first send or by /bind)."""
from __future__ import annotations

from dataclasses import replace

from bot.config import Config
from bot.doctor import Finding, credentials
from bot.platforms.dingtalk.api import DingTalkApi, DingTalkError
from bot.platforms.dingtalk.stream import UA
from bot.platforms.http import Retryable


async def check(config: Config) -> list[Finding]:
    d = config.dingtalk
    api = DingTalkApi(replace(d, max_attempts=1))
    try:
        token = await credentials("dingtalk", d.client_id, d.base_url, api.fetch_token, DingTalkError,
                                  "copy Client ID (AppKey) and Client Secret (AppSecret) into [dingtalk]")
        if not token.ok:
            return [token]
        out = [token]
        try:
            await api.open_connection([{"type": "CALLBACK", "topic": "/v1.0/im/bot/messages/get"}], UA)
            out.append(Finding(True, "dingtalk stream: the gateway gives a connection ticket"))
        except (DingTalkError, Retryable) as exc:
            out.append(Finding(False, f"dingtalk stream: no connection ticket ({exc})",
                               "机器人配置: choose Stream 模式 for the message receiving mode, and publish"))
        if not d.card_template_id:
            out.append(Finding(None, "dingtalk cards: no card_template_id: groups get markdown with the command to type",
                               "import cards/dingtalk/xiezuo-card.json as a card template (docs/dingtalk.md)"))
        groups = sum(len(dept.dingtalk_chats) for dept in config.departments)
        out.append(Finding(None, f"dingtalk groups ({groups}): membership cannot be asked without sending",
                           "send /bind <部门> in each group: the bot answers only where it is a member"))
        return out
    finally:
        await api.close()
