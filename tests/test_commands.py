"""bot/commands.py: tokenize, parse, bind, bind_values — by example and as properties over the real registry."""
from __future__ import annotations

from datetime import date, time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.commands import (
    MAX_COMMAND_CHARS,
    QUOTES,
    Choice,
    CommandSpec,
    Kind,
    Param,
    Registry,
    UserError,
    Values,
    bind,
    bind_values,
    parse,
    tokenize,
)
from handlers import build_registry
from handlers.registry import Commands

TODAY = date(2026, 11, 23)  # a Monday
REAL = build_registry()


async def _noop(ctx: Any, values: Values) -> None:
    """Handlers are not run here; the parser only needs them registered."""


def make_registry() -> Registry:
    """A small registry covering every parameter kind, subcommands and a default subcommand."""
    reg = Commands()
    reg.command("note", ("笔记", "记"), "记一笔",
                Param("id", "编号", Kind.COLLAB, positional=True),
                Param("count", "数量", Kind.INT, positional=True, min=1, max=10, aliases=("个数",)),
                Param("text", "内容", Kind.TEXTAREA, positional=True, required=True, rest=True),
                Param("when", "日期", Kind.DATE, aliases=("日子",)),
                Param("at", "时间", Kind.TIME),
                Param("level", "等级", Kind.CHOICE, choices=(Choice("high", "高", ("h", "紧急")), Choice("low", "低"))),
                Param("urgent", "加急", Kind.BOOL),
                Param("people", "人员", Kind.PEOPLE),
                Param("item", "事项", Kind.TEXTS),
                Param("title", "标题"))(_noop)
    reg.command("note delete", ("删除", "rm"), "删掉一笔", Param("id", "编号", positional=True, required=True))(_noop)
    reg.command("job list", ("列表", "ls"), "列出任务", Param("id", "编号", Kind.COLLAB, positional=True),
                default_sub=True)(_noop)
    reg.command("job add", ("新增",), "新增任务", Param("title", "标题", positional=True, required=True, rest=True))(_noop)
    registry = Registry()
    reg.register(registry)
    return registry


REG = make_registry()


def run(text: str, registry: Registry = REG, max_chars: int = 2000) -> tuple[str, Values]:
    parsed = parse(registry, text)
    return parsed.spec.name, bind(parsed.spec, parsed.args, TODAY, max_chars)


def fails(text: str, registry: Registry = REG) -> UserError:
    with pytest.raises(UserError) as err:
        run(text, registry)
    assert err.value.message
    return err.value


# --- tokenize -------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, tokens", [
    ("a b  c", [("a", None), ("b", None), ("c", None)]),
    ('"a b" c', [("a b", None), ("c", None)]),
    ("“全角 引号” 「直角 引号」 『双』 ‘单’ 'x y'", [("全角 引号", None), ("直角 引号", None), ("双", None), ("单", None),
                                                ("x y", None)]),
    ("k=v K＝V", [("k", "v"), ("k", "V")]),
    ('goal="销量 10万台" due=12-31', [("goal", "销量 10万台"), ("due", "12-31")]),
    ("goal=“销量 10万台”", [("goal", "销量 10万台")]),
    ('a="x=y"', [("a", "x=y")]),
    ("a=b=c", [("a", "b=c")]),
    ("=v", [("=v", None)]),
    ('"" x', [("", None), ("x", None)]),
    ('k=""', [("k", "")]),
    ('ab"c d"e', [("abc de", None)]),
    ("”」 closing marks are plain", [("”」", None), ("closing", None), ("marks", None), ("are", None), ("plain", None)]),
    ("  \t\n ", []),
])
def test_tokenize(text: str, tokens: list[tuple[str, str | None]]) -> None:
    assert tokenize(text) == tokens


@pytest.mark.parametrize("text", ['a "b', "goal=“x", "「半个", "it's", "k='v"])
def test_unclosed_quote(text: str) -> None:
    with pytest.raises(UserError, match="没有闭合"):
        tokenize(text)


