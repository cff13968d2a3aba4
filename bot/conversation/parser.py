"""One command language for every chat, read tolerantly.

Reps type fast on phones: case, extra words ("what tier is Acme?"), quotes, a leading
mention or slash, and Chinese command words all work. Anything that cannot be read
becomes a :class:`ParseError` whose ``example`` shows the right way to write it. The
parser is pure: it never looks at data, so a misreading can never write anything.
"""

from __future__ import annotations

import re
import shlex
import unicodedata
from dataclasses import dataclass, field, replace
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
    # The account the whole message names if its first word is part of the name, not a
    # command ("历史文化传媒有限公司", "Why Media"): tried when the target is not found.
    name_reading: str = field(default="", compare=False)
    # True when a Chinese command word was glued to the text after it: the split is a
    # guess, so an account named by the whole message wins (see the conversation core).
    glued: bool = field(default=False, compare=False)


@dataclass(frozen=True, slots=True)
class ParseError:
    """What was wrong, as a stable code for templates, and a correct example to show."""

    code: str
    example: str
    detail: str = ""
    # The account the whole message names if it is no command ("Set Logistics"):
    # shown instead of this error when an account has exactly that name.
    name_reading: str = field(default="", compare=False)


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
# Aliases that stand alone: followed by more words, they start an account's name.
_BARE_ALIASES = frozenset({"start", "h"})
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
    # "/start payload" is Telegram's start with a deep-link payload, not a name.
    slashed = text.lstrip().startswith(("/", "／"))
    verb, rest, glued = _split_verb(cleaned, slashed=slashed)
    if verb is None or (verb in _NO_ARGUMENTS and rest):
        # "mine corp" or "me ltd" name an account; a bare "mine" is the command.
        return _natural(cleaned)
    parsed = _PARSERS.get(verb, _target_only)(verb, rest)
    return _keep_name_reading(parsed, cleaned, glued=glued)


def normalize(text: str) -> str:
    """``text`` with full-width letters, digits, signs and spaces (a Chinese input
    method's) as their ASCII selves: ``ｔｉｅｒ　Ａ`` is ``tier A``, ``35％`` is ``35%``.

    Only width is folded, not everything NFKC folds: ``™`` or ``①`` in a name stay as
    stored, and so do full-width parentheses, which Chinese legal names are written
    with ("小米科技（武汉）有限公司") and no command needs.
    """
    return text.translate(_NARROW)


def _narrow_table() -> dict[int, str]:
    table = {}
    for code in (0x3000, *range(0xFF01, 0xFFEF)):
        character = chr(code)
        if character in "（）":
            continue
        if unicodedata.decomposition(character).startswith(("<wide>", "<narrow>")):
            table[code] = unicodedata.normalize("NFKC", character)
    return table


_NARROW = _narrow_table()


def _clean(text: str) -> str:
    text = normalize(text).strip()
    text = _MENTION.sub("", text, count=1)
    text = _BOT_SUFFIX.sub(r"\1", text)
    text = text.lstrip("/").strip()
    text = _FILLERS.sub("", text)
    if "=" in text:
        return text  # "revenue=?" must not lose its value to question-mark trimming
    return text.rstrip("?!。. ").strip()


def _split_verb(text: str, *, slashed: bool = False) -> tuple[Verb | None, str, bool]:
    """The command word, the rest, and whether the word was glued to the rest."""
    head, _, rest = text.partition(" ")
    word = head.casefold()
    verb = _ALIASES.get(word)
    if verb is not None:
        if word in _BARE_ALIASES and rest.strip() and not slashed:
            return None, text, False  # "Start Logistics" is a name, not Telegram's /start
        return verb, rest.strip(), False
    for alias in _CHINESE_ALIASES:
        if text.startswith(alias):
            return _ALIASES[alias], text[len(alias) :].strip(), True
    return None, text, False


def _keep_name_reading(
    parsed: Command | ParseError, text: str, *, glued: bool
) -> Command | ParseError:
    """Note which account the whole message would name, for when the command word at
    its start turns out to be the start of a name ("Set Logistics", "历史文化传媒")."""
    natural = _natural(text)
    if isinstance(natural, ParseError):
        return parsed  # "设置华为 revenue=1": the whole message is no name
    if isinstance(parsed, ParseError):
        return replace(parsed, name_reading=natural.target)
    if glued or parsed.verb in _LOOKUPS:
        return replace(parsed, name_reading=natural.target, glued=glued)
    return parsed


def _natural(text: str) -> Command | ParseError:
    """No command word: a question about a tier, or just an account name."""
    match = _WHAT_TIER.match(text) or _TIER_OF_ZH.match(text)
    name = _unquote(match["name"]) if match else _unquote(text)
    if not name:
        return ParseError("unknown_command", EXAMPLES[Verb.TIER])
    if "=" in name:
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
    tokens = _tokens(rest.replace("“", '"').replace("”", '"'))
    if tokens is None:
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


# An apostrophe between letters ("Macy's", "O'Brien") is part of the word, not a quote.
_INNER_APOSTROPHE = re.compile(r"(?<=\w)'(?=\w)")
_APOSTROPHE = "\ue000"  # stands in for a literal apostrophe while shlex splits


