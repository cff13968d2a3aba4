"""One command language for every chat, read tolerantly.

Reps type fast on phones: case, extra words ("what tier is Acme?"), quotes, a leading
mention or slash, and Chinese command words all work. Anything that cannot be read
becomes a :class:`ParseError` whose ``example`` shows the right way to write it. The
parser is pure: it never looks at data, so a misreading can never write anything.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class Verb(StrEnum):
    HELP = "help"
    TIER = "tier"
    WHY = "why"
    PLAYBOOK = "playbook"
    HISTORY = "history"
    SET = "set"
    EDIT = "edit"  # show the fields that can be set (a form on Slack)
    OVERRIDE = "override"
    OVERRIDE_CLEAR = "override_clear"
    UNDO = "undo"
    REVIEWED = "reviewed"
    FIND = "find"
    MINE = "mine"
    MOVERS = "movers"
    REVIEW = "review"
    QUALIFY = "qualify"
    QUALIFY_ANSWER = "qualify_answer"
    QUALIFY_BACK = "qualify_back"
    QUALIFY_CANCEL = "qualify_cancel"
    QUALIFY_SAVE = "qualify_save"
    DIGEST = "digest"
    ALERTS_SWITCH = "alerts_switch"
    DIGEST_SWITCH = "digest_switch"
    LANG = "lang"
    WHOAMI = "whoami"
    ROLE = "role"
    MODEL = "model"
    PEOPLE = "people"
    PEOPLE_ADD = "people_add"
    PEOPLE_REMOVE = "people_remove"


@dataclass(frozen=True, slots=True)
class Command:
    verb: Verb
    target: str = ""  # an account name, a person, a tier, or free text
    assignments: tuple[tuple[str, str], ...] = ()  # set: field=value pairs, in order
    tier: str = ""
    reason: str = ""
    duration: timedelta | None = None
    until: date | None = None  # override: the last day it holds
    switch: bool | None = None  # on/off
    value: str = ""  # lang code, role name, an answer
    explicit: bool = True  # False when no command word was typed ("acme" alone)


@dataclass(frozen=True, slots=True)
class ParseError:
    """What was wrong, as a stable code for templates, and a correct example to show."""

    code: str
    example: str
    detail: str = ""


_ALIASES: dict[str, Verb] = {
    "help": Verb.HELP,
    "h": Verb.HELP,
    "?": Verb.HELP,
    "帮助": Verb.HELP,
    "start": Verb.HELP,
    "tier": Verb.TIER,
    "card": Verb.TIER,
    "等级": Verb.TIER,
    "分级": Verb.TIER,
    "why": Verb.WHY,
    "explain": Verb.WHY,
    "为什么": Verb.WHY,
    "原因": Verb.WHY,
    "playbook": Verb.PLAYBOOK,
    "打法": Verb.PLAYBOOK,
    "策略": Verb.PLAYBOOK,
    "history": Verb.HISTORY,
    "历史": Verb.HISTORY,
    "set": Verb.SET,
    "update": Verb.SET,
    "设置": Verb.SET,
    "更新": Verb.SET,
    "edit": Verb.EDIT,
    "编辑": Verb.EDIT,
    "override": Verb.OVERRIDE,
    "覆盖": Verb.OVERRIDE,
    "调级": Verb.OVERRIDE,
    "undo": Verb.UNDO,
    "撤销": Verb.UNDO,
    "reviewed": Verb.REVIEWED,
    "已复核": Verb.REVIEWED,
    "find": Verb.FIND,
    "search": Verb.FIND,
    "查找": Verb.FIND,
    "搜索": Verb.FIND,
    "mine": Verb.MINE,
    "我的": Verb.MINE,
    "movers": Verb.MOVERS,
    "moves": Verb.MOVERS,
    "变动": Verb.MOVERS,
    "review": Verb.REVIEW,
    "复核": Verb.REVIEW,
    "qualify": Verb.QUALIFY,
    "评估": Verb.QUALIFY,
    "资格": Verb.QUALIFY,
    "digest": Verb.DIGEST,
    "周报": Verb.DIGEST,
    "alerts": Verb.ALERTS_SWITCH,
    "提醒": Verb.ALERTS_SWITCH,
    "lang": Verb.LANG,
    "language": Verb.LANG,
    "语言": Verb.LANG,
    "whoami": Verb.WHOAMI,
    "me": Verb.WHOAMI,
    "我是谁": Verb.WHOAMI,
    "role": Verb.ROLE,
    "角色": Verb.ROLE,
    "model": Verb.MODEL,
    "模型": Verb.MODEL,
    "people": Verb.PEOPLE,
    "人员": Verb.PEOPLE,
}
# Longest first, so "我是谁" wins over shorter aliases when no space follows a Chinese word.
_CHINESE_ALIASES = sorted((a for a in _ALIASES if not a.isascii()), key=len, reverse=True)

EXAMPLES: dict[Verb, str] = {
    Verb.TIER: "tier Acme",
    Verb.WHY: "why Acme",
    Verb.PLAYBOOK: "playbook Acme",
    Verb.HISTORY: "history Acme",
    Verb.SET: "set Acme revenue=1.2M growth=35%",
    Verb.EDIT: "edit Acme",
    Verb.OVERRIDE: "override Acme A because strategic partner for 30d",
    Verb.UNDO: "undo Acme",
    Verb.REVIEWED: "reviewed Acme",
    Verb.FIND: "find acme",
    Verb.MOVERS: "movers 7d",
    Verb.ALERTS_SWITCH: "alerts off",
    Verb.DIGEST_SWITCH: "digest off",
    Verb.LANG: "lang zh",
    Verb.ROLE: "role Alice manager",
    Verb.PEOPLE_ADD: "people add Alice rep slack=U0123 telegram=123456",
    Verb.PEOPLE_REMOVE: "people remove Alice to Bob",
    Verb.QUALIFY_SAVE: "qualify save Acme Robotics",
}

_MENTION = re.compile(r"^(?:<@[A-Z0-9]+(?:\|[^>]*)?>|@[\w.]+)[\s,:，：]*")
_BOT_SUFFIX = re.compile(r"^(/?[^\s@]+)@\w+")
_FILLERS = re.compile(
    r"^(?:please|pls|hey|hi|can you|could you|show me|tell me|查一下|看看|请)\s+", re.I
)
_WHAT_TIER = re.compile(
    r"^(?:what(?:'s| is)?|which)\s+(?:is\s+)?(?:the\s+)?tier\s+"
    r"(?:is|of|for)?\s*(?P<name>.+?)(?:\s+in)?$",
    re.I,
)
_TIER_OF_ZH = re.compile(r"^(?P<name>.+?)(?:是|的)?(?:什么|哪个|几)(?:等级|级别|级)$")
_DURATION = re.compile(
    r"^(?P<n>\d+)\s*(?P<unit>d|days?|w|wk|weeks?|m|mo|months?|天|日|周|星期|个月|月)?$", re.I
)
# "for 30d" (a sign or a fraction is caught here and refused, not left in the reason),
# "为期3个月" with or without a space, or a bare Chinese period at the end ("30天").
_FOR_DURATION = re.compile(
    r"(?:\s+for|\s*为期|\s*持续)\s*(?P<d>[-+]?\d[\d.]*\s*[^\W\d_]*)\s*$"
    r"|\s*(?P<zh>\d+\s*(?:天|周|星期|个月))\s*$",
    re.I,
)
# "until 2026-06-30" (also 2026/6/30 and 2026年6月30日): the override ends when that day does.
_UNTIL = re.compile(
    r"(?:\s+(?:until|till|through)|\s*(?:直到|截至|截止到?))\s*(?P<day>\S.*?)\s*$", re.I
)
_DAY = re.compile(r"^(?P<y>\d{4})[-/.年](?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})日?$")
_ON = frozenset({"on", "yes", "enable", "开", "开启", "打开", "是"})
_OFF = frozenset({"off", "no", "disable", "关", "关闭", "否"})
_CLEAR = frozenset({"clear", "off", "remove", "none", "清除", "取消"})
# "people remove Li Wei to Zhang Min": who takes the accounts over.
_HAND_OVER = re.compile(r"\s+(?:to|->|→)\s+|\s*(?:交给|移交给?)\s*", re.I)
_BECAUSE = re.compile(r"\s+(?:because|reason:?|since)\s+|\s*(?:因为|原因[:：]?)\s*", re.I)


def parse(text: str) -> Command | ParseError:
    """Read one message into a command, or say what is wrong with it."""
    cleaned = _clean(text)
    if not cleaned:
        return Command(Verb.HELP)
    verb, rest = _split_verb(cleaned)
    if verb is None or (verb in _NO_ARGUMENTS and rest):
        # "mine corp" or "me ltd" name an account; a bare "mine" is the command.
        return _natural(cleaned)
    return _PARSERS.get(verb, _target_only)(verb, rest)


def _clean(text: str) -> str:
    text = text.replace("\u3000", " ").strip()
    text = _MENTION.sub("", text, count=1)
    text = _BOT_SUFFIX.sub(r"\1", text)
    text = text.lstrip("/").strip()
    text = _FILLERS.sub("", text)
    if "=" in text or "＝" in text:
        return text  # "revenue=?" must not lose its value to question-mark trimming
    return text.rstrip("?？!！。. ").strip()


def _split_verb(text: str) -> tuple[Verb | None, str]:
    head, _, rest = text.partition(" ")
    verb = _ALIASES.get(head.casefold())
    if verb is not None:
        return verb, rest.strip()
    for alias in _CHINESE_ALIASES:
        if text.startswith(alias):
            return _ALIASES[alias], text[len(alias) :].strip()
    return None, text


def _natural(text: str) -> Command | ParseError:
    """No command word: a question about a tier, or just an account name."""
    match = _WHAT_TIER.match(text) or _TIER_OF_ZH.match(text)
    name = _unquote(match["name"]) if match else _unquote(text)
    if not name:
        return ParseError("unknown_command", EXAMPLES[Verb.TIER])
    if "=" in name or "＝" in name:
        return ParseError("set_needs_command", EXAMPLES[Verb.SET])
    return Command(Verb.TIER, target=name, explicit=False)


def _unquote(text: str) -> str:
    text = text.strip()
    pairs = {'"': '"', "'": "'", "“": "”", "‘": "’", "「": "」", "《": "》"}
    if len(text) >= 2 and pairs.get(text[0]) == text[-1]:
        return text[1:-1].strip()
    return text


def _target_only(verb: Verb, rest: str) -> Command | ParseError:
    needs_target = verb in (
        Verb.TIER,
        Verb.WHY,
        Verb.PLAYBOOK,
        Verb.HISTORY,
        Verb.UNDO,
        Verb.EDIT,
        Verb.REVIEWED,
        Verb.FIND,
    )
    target = _unquote(rest)
    if needs_target and not target:
        return ParseError("needs_account", EXAMPLES[verb])
    return Command(verb, target=target)


def _set(verb: Verb, rest: str) -> Command | ParseError:
    try:
        tokens = shlex.split(rest.replace("＝", "=").replace("“", '"').replace("”", '"'))
    except ValueError:
        return ParseError("unbalanced_quote", EXAMPLES[Verb.SET])
    first = next((i for i, token in enumerate(tokens) if "=" in token), None)
    if first is None or first == 0:
        code = "set_needs_account" if first == 0 else "set_needs_assignment"
        return ParseError(code, EXAMPLES[Verb.SET])
    pairs = []
    for token in tokens[first:]:
        field, equals, value = token.partition("=")
        if not equals or not field:
            return ParseError("set_bad_assignment", EXAMPLES[Verb.SET], token)
        pairs.append((field.strip().casefold(), value.strip()))
    return Command(Verb.SET, target=" ".join(tokens[:first]), assignments=tuple(pairs))


def _override(verb: Verb, rest: str) -> Command | ParseError:
    parts = _BECAUSE.split(rest, maxsplit=1)
    head, reason = (parts[0], parts[1]) if len(parts) == 2 else (rest, "")
    words = head.split()
    if len(words) >= 2 and words[-1].casefold() in _CLEAR and not reason:
        return Command(Verb.OVERRIDE_CLEAR, target=_unquote(" ".join(words[:-1])))
    example = EXAMPLES[Verb.OVERRIDE].replace("Acme", " ".join(words[:1]) or "Acme")
    if len(words) < 2:
        return ParseError("override_needs_tier", example)
    if words[-2].casefold() in ("to", "as", "为", "到"):
        words.pop(-2)
    if not reason.strip():
        return ParseError("override_needs_reason", example)
    duration, until = None, None
    # A day first: its own digits could pass for a Chinese period ("…6月30日").
    if found := _UNTIL.search(reason):
        until = _day(found["day"])
        if until is None:
            return ParseError("bad_until", EXAMPLES[Verb.OVERRIDE], found["day"])
        reason = reason[: found.start()]
    elif found := _FOR_DURATION.search(reason):
        duration = _duration(found["d"] or found["zh"])
        if duration is None:
            return ParseError("bad_duration", EXAMPLES[Verb.OVERRIDE], found.group(0).strip())
        reason = reason[: found.start()]
    return Command(
        Verb.OVERRIDE,
        target=_unquote(" ".join(words[:-1])),
        tier=words[-1],
        reason=reason.strip(),
        duration=duration,
        until=until,
    )


def _day(text: str) -> date | None:
    match = _DAY.match(text)
    if not match:
        return None
    try:
        return date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:  # 2026-02-30
        return None


def _duration(text: str) -> timedelta | None:
    match = _DURATION.match(text.strip())
    if not match:
        return None
    days = int(match["n"])
    unit = (match["unit"] or "d").casefold()
    if unit in ("w", "wk", "week", "weeks", "周", "星期"):
        days *= 7
    elif unit in ("m", "mo", "month", "months", "个月", "月"):
        days *= 30
    return timedelta(days=days) if 0 < days <= 3660 else None


def _movers(verb: Verb, rest: str) -> Command | ParseError:
    if not rest:
        return Command(Verb.MOVERS, duration=timedelta(days=7))
    duration = _duration(rest)
    if duration is None:
        return ParseError("bad_duration", EXAMPLES[Verb.MOVERS], rest)
    return Command(Verb.MOVERS, duration=duration)


def _switch(verb: Verb, rest: str) -> Command | ParseError:
    word = rest.strip().casefold()
    if verb is Verb.DIGEST and not word:
        return Command(Verb.DIGEST)
    switched = Verb.DIGEST_SWITCH if verb is Verb.DIGEST else Verb.ALERTS_SWITCH
    if word in _ON:
        return Command(switched, switch=True)
    if word in _OFF:
        return Command(switched, switch=False)
    return ParseError("needs_on_off", EXAMPLES[switched], rest)


def _lang(verb: Verb, rest: str) -> Command | ParseError:
    word = rest.strip().casefold()
    codes = {
        "en": "en",
        "english": "en",
        "英文": "en",
        "英语": "en",
        "zh": "zh",
        "cn": "zh",
        "chinese": "zh",
        "中文": "zh",
        "汉语": "zh",
    }
    if word not in codes:
        return ParseError("bad_language", EXAMPLES[Verb.LANG], rest)
    return Command(Verb.LANG, value=codes[word])


def _role(verb: Verb, rest: str) -> Command | ParseError:
    words = rest.split()
    if len(words) < 2 or words[-1].casefold() not in ("rep", "manager", "admin"):
        return ParseError("bad_role", EXAMPLES[Verb.ROLE], rest)
    return Command(Verb.ROLE, target=_unquote(" ".join(words[:-1])), value=words[-1].casefold())


def _qualify(verb: Verb, rest: str) -> Command | ParseError:
    head, _, tail = rest.partition(" ")
    sub = head.casefold()
    if sub in ("back", "返回", "上一步"):
        return Command(Verb.QUALIFY_BACK)
    if sub in ("cancel", "stop", "取消"):
        return Command(Verb.QUALIFY_CANCEL)
    if sub in ("save", "保存"):
        return Command(Verb.QUALIFY_SAVE, target=_unquote(tail))
    if sub == "answer":
        field, equals, value = tail.partition("=")
        if not equals:
            return ParseError("bad_answer", "qualify answer stage=selecting", tail)
        return Command(Verb.QUALIFY_ANSWER, target=field.strip(), value=value.strip())
    return Command(Verb.QUALIFY, target=_unquote(rest))


def _people(verb: Verb, rest: str) -> Command | ParseError:
    head, _, tail = rest.partition(" ")
    sub = head.casefold()
    if not sub:
        return Command(Verb.PEOPLE)
    if sub in ("remove", "delete", "删除"):
        leaving, heir = [*_HAND_OVER.split(tail, maxsplit=1), ""][:2]
        if not leaving.strip():
            return ParseError("needs_person", EXAMPLES[Verb.PEOPLE_REMOVE])
        return Command(Verb.PEOPLE_REMOVE, target=_unquote(leaving), value=_unquote(heir))
    if sub not in ("add", "添加"):
        return ParseError("unknown_command", EXAMPLES[Verb.PEOPLE_ADD], rest)
    try:
        tokens = shlex.split(tail)
    except ValueError:
        return ParseError("unbalanced_quote", EXAMPLES[Verb.PEOPLE_ADD])
    links = tuple((k.casefold(), v) for k, _, v in (t.partition("=") for t in tokens if "=" in t))
    words = [t for t in tokens if "=" not in t]
    if len(words) < 2 or words[-1].casefold() not in ("rep", "manager", "admin"):
        return ParseError("bad_role", EXAMPLES[Verb.PEOPLE_ADD], tail)
    return Command(
        Verb.PEOPLE_ADD, target=" ".join(words[:-1]), value=words[-1].casefold(), assignments=links
    )


_NO_ARGUMENTS = frozenset({Verb.MINE, Verb.WHOAMI, Verb.MODEL, Verb.REVIEW})

_PARSERS = {
    Verb.SET: _set,
    Verb.OVERRIDE: _override,
    Verb.MOVERS: _movers,
    Verb.DIGEST: _switch,
    Verb.ALERTS_SWITCH: _switch,
    Verb.LANG: _lang,
    Verb.ROLE: _role,
    Verb.QUALIFY: _qualify,
    Verb.PEOPLE: _people,
}