# --- parse ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["/note x", "／note x", "note x", "/NOTE x", "/笔记 x", "记 x", "／笔记 x"])
def test_names_aliases_and_slashes(text: str) -> None:
    assert run(text) == ("note", Values(id=None, count=None, text="x", when=None, at=None, level=None,
                                        urgent=None, people=[], item=[], title=None))


@pytest.mark.parametrize("text, name", [
    ("/note delete N1", "note delete"), ("/笔记 删除 N1", "note delete"), ("/note RM N1", "note delete"),
    ("/note deleted N1", "note"),  # not a subcommand word: the root command with text
    ("/job add 写文档", "job add"), ("/job 新增 写文档", "job add"),
    ("/job list", "job list"), ("/job ls XZ-2026-0001", "job list"),
    ("/job", "job list"), ("/job XZ-2026-0001", "job list"),  # the default subcommand
])
def test_subcommands(text: str, name: str) -> None:
    assert run(text)[0] == name


def test_root_without_default_subcommand_lists_them() -> None:
    commands, reg = Commands(), Registry()
    commands.command("x a", (), "A", Param("p", "P", positional=True))(_noop)
    commands.command("x b", (), "B")(_noop)
    commands.register(reg)
    err = fails("/x", reg)
    assert "a | b" in err.message and "/x a [P]" in err.usage and "/x b" in err.usage


@pytest.mark.parametrize("text, near", [("/notes x", "note"), ("/jobs", "job"), ("/stauts T1 完成", None)])
def test_unknown_command_names_the_nearest(text: str, near: str | None) -> None:
    err = fails(text)
    assert "未知命令" in err.message
    if near:
        assert f"/{near}" in err.message and err.usage.startswith(f"/{near}")
    else:
        assert err.usage == "/help"


def test_unknown_command_in_the_real_registry() -> None:
    err = fails("/stauts T1 完成", REAL)
    assert "/status" in err.message and err.usage == REAL.specs["status"].usage()
    err = fails("/xyzzy", REAL)
    assert "xyzzy" in err.message and err.usage == "/help"


@pytest.mark.parametrize("text", ["", "   ", "k=v", '""'])
def test_no_command_word(text: str) -> None:
    err = fails(text)
    assert err.usage


def test_oversized_message() -> None:
    err = fails("/note " + "x" * MAX_COMMAND_CHARS)
    assert "太长" in err.message


@pytest.mark.parametrize("text, name", [
    ("/help", "help"), ("/帮助 status", "help"), ("/status T1 完成", "status"), ("/状态 T1 完成", "status"),
    ("/progress", "progress"), ("/周报", "progress"), ("/进度", "progress"), ("/board", "board"), ("/看板", "board"),
    ("/mytasks", "mytasks"), ("/我的任务", "mytasks"), ("/task list", "task list"), ("/task add x", "task add"),
    ("/task 新增 x", "task add"), ("/task edit T1", "task edit"), ("/task", "task list"),
    ("/problem x", "problem"), ("/问题 x", "problem"), ("/problem resolve P1", "problem resolve"),
    ("/problem 升级 P1", "problem escalate"), ("/risk x", "risk"), ("/risk 更新 R1", "risk update"),
    ("/meeting date=明天 time=9:00 agenda=x", "meeting"), ("/meeting cancel M1", "meeting cancel"),
    ("/会议 取消 M1", "meeting cancel"), ("/minutes M1 x", "minutes"), ("/纪要 M1 x", "minutes"),
    ("/deliver T1 x", "deliver"), ("/交付 T1 x", "deliver"), ("/accept T1 通过 90", "accept"),
    ("/验收 T1 不通过 50", "accept"), ("/rate 研发部 5 5 5", "rate"), ("/retro", "retro"), ("/复盘", "retro"),
    ("/request", "request"), ("/需求", "request"), ("/发起", "request"), ("/evaluate 接受", "evaluate"),
    ("/评估 接受", "evaluate"), ("/approve", "approve"), ("/立项", "approve"), ("/return XZ-2026-0001 不清楚", "return"),
    ("/退回 XZ-2026-0001 不清楚", "return"), ("/bind 研发部", "bind"), ("/绑定 研发部", "bind"),
    ("/confirm", "confirm"), ("/确认", "confirm"),
])
def test_real_command_names(text: str, name: str) -> None:
    assert parse(REAL, text).spec.name == name


