"""`/audit <id>`: the latest entries of the trail, newest first, who and what in words; readable
like the board."""
from __future__ import annotations

from bot.testkit import TestBot
from tests.scenario import CODE, ok, refused, to_executing


async def test_the_audit_trail_in_chat(tb: TestBot) -> None:
    await to_executing(tb)
    refused(await tb.say("李工", "研发部", f"/status {CODE}/T2 进行中 force=是"))  # 李工 may not force: no entry
    ok(await tb.say("张经理", "市场部", f"/status {CODE}/T2 进行中 force=是"))
    card = ok(await tb.say("周主任", "协作管理办公室", f"/audit {CODE} n=3"))
    assert card.title.startswith(f"{CODE} 审计记录（最近 3 / 共 ")
    newest = card.data["rows"][0]
    assert (newest["who"], newest["action"]) == ("张经理", "更新状态")
    assert [r["action"] for r in card.data["rows"]][1] == "强制开始"
    outsider = refused(await tb.say("陈专员", "销售部", f"/audit {CODE}"))
    assert "没有编号为" in outsider.body
