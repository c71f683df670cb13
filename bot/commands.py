"""Command specs, the registry, and the text → (spec, values) parser.

A `CommandSpec` describes one workflow action once: its Chinese and English names, its
parameters (which are also the fields of its card form) and its handler. Typed text
(`/task add XZ-2026-0001 标题 dept=研发部 due=下周五`) and submitted card forms are bound
through the same `bind`, so both paths validate identically.
"""
from __future__ import annotations

import difflib
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from bot import refs
from bot.dates import DateError, parse_date, parse_period, parse_time

MAX_COMMAND_CHARS = 20_000
QUOTES = {'"': '"', "'": "'", "“": "”", "「": "」", "‘": "’", "『": "』"}
SEPARATORS = ("=", "＝")
SLASHES = ("/", "／")


class UserError(Exception):
    """Something the user can fix; the message is shown to them and nothing is stored."""

    def __init__(self, message: str, usage: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.usage = usage


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    aliases: tuple[str, ...] = ()

    def matches(self, text: str) -> bool:
        t = text.strip().lower()
        return t in (self.value.lower(), self.label.lower(), *(a.lower() for a in self.aliases))


class Kind(StrEnum):
    """What a parameter takes. Reference kinds (person, dept, collab, task) stay text here and are
    resolved against the database by the handler; a period is (first day, last day); the list
    kinds (people, depts, tasks) split on commas, and TEXTS repeats (`action=… action=…`)."""

    TEXT = "text"
    TEXTAREA = "textarea"
    TEXTS = "text*"
    INT = "int"
    DATE = "date"
    TIME = "time"
    PERIOD = "period"
    CHOICE = "choice"
    BOOL = "bool"
    PERSON = "person"
    PEOPLE = "people"
    DEPT = "dept"
    DEPTS = "depts"
    COLLAB = "collab"
    TASK = "task"
    TASKS = "tasks"


#: Kinds whose value is a list.
LISTS = frozenset({Kind.PEOPLE, Kind.DEPTS, Kind.TASKS, Kind.TEXTS})


@dataclass(frozen=True)
class Param:
    """One input of a command: a text argument, a `key=value` option and a card form field."""

    name: str
    label: str
    kind: Kind = Kind.TEXT
    required: bool = False
    positional: bool = False
    aliases: tuple[str, ...] = ()
    choices: tuple[Choice, ...] = ()
    min: int | None = None
    max: int | None = None
    rest: bool = False  # positional that swallows the remaining words (e.g. a reason)
    placeholder: str = ""

    def names(self) -> tuple[str, ...]:
        return (self.name, self.label, *self.aliases)


Handler = Callable[[Any, "Values"], Awaitable[None]]


@dataclass
class CommandSpec:
    name: str  # canonical English name; subcommands are "task add"
    aliases: tuple[str, ...]
    summary: str
    params: tuple[Param, ...] = ()
    example: str = ""
    handler: Handler | None = None
    mutates: bool = True
    default_sub: bool = False  # "/task X" with no known subcommand means this one
    form: bool = False  # typed with no arguments at all, it answers with its form to fill

    @property
    def root(self) -> str:
        return self.name.split(" ")[0]

    @property
    def sub(self) -> str:
        return self.name.partition(" ")[2]

    def usage(self) -> str:
        words = ["/" + self.name]
        for p in self.params:
            if p.positional:
                words.append(f"<{p.label}>" if p.required else f"[{p.label}]")
        for p in self.params:
            if not p.positional:
                words.append(f"{p.name}=<{p.label}>" if p.required else f"[{p.name}=…]")
        return " ".join(words)

    def help_text(self) -> str:
        names = "、".join(self.aliases)
        lines = [f"{self.usage()}", f"{self.summary}（别名：{names}）" if names else self.summary]
        for p in self.params:
            opts = "/".join(c.label for c in p.choices)
            extra = f"：{opts}" if opts else ""
            need = "必填" if p.required else "可选"
            lines.append(f"  • {p.name}（{p.label}，{need}{extra}）")
        if self.example:
            lines.append(f"例：{self.example}")
        return "\n".join(lines)


@dataclass
class Registry:
    """All commands, found by any of their names (English, Chinese, aliases)."""

    specs: dict[str, CommandSpec] = field(default_factory=dict)
    roots: dict[str, str] = field(default_factory=dict)  # any alias → root name
    subs: dict[tuple[str, str], str] = field(default_factory=dict)  # (root, sub alias) → full name
    groups: dict[str, tuple[tuple[str, ...], str]] = field(default_factory=dict)  # root → (aliases, summary)
    views: dict[str, Callable[..., Awaitable[Any]]] = field(default_factory=dict)  # object kind → its current card

    def group(self, root: str, aliases: tuple[str, ...], summary: str) -> None:
        """Name a command that exists only as subcommands (`/task add|edit|list`)."""
        self.groups[root] = (aliases, summary)
        for alias in (root, *aliases):
            self.roots[alias.lower()] = root

    def summary(self, root: str) -> tuple[tuple[str, ...], str]:
        """A root command's aliases and one-line summary, for help."""
        if root in self.groups:
            return self.groups[root]
        spec = self.specs.get(root) or self.subcommands(root)[0]
        return (spec.aliases, spec.summary) if spec.name == root else ((), spec.summary)

    def add(self, spec: CommandSpec) -> CommandSpec:
        self.specs[spec.name] = spec
        if spec.sub:
            self.roots.setdefault(spec.root, spec.root)  # a root with only subcommands (/task, /calendar)
            for alias in (spec.sub, *spec.aliases):
                self.subs[(spec.root, alias.lower())] = spec.name
        else:
            for alias in (spec.name, *spec.aliases):
                self.roots[alias.lower()] = spec.name
        return spec

    def root_names(self) -> list[str]:
        """Every top-level command, in the order they were added (the order of /help)."""
        return list(dict.fromkeys(s.root for s in self.specs.values()))

    def subcommands(self, root: str) -> list[CommandSpec]:
        return [s for s in self.specs.values() if s.root == root and s.sub]

    def usage(self, root: str) -> str:
        """A root command's usage: its own spec's, else one line per subcommand (`/task add|edit|list`)."""
        spec = self.specs.get(root)
        return spec.usage() if spec else "\n".join(s.usage() for s in self.subcommands(root))

    def nearest(self, word: str) -> str | None:
        match = difflib.get_close_matches(word.lower(), list(self.roots), n=1, cutoff=0.5)
        return self.roots[match[0]] if match else None


@dataclass
class Args:
    """Tokens of one command line: positional words and `key=value` options (keys may repeat)."""

    positional: list[str] = field(default_factory=list)
    options: dict[str, list[str]] = field(default_factory=dict)
    after: list[str | None] = field(default_factory=list)  # per positional word, the option typed just before it


@dataclass
class Parsed:
    spec: CommandSpec
    args: Args


class Values(dict[str, Any]):
    """Bound, type-converted inputs of one command: every parameter of its spec, a missing optional
    one as None (or [] for a list). A name outside the spec is an error, never a silent None.
    `taken_as` says which words were read as another (an alias: 紧急 → 高), for the reply."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.taken_as: list[str] = []

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"the command has no parameter {name!r}; it has {', '.join(self)}") from None


def tokenize(text: str) -> list[tuple[str, str | None]]:
    """Split into (word, None) and (key, value) tokens; quotes group words, full-width too."""
    tokens: list[tuple[str, str | None]] = []
    buf: list[str] = []
    key: str | None = None
    quoted = False
    i, n = 0, len(text)

    def flush() -> None:
        nonlocal buf, key, quoted
        word = "".join(buf)
        if key is not None:
            tokens.append((key, word))
        elif word or quoted:
            tokens.append((word, None))
        buf, key, quoted = [], None, False

    while i < n:
        ch = text[i]
        if ch in QUOTES:
            close = QUOTES[ch]
            end = text.find(close, i + 1)
            if end < 0:
                raise UserError(f"引号 {ch} 没有闭合")
            buf.append(text[i + 1:end])
            quoted = True
            i = end + 1
            continue
        if ch.isspace():
            flush()
        elif ch in SEPARATORS and key is None and buf and not quoted:
            key = "".join(buf).strip().lower()
            buf = []
        else:
            buf.append(ch)
        i += 1
    flush()
    return tokens


def parse(registry: Registry, text: str) -> Parsed:
    """Find the command and split its arguments; raises UserError with help on anything wrong."""
    if len(text) > MAX_COMMAND_CHARS:
        raise UserError(f"消息太长（{len(text)} 字），一条命令最多 {MAX_COMMAND_CHARS} 字",
                        usage=_first_word_usage(registry, text))
    try:
        tokens = tokenize(text.strip())
    except UserError as err:
        raise UserError(err.message, usage=_first_word_usage(registry, text)) from None
    if not tokens or tokens[0][1] is not None:
        raise UserError("请输入命令，例如 /help", usage="/help")
    word = tokens[0][0]
    if word[:1] in SLASHES:
        word = word[1:]
    root = registry.roots.get(word.lower())
    if root is None:
        near = registry.nearest(word)
        hint = f"，你是不是想用 /{near}？" if near else ""
        raise UserError(f"未知命令“{word[:40]}”{hint}", usage=registry.usage(near) if near else "/help")
    rest = tokens[1:]
    spec = registry.specs.get(root)
    subs = registry.subcommands(root)
    if subs:
        chosen = None
        if rest and rest[0][1] is None:
            chosen = registry.subs.get((root, rest[0][0].lower()))
        if chosen:
            spec, rest = registry.specs[chosen], rest[1:]
        elif spec is None:
            spec = next((s for s in subs if s.default_sub), None)
            if spec is None:
                names = " | ".join(s.sub for s in subs)
                raise UserError(f"/{root} 需要子命令：{names}", usage=registry.usage(root))
    assert spec is not None
    args = Args()
    last: str | None = None
    for key, value in _free_text(spec, rest):
        if value is None:
            args.positional.append(key)
            args.after.append(last)
        else:
            args.options.setdefault(key, []).append(value)
        last = key if value is not None else None
    return Parsed(spec, args)


FREE_TEXT = frozenset({Kind.TEXT, Kind.TEXTAREA, Kind.TEXTS})


def _free_text(spec: CommandSpec, tokens: list[tuple[str, str | None]]) -> list[tuple[str, str | None]]:
    """People type free text with spaces and no quotes: a free-text option's value runs on to the
    next `key=` that names one of the command's parameters, or the end of the line; a `key=`
    naming none of them is text inside such a value, and anywhere when it is no name (a URL's
    `?a=b`). Other options end at their first space."""
    kinds = {k.lower(): p.kind for p in spec.params for k in p.names()}
    out: list[tuple[str, str | None]] = []
    for key, value in tokens:
        last = out[-1] if out else None
        in_text = last is not None and last[1] is not None and kinds.get(last[0]) in FREE_TEXT
        if value is not None and key not in kinds and (in_text or not key.isidentifier()):
            key, value = f"{key}={value}", None  # else bind names the unknown option
        if value is None and last is not None and last[1] is not None and kinds.get(last[0]) in FREE_TEXT:
            out[-1] = (last[0], f"{last[1]} {key}")
            continue
        out.append((key, value))
    return out


def _first_word_usage(registry: Registry, text: str) -> str:
    """Usage of the command a line starts with, for errors found before the line is split."""
    words = text[:200].split()
    word = words[0] if words else ""
    if word[:1] in SLASHES:
        word = word[1:]
    root = registry.roots.get(word.lower())
    return registry.usage(root) if root else "/help"


def bind(spec: CommandSpec, args: Args, today: date, max_chars: int = 2000) -> Values:
    """Map positional words and options onto the spec's params and convert their types."""
    raw: dict[str, list[str]] = {}
    by_key = {k.lower(): p for p in spec.params for k in p.names()}
    for key, values in args.options.items():
        param = by_key.get(key)
        if param is None:
            known = ", ".join(p.name for p in spec.params) or "（无）"
            raise UserError(f"/{spec.name} 没有参数“{key[:40]}”；可用参数：{known}", usage=spec.usage())
        raw.setdefault(param.name, []).extend(values)
    words = list(args.positional)
    skipped: list[Param] = []
    for param in (p for p in spec.params if p.positional):
        if not words:
            break
        if param.name in raw:
            continue
        if not param.required and not _accepts(param, words[0]):
            skipped.append(param)
            continue
        if param.rest:
            raw[param.name] = [" ".join(words)]
            words = []
        else:
            raw[param.name] = [words.pop(0)]
    if words:
        if skipped:
            hint = SHAPE_HINTS.get(skipped[0].kind, "")
            raise UserError(f"{skipped[0].label}“{words[0][:40]}”格式不对{hint}", usage=spec.usage())
        raise UserError(f"多余的参数：{' '.join(words)[:80]}{_quote_hint(args, words)}", usage=spec.usage())
    return convert(spec, raw, today, max_chars)


def _quote_hint(args: Args, words: list[str]) -> str:
    """When the stray words follow an option, they probably belong to it: show it quoted."""
    first = len(args.positional) - len(words)
    key = args.after[first] if 0 <= first < len(args.after) else None
    if key is None:
        return "；内容含空格时请加引号，例如 reason=“接口方 延期”"
    return f"；若它们属于 {key}，请加引号：{key}=“{args.options[key][-1]} {' '.join(words)}”"[:200]


def bind_values(spec: CommandSpec, values: Mapping[str, Any], today: date, max_chars: int = 2000) -> Values:
    """Bind a submitted card form (field name → value or list of values) like typed options."""
    args = Args()
    for key, value in values.items():
        if value is None or value == "" or value == []:
            continue
        items = value if isinstance(value, list) else [value]
        args.options[str(key).lower()] = [str(v) for v in items]
    return bind(spec, args, today, max_chars)


def convert(spec: CommandSpec, raw: dict[str, list[str]], today: date, max_chars: int) -> Values:
    out = Values()
    for param in spec.params:
        items = [v.strip() for v in raw.get(param.name, []) if v.strip()]
        if not items:
            if param.required:
                raise UserError(f"缺少{param.label}（{param.name}）", usage=spec.usage())
            out[param.name] = [] if _is_list(param) else None
            continue
        limit = 200 if param.kind in (Kind.TEXT, Kind.CHOICE) and param.name in ("name", "title") else max_chars
        for item in items:
            if len(item) > limit:
                raise UserError(f"{param.label}太长（{len(item)} 字），最多 {limit} 字", usage=spec.usage())
        out[param.name] = _convert_one(spec, param, items, today)
        if param.kind == Kind.CHOICE:
            chosen = next(c for c in param.choices if c.value == out[param.name])
            if items[-1].lower() not in (chosen.value.lower(), chosen.label.lower()):
                out.taken_as.append(f"{param.label}“{items[-1]}”按“{chosen.label}”记录")
    return out


_INT = re.compile(r"-?\d+[%分]?")
#: The words an optional positional of these kinds would take (else it is skipped).
_SHAPES: dict[Kind, Callable[[str], bool]] = {
    Kind.COLLAB: refs.is_code,
    Kind.INT: lambda word: _INT.fullmatch(word) is not None,
    Kind.TASK: lambda word: refs.item(word, "T") is not None,
}


SHAPE_HINTS = {Kind.COLLAB: "，应形如 XZ-2026-0001", Kind.INT: "，应为数字", Kind.TASK: "，应形如 T3 或 XZ-2026-0001/T3"}


def _accepts(param: Param, word: str) -> bool:
    """Whether an optional positional would take this word, so "/status T3 阻塞 原因" skips progress."""
    if param.kind == Kind.CHOICE:
        return any(c.matches(word) for c in param.choices)
    shape = _SHAPES.get(param.kind)
    return shape(word) if shape else True


def _is_list(param: Param) -> bool:
    return param.kind in LISTS


def _convert_one(spec: CommandSpec, param: Param, items: list[str], today: date) -> Any:
    kind = param.kind
    if kind == Kind.TEXTS:  # repeatable free text, e.g. action items
        return items
    if kind in LISTS:
        parts = [p.strip() for item in items for p in _split_list(item)]
        return [p for p in parts if p]
    value = items[-1]
    try:
        if kind == Kind.INT:
            number = int(value.rstrip("%分"))
            if (param.min is not None and number < param.min) or (param.max is not None and number > param.max):
                raise UserError(f"{param.label}应在 {param.min}–{param.max} 之间，收到 {value}", usage=spec.usage())
            return number
        if kind == Kind.DATE:
            return parse_date(value, today)
        if kind == Kind.PERIOD:
            return parse_period(value, today)
        if kind == Kind.TIME:
            return parse_time(value)
        if kind == Kind.CHOICE:
            for choice in param.choices:
                if choice.matches(value):
                    return choice.value
            labels = "、".join(c.label for c in param.choices)
            raise UserError(f"{param.label}只能是 {labels}，收到“{value[:40]}”", usage=spec.usage())
        if kind == Kind.BOOL:
            lowered = value.lower()
            if lowered in ("1", "true", "yes", "y", "是", "对", "on"):
                return True
            if lowered in ("0", "false", "no", "n", "否", "不", "off"):
                return False
            raise UserError(f"{param.label}只能是 是/否，收到“{value[:40]}”", usage=spec.usage())
    except ValueError as exc:
        if isinstance(exc, DateError):
            raise UserError(f"{param.label}：{exc}", usage=spec.usage()) from None
        raise UserError(f"{param.label}应为数字，收到“{value[:40]}”", usage=spec.usage()) from None
    return value


def _split_list(text: str) -> list[str]:
    for sep in ("，", "、", ";", "；"):
        text = text.replace(sep, ",")
    return text.split(",")