# --- bind -----------------------------------------------------------------------------------------

def test_positional_and_options() -> None:
    name, v = run("/note XZ-2026-0001 3 买 咖啡 when=下周五 at=下午3点半 level=高 urgent=是 people=张三，李四、王五 "
                  "item=一 item=二 title='周 报'")
    assert name == "note"
    assert v == Values(id="XZ-2026-0001", count=3, text="买 咖啡", when=date(2026, 12, 4), at=time(15, 30),
                       level="high", urgent=True, people=["张三", "李四", "王五"], item=["一", "二"], title="周 报")
    assert v.id == "XZ-2026-0001" and v.title == "周 报"
    with pytest.raises(AttributeError, match="no parameter 'titel'"):  # a typo in a handler is an error, not None
        v.titel  # noqa: B018


def test_optional_typed_positionals_skip_words_that_do_not_fit() -> None:
    assert run("/note 买咖啡")[1].text == "买咖啡"
    _, v = run("/note 3 买咖啡")
    assert (v.id, v.count, v.text) == (None, 3, "买咖啡")
    _, v = run("/note XZ-2026-0001 买 3 杯")
    assert (v.id, v.count, v.text) == ("XZ-2026-0001", None, "买 3 杯")


def test_real_status_skips_progress_when_the_word_is_not_a_number() -> None:
    _, v = run("/status T3 阻塞 等待 接口", REAL)
    assert v == Values(task="T3", state="blocked", progress=None, note="等待 接口", force=None)
    _, v = run("/status XZ-2026-0001/T3 进行中 40% 顺利", REAL)
    assert v == Values(task="XZ-2026-0001/T3", state="doing", progress=40, note="顺利", force=None)


def test_keyed_value_takes_a_positional_slot() -> None:
    _, v = run("/note 买咖啡 count=2")
    assert (v.count, v.text) == (2, "买咖啡")
    _, v = run("/note text=买咖啡")
    assert v.text == "买咖啡"


def test_chinese_key_aliases() -> None:
    _, v = run("/note 内容=写 日期=12月1日 日子=12-02 时间=09:30 等级=低 加急=否 人员=甲 事项=乙 标题=丙 个数=4")
    assert (v.text, v.when, v.at, v.level, v.urgent, v.people, v.item, v.title, v.count) == \
        ("写", date(2026, 12, 2), time(9, 30), "low", False, ["甲"], ["乙"], "丙", 4)
    _, v = run("/status T1 状态=完成 进度=100 备注=收尾", REAL)
    assert (v.state, v.progress, v.note) == ("done", 100, "收尾")


def test_repeated_keys() -> None:
    _, v = run("/note x title=一 title=二 people=甲,乙 人员=丙 item=a 事项=b")
    assert v.title == "二", "a single value: the last one wins"
    assert v.people == ["甲", "乙", "丙"] and v.item == ["a", "b"], "lists collect every occurrence"


def test_unknown_key_lists_the_known_ones() -> None:
    err = fails("/note x colour=红")
    assert "colour" in err.message
    assert "id, count, text, when, at, level, urgent, people, item, title" in err.message
    assert err.usage == REG.specs["note"].usage()


def test_missing_required_shows_usage() -> None:
    err = fails("/note")
    assert "缺少内容（text）" in err.message and err.usage == "/note [编号] [数量] <内容> [when=…] [at=…] [level=…] " \
        "[urgent=…] [people=…] [item=…] [title=…]"
    err = fails("/note text=\"  \"")
    assert "缺少内容" in err.message


def test_extra_words_are_refused() -> None:
    err = fails("/note delete N1 N2")
    assert "多余的参数：N2" in err.message and err.usage == "/note delete <编号>"