def _tokens(text: str) -> list[str] | None:
    """The words of ``text``, quotes grouping words; None when a quote is not closed.

    An apostrophe that opens no quote is kept as a letter: ``Macy's Retail`` and
    ``Jones' Shop`` are names, ``'Acme Corp'`` is one quoted name.
    """
    for guarded in (_INNER_APOSTROPHE.sub(_APOSTROPHE, text), text.replace("'", _APOSTROPHE)):
        try:
            return [token.replace(_APOSTROPHE, "'") for token in shlex.split(guarded)]
        except ValueError:
            continue
    return None


def _override(verb: Verb, rest: str) -> Command | ParseError:
    parts = _BECAUSE.split(rest, maxsplit=1)
    head, reason = (parts[0], parts[1]) if len(parts) == 2 else (rest, "")
    words = head.split()
    if len(words) >= 2 and words[-1].casefold() in _CLEAR and not reason:
        return Command(Verb.OVERRIDE_CLEAR, target=_unquote(" ".join(words[:-1])))
    if not words:
        return ParseError("needs_account", EXAMPLES[Verb.OVERRIDE])
    if _BECAUSE.fullmatch(f" {words[-1]} "):  # "override Acme A because": no reason yet
        example = EXAMPLES[Verb.OVERRIDE].replace("Acme A", " ".join(words[:-1]))
        return ParseError("override_needs_reason", example)
    if len(words) >= 3 and words[-2].casefold() in ("to", "as", "为", "到"):
        words.pop(-2)
    if not reason.strip():
        # No reason yet (the card's Override button sends just "override #12"): the
        # handler asks for the tier and the reason, knowing the model's tiers.
        if len(words) == 1:
            return Command(Verb.OVERRIDE, target=_unquote(words[0]))
        return Command(Verb.OVERRIDE, target=_unquote(" ".join(words[:-1])), tier=words[-1])
    if len(words) < 2:
        return ParseError("override_needs_tier", EXAMPLES[Verb.OVERRIDE].replace("Acme", words[0]))
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
    sub, tail = head.casefold(), tail.strip()
    # "back" and "cancel" act only alone: "qualify Back Office Ltd" names a prospect.
    if sub in ("back", "返回", "上一步") and not tail:
        return Command(Verb.QUALIFY_BACK)
    if sub in ("cancel", "stop", "取消") and not tail:
        return Command(Verb.QUALIFY_CANCEL)
    if sub in ("save", "保存"):
        return Command(Verb.QUALIFY_SAVE, target=_unquote(tail))
    if sub == "answer" and "=" in tail:  # what the question's buttons send
        field, _, value = tail.partition("=")
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
    tokens = _tokens(tail)
    if tokens is None:
        return ParseError("unbalanced_quote", EXAMPLES[Verb.PEOPLE_ADD])
    links = tuple((k.casefold(), v) for k, _, v in (t.partition("=") for t in tokens if "=" in t))
    words = [t for t in tokens if "=" not in t]
    if len(words) < 2 or words[-1].casefold() not in ("rep", "manager", "admin"):
        return ParseError("bad_role", EXAMPLES[Verb.PEOPLE_ADD], tail)
    return Command(
        Verb.PEOPLE_ADD, target=" ".join(words[:-1]), value=words[-1].casefold(), assignments=links
    )


_NO_ARGUMENTS = frozenset({Verb.MINE, Verb.WHOAMI, Verb.MODEL, Verb.REVIEW})
# Commands about one account named by all the words after the command word.
_LOOKUPS = frozenset(
    {
        Verb.TIER,
        Verb.WHY,
        Verb.PLAYBOOK,
        Verb.HISTORY,
        Verb.EDIT,
        Verb.UNDO,
        Verb.REVIEWED,
    }
)

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


def retyped(command: Command, target: str) -> str | None:
    """``command`` as it would be typed about the account ``target`` (``#12``): what a
    "did you mean" choice sends, so picking an account still does what was asked.
    None for a command that looks up no account."""
    if command.verb in _LOOKUPS:
        return f"{command.verb.value} {target}"
    if command.verb is Verb.SET:
        return " ".join(["set", target, *(f"{k}={_quoted(v)}" for k, v in command.assignments)])
    if command.verb is Verb.OVERRIDE_CLEAR:
        return f"override {target} clear"
    if command.verb is Verb.OVERRIDE:
        return _override_text(command, target)
    return None


def _override_text(command: Command, target: str) -> str:
    if not command.reason:
        # Without a reason the last word may have been part of the name, not a tier:
        # ask again for both.
        return f"override {target}"
    text = f"override {target} {command.tier} because {command.reason}"
    if command.duration:
        text += f" for {command.duration.days}d"
    elif command.until:
        text += f" until {command.until.isoformat()}"
    return text


def _quoted(value: str) -> str:
    """A value as :func:`_tokens` reads it back whole."""
    if value and not any(c.isspace() or c in "\"'\\" for c in value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
