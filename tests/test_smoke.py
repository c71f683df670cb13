from bot.testkit import TestBot


async def test_help_and_request(tb: TestBot) -> None:
    replies = await tb.say("小张", "市场部", "/help")
    assert "命令" in replies[0].title
    replies = await tb.say("小张", "市场部", '/request "Q4新品推广" goal="10-12月销量10万台" depts=研发部,设计部 due=2026-12-31 priority=高')
    print(replies[0].as_text())
    assert "XZ-2026-0001" in replies[0].title
    print(tb.pop_text("研发部"))
    print(tb.pop_text("协作管理办公室"))