def test_oversized_fields() -> None:
    assert run("/note " + "x" * 2000)[1].text == "x" * 2000
    err = fails("/note " + "x" * 2001)
    assert "内容太长（2001 字），最多 2000 字" in err.message and err.usage
    err = fails("/note x title=" + "t" * 201)
    assert "标题太长" in err.message and "200" in err.message
    with pytest.raises(UserError, match="最多 10 字"):
        run("/note " + "x" * 11, max_chars=10)


@pytest.mark.parametrize("value, ok", [("1", 1), ("10", 10), ("5%", 5), ("7分", 7), ("0", None), ("11", None),
                                       ("-1", None), ("三", None), ("1.5", None), ("", None)])
def test_int_range(value: str, ok: int | None) -> None:
    if ok is not None:
        assert run(f"/note x count={value}")[1].count == ok
    elif value:
        err = fails(f"/note x count={value}")
        assert "数量" in err.message and value in err.message
    else:
        assert run(f"/note x count={value}")[1].count is None, "an empty option is no option"


@pytest.mark.parametrize("value, ok", [("高", "high"), ("high", "high"), ("HIGH", "high"), ("h", "high"),
                                       ("紧急", "high"), ("低", "low"), ("low", "low"), ("中", None), ("medium", None)])
def test_choice_labels_and_aliases(value: str, ok: str | None) -> None:
    if ok:
        assert run(f"/note x level={value}")[1].level == ok
    else:
        err = fails(f"/note x level={value}")
        assert "等级只能是 高、低" in err.message and value in err.message


@pytest.mark.parametrize("value, ok", [("是", True), ("true", True), ("YES", True), ("1", True), ("对", True),
                                       ("否", False), ("false", False), ("no", False), ("0", False), ("不", False),
                                       ("maybe", None), ("2", None)])
def test_bool(value: str, ok: bool | None) -> None:
    if ok is None:
        assert "加急只能是 是/否" in fails(f"/note x urgent={value}").message
    else:
        assert run(f"/note x urgent={value}")[1].urgent is ok


@pytest.mark.parametrize("value, expected", [("2026-12-01", date(2026, 12, 1)), ("12月1日", date(2026, 12, 1)),
                                             ("明天", date(2026, 11, 24)), ("下周五", date(2026, 12, 4))])
def test_dates(value: str, expected: date) -> None:
    assert run(f"/note x when={value}")[1].when == expected


def test_bad_date_and_time_name_the_field_and_the_forms() -> None:
    err = fails("/note x when=2月30日")
    assert err.message.startswith("日期：") and "不存在" in err.message and err.usage
    err = fails("/note x when=回头")
    assert "12月1日" in err.message
    err = fails("/note x at=25点")
    assert err.message.startswith("时间：") and err.usage


# --- bind_values (card forms) ---------------------------------------------------------------------

def test_bind_values_is_the_typed_binding() -> None:
    form = {"text": "买 咖啡", "count": 3, "when": "2026-12-01", "at": "09:30", "level": "high", "urgent": "true",
            "people": ["张三", "李四"], "item": ["一", "二"], "title": "", "id": None, "Level": None}
    typed = run('/note "买 咖啡" count=3 when=2026-12-01 at=09:30 level=high urgent=true people=张三,李四 '
                "item=一 item=二")[1]
    assert bind_values(REG.specs["note"], form, TODAY) == typed


def test_bind_values_validates_like_text() -> None:
    spec = REG.specs["note"]
    with pytest.raises(UserError, match="缺少内容"):
        bind_values(spec, {"text": "", "people": []}, TODAY)
    with pytest.raises(UserError, match="没有参数“colour”"):
        bind_values(spec, {"text": "x", "colour": "红"}, TODAY)
    with pytest.raises(UserError, match="数量应在 1–10"):
        bind_values(spec, {"text": "x", "count": 99}, TODAY)
    assert bind_values(spec, {"内容": "x", "日期": "明天"}, TODAY).when == date(2026, 11, 24)


# --- properties over the real registry ------------------------------------------------------------

