"""The living demo (bot/platforms/local/demo_play.py): three collaborations played through the real
handlers on working days before today, the planner caught up, a welcome card on top of the PMO's
group; only into the demo's own database, and only once."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.config import DEFAULT_DATABASE, DEMO_DATABASE, Config, load_config
from bot.platforms.local import demo_play
from bot.platforms.local.demo import PMO, seed_demo
from storage import kb
from storage.db import make_engine, make_sessionmaker
from storage.models import (
    ChangeRequest,
    Collaboration,
    Evaluation,
    LocalMessage,
    PlanTemplate,
    Problem,
    Rating,
    Retrospective,
    Risk,
    SchedulerState,
    Task,
)
from tests.conftest import SHANGHAI


def demo_config(tmp_path: Path) -> Config:
    config = Config()
    config.database.url = f"sqlite:///{tmp_path / 'xiezuo-demo.db'}"
    seed_demo(config)
    return config


@pytest.mark.parametrize("now", [datetime(2026, 12, 7, 10, 0, tzinfo=SHANGHAI),  # a Monday
                                 datetime(2027, 1, 9, 15, 0, tzinfo=SHANGHAI),  # a Saturday, codes of two years
                                 datetime(2026, 10, 10, 8, 0, tzinfo=SHANGHAI)],  # after 国庆, before the day starts
                         ids=["monday", "new-year-saturday", "after-national-day"])
async def test_the_demo_plays_three_collaborations_at_their_stages(tmp_path: Path, now: datetime) -> None:
    config = demo_config(tmp_path)
    assert await demo_play.play(config, now)
    engine = make_engine(config.database.url)
    sessions = make_sessionmaker(engine)
    try:
        async with sessions() as s:
            collabs = (await s.scalars(select(Collaboration).order_by(Collaboration.id))).all()
            assert [c.stage for c in collabs] == ["archived", "executing", "evaluating"]
            a, b, c = collabs
            assert await s.scalar(select(func.count()).select_from(Rating).where(Rating.collab_id == a.id)) == 2
            assert await s.scalar(select(Retrospective.lessons).where(Retrospective.collab_id == a.id))
            assert await s.scalar(select(PlanTemplate.name)) == "新品发布"
            late = (await s.scalars(select(Task).where(Task.collab_id == b.id, Task.status == "doing"))).all()
            assert [t.number for t in late] == [2] and late[0].due_date < now.astimezone(SHANGHAI).date()
            assert await s.scalar(select(Problem.level).where(Problem.collab_id == b.id)) == 1  # at the PMO
            assert await s.scalar(select(Risk.level).where(Risk.collab_id == b.id, Risk.status == "open")) == "high"
            assert await s.scalar(select(ChangeRequest.status).where(ChangeRequest.collab_id == b.id)) == "pending"
            answers = {e.decision for e in (await s.scalars(select(Evaluation).where(Evaluation.collab_id == c.id))).all()}
            assert answers == {"accept", "need_info"}
            found = {h.ref for h in await kb.search(s, "签名校验", kb.Filters(kinds=("problem",)))}
            assert found == {f"{a.code}/P1", f"{b.code}/P1"}  # indexed as it was played
            state = await s.scalar(select(SchedulerState.last_run_at).where(SchedulerState.name == "planner"))
            assert state == now, "the planner starts from now: the past is not sent again"
            last = (await s.scalars(select(LocalMessage).where(LocalMessage.chat_id == PMO)
                                    .order_by(LocalMessage.id.desc()).limit(1))).one()
            assert last.payload is not None and last.payload["template"] == "welcome" and b.code in last.payload["body"]
            times = (await s.scalars(select(LocalMessage.created_at).where(LocalMessage.chat_id == "研发部"))).all()
            assert min(times) < now and max(times) <= now, "the history happened on working days before today"
    finally:
        await engine.dispose()
    assert not await demo_play.play(config, now), "played once only"


def test_the_demo_has_its_own_database_and_a_platform_never_gets_it(tmp_path: Path) -> None:
    assert load_config(env={}).database.url == DEMO_DATABASE
    feishu = tmp_path / "feishu.toml"
    feishu.write_text('[feishu]\napp_id = "cli_x"\napp_secret = "s"\n')
    assert load_config(feishu, env={}).database.url == DEFAULT_DATABASE
    off = tmp_path / "off.toml"
    off.write_text("[local]\nseed_demo = false\n")
    assert load_config(off, env={}).database.url == DEFAULT_DATABASE
    assert load_config(env={"XIEZUO_DATABASE_URL": "sqlite:///./mine.db"}).database.url == "sqlite:///./mine.db"