def _root_words() -> list[str]:
    words = sorted(REAL.roots)
    return words + [f"{REAL.specs[name].root} {sub}" for (root, sub), name in REAL.subs.items()]


_command_text = st.one_of(
    st.text(max_size=80),
    st.builds(lambda w, slash, rest: f"{slash}{w} {rest}", st.sampled_from(_root_words()),
              st.sampled_from(["/", "／", ""]), st.text(max_size=60)),
    st.builds(lambda w, parts: f"/{w} " + " ".join(parts), st.sampled_from(_root_words()),
              st.lists(st.one_of(st.sampled_from(["T1", "XZ-2026-0001", "完成", "进行中", "50", "101", "下周五",
                                                  "2月30日", "研发部", "@张三", "是", "高", '"', "“", "=", "x="]),
                                 st.builds(lambda k, v: f"{k}={v}", st.sampled_from(["id", "due", "progress", "dept",
                                                                                     "日期", "状态", "colour"]),
                                           st.text(max_size=8))),
                       max_size=6)),
)


def _known_root(text: str) -> str | None:
    """The root command a line starts with, found the way parse finds it (one optional slash)."""
    words = text.strip().split()
    word = words[0] if words else ""
    return REAL.roots.get((word[1:] if word[:1] in ("/", "／") else word).lower())


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(_command_text)
def test_any_text_binds_or_raises_a_user_error_with_usage(text: str) -> None:
    try:
        parsed = parse(REAL, text)
        bind(parsed.spec, parsed.args, TODAY, 2000)
    except UserError as err:
        assert err.message.strip(), "a refusal says what was wrong"
        assert err.usage.strip(), "and shows the correct usage"
        root = _known_root(text)
        if root is not None:
            assert f"/{root}" in err.usage, f"a known command's error shows its usage: {err.usage!r}"


_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                     max_leaves=8)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(REAL.specs)), st.dictionaries(
    st.one_of(st.sampled_from(["id", "task", "dept", "depts", "due", "date", "time", "progress", "state", "score",
                               "result", "milestone", "after", "action", "日期", "状态"]), st.text(max_size=8)),
    _json, max_size=5))
def test_any_card_form_binds_or_raises_a_user_error(name: str, values: dict[str, Any]) -> None:
    """Card callbacks carry arbitrary JSON: it binds or is refused with usage, never crashes."""
    spec = REAL.specs[name]
    try:
        bind_values(spec, values, TODAY, 2000)
    except UserError as err:
        assert err.message.strip() and err.usage == spec.usage()


_plain = st.text(st.characters(exclude_categories=["Cs"], exclude_characters='"'), min_size=1, max_size=30)
_item = _plain.map(lambda s: "".join(c for c in s if c not in ",，、;；")).map(str.strip).filter(bool)


def _value(param: Param) -> st.SearchStrategy[tuple[str | list[str], Any]]:
    """(text as typed, value as bound) for one param."""
    kind = param.kind
    if kind in ("people", "depts", "tasks"):
        return st.lists(_item, min_size=1, max_size=4).map(lambda xs: (",".join(xs), xs))
    if kind.endswith("*"):
        return st.lists(_plain.map(str.strip).filter(bool), min_size=1, max_size=3).map(lambda xs: (xs, xs))
    if kind == "int":
        lo = param.min if param.min is not None else -1000
        hi = param.max if param.max is not None else 1000
        return st.integers(lo, hi).map(lambda n: (str(n), n))
    if kind == "date":
        return st.dates(date(2000, 1, 1), date(2100, 12, 31)).map(lambda d: (d.isoformat(), d))
    if kind == "time":
        return st.times().map(lambda t: (t.strftime("%H:%M"), t.replace(second=0, microsecond=0)))
    if kind == "period":
        days = st.dates(date(2000, 1, 1), date(2100, 12, 31))
        return st.tuples(days, days).map(sorted).map(lambda d: (f"{d[0]}~{d[1]}", (d[0], d[1])))
    if kind == "choice":
        return st.sampled_from(param.choices).flatmap(
            lambda c: st.sampled_from((c.value, c.label, *c.aliases)).map(lambda typed: (typed, c.value)))
    if kind == "bool":
        return st.sampled_from([("是", True), ("true", True), ("否", False), ("no", False)])
    return _plain.map(str.strip).filter(bool).map(lambda s: (s, s))


@st.composite
def _spec_and_values(draw: st.DrawFn) -> tuple[CommandSpec, dict[str, Any], dict[str, Any]]:
    spec = draw(st.sampled_from(sorted(REAL.specs.values(), key=lambda s: s.name)))
    typed: dict[str, Any] = {}
    expected: dict[str, Any] = {}
    for param in spec.params:
        if param.required or draw(st.booleans()):
            typed[param.name], expected[param.name] = draw(_value(param))
        else:
            expected[param.name] = [] if param.kind in ("people", "depts", "tasks") or param.kind.endswith("*") \
                else None
    return spec, typed, expected


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(_spec_and_values())
def test_round_trip_through_typed_key_value_text(case: tuple[CommandSpec, dict[str, Any], dict[str, Any]]) -> None:
    spec, typed, expected = case
    words = [f"/{spec.name}"]
    for name, text in typed.items():
        words += [f'{name}="{t}"' for t in (text if isinstance(text, list) else [text])]
    parsed = parse(REAL, " ".join(words))
    assert parsed.spec is spec
    assert bind(spec, parsed.args, TODAY, 2000) == expected
    assert bind_values(spec, typed, TODAY, 2000) == expected, "a card form binds exactly like typed text"


def test_quote_table_is_what_tokenize_honours() -> None:
    for open_, close in QUOTES.items():
        assert tokenize(f"{open_}a b{close}") == [("a b", None)]


# --- free text as people type it ------------------------------------------------------------------

def test_a_free_text_value_runs_to_the_next_known_key_without_quotes() -> None:
    _, v = run("/progress XZ-2026-0001 done=完成接口联调（P90 3.2秒） next=压测 上线 risks=无", REAL)
    assert (v.done, v.next, v.risks) == ("完成接口联调（P90 3.2秒）", "压测 上线", "无")


def test_a_url_with_a_query_stays_whole() -> None:
    _, v = run("/deliver XZ-2026-0001/T1 https://docs.example.com/a?x=1&y=2 接口文档", REAL)
    assert v.content == "https://docs.example.com/a?x=1&y=2 接口文档"
    _, v = run("/progress XZ-2026-0001 done=见 https://wiki.example.com/p?id=7 页面 next=上线", REAL)
    assert (v.done, v.next) == ("见 https://wiki.example.com/p?id=7 页面", "上线")


def test_options_that_are_not_free_text_end_at_their_first_space() -> None:
    _, v = run("/status XZ-2026-0001/T1 state=进行中 60%", REAL)
    assert (v.state, v.progress) == ("doing", 60)


def test_a_stray_word_after_an_option_is_shown_quoted() -> None:
    err = fails("/meeting XZ-2026-0001 date=2026-12-05 上午 time=10:00", REAL)
    assert "多余的参数：上午" in err.message and "date=“2026-12-05 上午”" in err.message


@given(st.lists(st.text(alphabet="接口联调完成（）P90 3.2秒，。、ab", min_size=1, max_size=12), min_size=1, max_size=4))
def test_any_spaced_free_text_reads_back_as_typed(words: list[str]) -> None:
    text = " ".join(w.strip() for w in words if w.strip())
    if not text:
        return
    _, v = run(f"/progress XZ-2026-0001 done={text} next=上线", REAL)
    assert v.done == " ".join(text.split()) and v.next == "上线"


def test_an_alias_is_taken_and_the_reply_says_as_what() -> None:
    _, v = run('/request "Q4" goal="销量10万台" depts=研发部 due=2026-12-31 priority=紧急', REAL)
    assert v.priority == "high" and v.taken_as == ["优先级“紧急”按“高”记录"]
    _, v = run('/request "Q4" goal="销量10万台" depts=研发部 due=2026-12-31 priority=高', REAL)
    assert v.taken_as == []  # the label itself needs no word
