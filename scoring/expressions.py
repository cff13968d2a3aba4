"""Conditions written by model authors: ``referrals >= 2 and industry in ["finance", "energy"]``.

The text is parsed with Python's own grammar (``ast``) and only a small whitelist of
node kinds is accepted, so a model file can never run code. Logic is three-valued
(Kleene): a comparison on a missing fact is *unknown*, ``not unknown`` stays unknown,
and an unknown condition does not match. The same tree is evaluated for one account
(``holds``), for columns of many accounts (``holds_columns``) and, with partial answers,
for qualification, so all three always agree.

Hysteresis enters as *slack*: a comparison of a score (a sub-score, ``base`` or
``total``) against a number is loosened by ``slack`` points when slack is positive and
tightened when it is negative; ``not`` flips the sign.
"""

from __future__ import annotations

import ast
import difflib
import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

Value = float | str | bool
Env = Mapping[str, Value | None]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Columns = Mapping[str, npt.NDArray[Any]]
Slack = float | FloatArray


class NameKind(StrEnum):
    SCORE = "score"  # 0-100 computed scores: sub-scores, base, total
    NUMBER = "number"  # numeric facts, and date facts as days since
    CHOICE = "choice"
    BOOLEAN = "boolean"


@dataclass(frozen=True, slots=True)
class Namespace:
    """What names a condition may use, and the allowed values of choice names."""

    kinds: Mapping[str, NameKind]
    choices: Mapping[str, tuple[str, ...]]


class ExpressionError(ValueError):
    """A condition text is not valid; the message says what and where in the text."""


_FLIP = {">=": "<=", ">": "<", "<=": ">=", "<": ">", "==": "==", "!=": "!="}
_AST_OPS = {
    ast.GtE: ">=",
    ast.Gt: ">",
    ast.LtE: "<=",
    ast.Lt: "<",
    ast.Eq: "==",
    ast.NotEq: "!=",
}


class Expr(ABC):
    """A parsed condition."""

    __slots__ = ()

    @abstractmethod
    def holds(self, env: Env, slack: float = 0.0) -> bool | None:
        """True, False, or None when a fact it needs is missing."""

    @abstractmethod
    def holds_columns(self, cols: Columns, slack: Slack = 0.0) -> tuple[BoolArray, BoolArray]:
        """Return (definitely true, definitely false) masks over all rows."""

    def margin(self, env: Env, slack: float = 0.0) -> float:
        """How many score points could be lost before this condition stops holding."""
        return math.inf

    def shortfall(self, env: Env, slack: float = 0.0) -> dict[str, float] | None:
        """Score points each score must gain for this to hold; None if points cannot do it."""
        return {} if self.holds(env, slack) else None

    @abstractmethod
    def names(self) -> frozenset[str]:
        """Every fact or score name the condition reads."""


@dataclass(frozen=True, slots=True)
class Literal(Expr):
    value: bool

    def holds(self, env: Env, slack: float = 0.0) -> bool | None:
        return self.value

    def holds_columns(self, cols: Columns, slack: Slack = 0.0) -> tuple[BoolArray, BoolArray]:
        rows = _row_count(cols)
        return np.full(rows, self.value), np.full(rows, not self.value)

    def names(self) -> frozenset[str]:
        return frozenset()


@dataclass(frozen=True, slots=True)
class Compare(Expr):
    """``name <op> constant``; ``code`` is the choice's index for choice names."""

    name: str
    op: str
    value: Value
    is_score: bool = False
    code: int = -1

    def _threshold(self, slack: float) -> float:
        assert isinstance(self.value, float)
        if not self.is_score:
            return self.value
        return self.value - slack if self.op in (">=", ">") else self.value + slack

    def holds(self, env: Env, slack: float = 0.0) -> bool | None:
        actual = env.get(self.name)
        if actual is None:
            return None
        if isinstance(self.value, float):
            return _compare(float(actual), self.op, self._threshold(slack))
        return (actual == self.value) == (self.op == "==")

    def holds_columns(self, cols: Columns, slack: Slack = 0.0) -> tuple[BoolArray, BoolArray]:
        column = cols[self.name]
        if isinstance(self.value, str):
            known = column >= 0
            equal = column == self.code
            hit = equal if self.op == "==" else ~equal
        else:
            known = ~np.isnan(column)
            target: Any = float(self.value)
            if self.is_score and self.op in (">=", ">"):
                target = target - slack
            elif self.is_score:
                target = target + slack
            with np.errstate(invalid="ignore"):
                hit = _compare_array(column, self.op, target)
        return known & hit, known & ~hit

    def margin(self, env: Env, slack: float = 0.0) -> float:
        actual = env.get(self.name)
        if not self.is_score or actual is None or self.op not in (">=", ">"):
            return math.inf
        return float(actual) - self._threshold(slack)

    def shortfall(self, env: Env, slack: float = 0.0) -> dict[str, float] | None:
        if self.holds(env, slack):
            return {}
        actual = env.get(self.name)
        if not self.is_score or actual is None or self.op not in (">=", ">"):
            return None
        return {self.name: self._threshold(slack) - float(actual)}

    def names(self) -> frozenset[str]:
        return frozenset((self.name,))


@dataclass(frozen=True, slots=True)
class CompareNames(Expr):
    """``name <op> name`` between two numbers (no slack: both sides move together)."""

    left: str
    op: str
    right: str

    def holds(self, env: Env, slack: float = 0.0) -> bool | None:
        a, b = env.get(self.left), env.get(self.right)
        if a is None or b is None:
            return None
        return _compare(float(a), self.op, float(b))

    def holds_columns(self, cols: Columns, slack: Slack = 0.0) -> tuple[BoolArray, BoolArray]:
        a, b = cols[self.left], cols[self.right]
        known = ~np.isnan(a) & ~np.isnan(b)
        with np.errstate(invalid="ignore"):
            hit = _compare_array(a, self.op, b)
        return known & hit, known & ~hit

    def names(self) -> frozenset[str]:
        return frozenset((self.left, self.right))


@dataclass(frozen=True, slots=True)
class Member(Expr):
    """``name in [...]`` or ``name not in [...]``."""

    name: str
    values: frozenset[Value]
    negated: bool = False
    codes: tuple[int, ...] = ()

    def holds(self, env: Env, slack: float = 0.0) -> bool | None:
        actual = env.get(self.name)
        if actual is None:
            return None
        return (actual in self.values) != self.negated

    def holds_columns(self, cols: Columns, slack: Slack = 0.0) -> tuple[BoolArray, BoolArray]:
        column = cols[self.name]
        if self.codes:
            known = column >= 0
            hit = np.isin(column, self.codes)
        else:
            known = ~np.isnan(column)
            hit = np.isin(column, [float(v) for v in self.values if not isinstance(v, str)])
        if self.negated:
            hit = ~hit
        return known & hit, known & ~hit

    def names(self) -> frozenset[str]:
        return frozenset((self.name,))


@dataclass(frozen=True, slots=True)
class Truth(Expr):
    """A boolean fact used on its own: ``key_account``."""

    name: str

    def holds(self, env: Env, slack: float = 0.0) -> bool | None:
        actual = env.get(self.name)
        return None if actual is None else bool(actual)

    def holds_columns(self, cols: Columns, slack: Slack = 0.0) -> tuple[BoolArray, BoolArray]:
        column = cols[self.name]
        return column == 1.0, column == 0.0

    def names(self) -> frozenset[str]:
        return frozenset((self.name,))


@dataclass(frozen=True, slots=True)
class Not(Expr):
    item: Expr

    def holds(self, env: Env, slack: float = 0.0) -> bool | None:
        inner = self.item.holds(env, -slack)
        return None if inner is None else not inner

    def holds_columns(self, cols: Columns, slack: Slack = 0.0) -> tuple[BoolArray, BoolArray]:
        true, false = self.item.holds_columns(cols, -slack)
        return false, true

    def names(self) -> frozenset[str]:
        return self.item.names()


@dataclass(frozen=True, slots=True)
class All(Expr):
    items: tuple[Expr, ...]

    def holds(self, env: Env, slack: float = 0.0) -> bool | None:
        unknown = False
        for item in self.items:
            result = item.holds(env, slack)
            if result is False:
                return False
            unknown = unknown or result is None
        return None if unknown else True

    def holds_columns(self, cols: Columns, slack: Slack = 0.0) -> tuple[BoolArray, BoolArray]:
        true, false = self.items[0].holds_columns(cols, slack)
        for item in self.items[1:]:
            t, f = item.holds_columns(cols, slack)
            true, false = true & t, false | f
        return true, false

    def margin(self, env: Env, slack: float = 0.0) -> float:
        return min(item.margin(env, slack) for item in self.items)

    def shortfall(self, env: Env, slack: float = 0.0) -> dict[str, float] | None:
        needed: dict[str, float] = {}
        for item in self.items:
            part = item.shortfall(env, slack)
            if part is None:
                return None
            for name, points in part.items():
                needed[name] = max(points, needed.get(name, 0.0))
        return needed

    def names(self) -> frozenset[str]:
        return frozenset().union(*(item.names() for item in self.items))


@dataclass(frozen=True, slots=True)
class Any_(Expr):
    items: tuple[Expr, ...]

    def holds(self, env: Env, slack: float = 0.0) -> bool | None:
        unknown = False
        for item in self.items:
            result = item.holds(env, slack)
            if result is True:
                return True
            unknown = unknown or result is None
        return None if unknown else False

    def holds_columns(self, cols: Columns, slack: Slack = 0.0) -> tuple[BoolArray, BoolArray]:
        true, false = self.items[0].holds_columns(cols, slack)
        for item in self.items[1:]:
            t, f = item.holds_columns(cols, slack)
            true, false = true | t, false & f
        return true, false

    def margin(self, env: Env, slack: float = 0.0) -> float:
        held = [item.margin(env, slack) for item in self.items if item.holds(env, slack)]
        return max(held, default=math.inf)

    def shortfall(self, env: Env, slack: float = 0.0) -> dict[str, float] | None:
        options = [item.shortfall(env, slack) for item in self.items]
        reachable = [option for option in options if option is not None]
        return min(reachable, key=lambda need: sum(need.values()), default=None)

    def names(self) -> frozenset[str]:
        return frozenset().union(*(item.names() for item in self.items))


def _compare(a: float, op: str, b: float) -> bool:
    if op == ">=":
        return a >= b
    if op == ">":
        return a > b
    if op == "<=":
        return a <= b
    if op == "<":
        return a < b
    if op == "==":
        return a == b
    return a != b


def _compare_array(a: FloatArray, op: str, b: Any) -> BoolArray:
    result: BoolArray
    if op == ">=":
        result = a >= b
    elif op == ">":
        result = a > b
    elif op == "<=":
        result = a <= b
    elif op == "<":
        result = a < b
    elif op == "==":
        result = a == b
    else:
        result = a != b
    return result


def _row_count(cols: Columns) -> int:
    return len(next(iter(cols.values()))) if cols else 0


def parse_condition(text: str, namespace: Namespace) -> Expr:
    """Parse and type-check a condition; raise ExpressionError saying what is wrong."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        raise ExpressionError(f"cannot read condition {text!r}: {error.msg}") from None
    return _Builder(namespace).build(tree.body)


class _Builder:
    def __init__(self, namespace: Namespace) -> None:
        self.ns = namespace

    def build(self, node: ast.expr) -> Expr:
        if isinstance(node, ast.BoolOp):
            items = tuple(self.build(value) for value in node.values)
            return All(items) if isinstance(node.op, ast.And) else Any_(items)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return Not(self.build(node.operand))
        if isinstance(node, ast.Compare):
            return self._chain(node)
        if isinstance(node, ast.Name):
            return self._bare_name(node.id)
        if isinstance(node, ast.Constant) and isinstance(node.value, bool):
            return Literal(node.value)
        raise ExpressionError(f"not allowed in a condition: {ast.unparse(node)!r}")

    def _bare_name(self, name: str) -> Expr:
        if name in ("true", "false"):
            return Literal(name == "true")
        if self._kind(name) is not NameKind.BOOLEAN:
            raise ExpressionError(f"{name!r} is not a yes/no fact; compare it, e.g. {name} >= 1")
        return Truth(name)

    def _chain(self, node: ast.Compare) -> Expr:
        parts: list[Expr] = []
        left = node.left
        for op, right in zip(node.ops, node.comparators, strict=True):
            parts.append(self._pair(left, op, right))
            left = right
        return parts[0] if len(parts) == 1 else All(tuple(parts))

    def _pair(self, left: ast.expr, op: ast.cmpop, right: ast.expr) -> Expr:
        if isinstance(op, ast.In | ast.NotIn):
            return self._member(left, right, negated=isinstance(op, ast.NotIn))
        symbol = _AST_OPS.get(type(op))
        if symbol is None:
            name = {ast.Is: "is", ast.IsNot: "is not"}.get(type(op), type(op).__name__)
            raise ExpressionError(f"unsupported comparison {name!r}")
        if (
            isinstance(left, ast.Name)
            and isinstance(right, ast.Name)
            and not (_is_bool_name(left) or _is_bool_name(right))
        ):
            return self._names(left.id, symbol, right.id)
        if not isinstance(left, ast.Name) or _is_bool_name(left):
            left, right, symbol = right, left, _FLIP[symbol]
        if not isinstance(left, ast.Name):
            raise ExpressionError("a comparison needs a fact or score name on one side")
        return self._against_constant(left.id, symbol, _constant(right))

    def _names(self, left: str, op: str, right: str) -> Expr:
        for name in (left, right):
            if self._kind(name) not in (NameKind.NUMBER, NameKind.SCORE):
                raise ExpressionError(
                    f"{name!r} is not a number; only numbers compare with each other"
                )
        return CompareNames(left, op, right)

    def _against_constant(self, name: str, op: str, value: Value) -> Expr:
        kind = self._kind(name)
        if kind in (NameKind.NUMBER, NameKind.SCORE):
            if isinstance(value, bool) or not isinstance(value, float):
                raise ExpressionError(
                    f"{name!r} is a number; compare it with a number, not {value!r}"
                )
            return Compare(name, op, value, is_score=kind is NameKind.SCORE)
        if op not in ("==", "!="):
            raise ExpressionError(f"{name!r} can only be compared with == or !=")
        if kind is NameKind.BOOLEAN:
            if not isinstance(value, bool):
                raise ExpressionError(f"{name!r} is yes/no; compare it with true or false")
            return Truth(name) if value == (op == "==") else Not(Truth(name))
        choice = self._choice(name, value)
        return Compare(name, op, choice, code=self.ns.choices[name].index(choice))

    def _member(self, left: ast.expr, right: ast.expr, negated: bool) -> Expr:
        if not isinstance(left, ast.Name):
            raise ExpressionError("'in' needs a fact name on its left")
        if not isinstance(right, ast.List | ast.Tuple | ast.Set):
            raise ExpressionError('\'in\' needs a list on its right, e.g. ["a", "b"]')
        name, values = left.id, [_constant(element) for element in right.elts]
        kind = self._kind(name)
        if kind is NameKind.CHOICE:
            chosen = [self._choice(name, value) for value in values]
            codes = tuple(self.ns.choices[name].index(value) for value in chosen)
            return Member(name, frozenset(chosen), negated, codes)
        if kind is NameKind.NUMBER and all(isinstance(v, float) for v in values):
            return Member(name, frozenset(values), negated)
        raise ExpressionError(f"'in' works on choices and numbers, not on {name!r}")

    def _choice(self, name: str, value: Value) -> str:
        allowed = self.ns.choices[name]
        if value not in allowed:
            raise ExpressionError(
                f"{value!r} is not a choice of {name!r}; allowed: {', '.join(allowed)}"
            )
        assert isinstance(value, str)
        return value

    def _kind(self, name: str) -> NameKind:
        kind = self.ns.kinds.get(name)
        if kind is None:
            close = difflib.get_close_matches(name, list(self.ns.kinds), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ExpressionError(f"unknown name {name!r}{hint}")
        return kind


def _is_bool_name(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id in ("true", "false")


def _constant(node: ast.expr) -> Value:
    if _is_bool_name(node):
        assert isinstance(node, ast.Name)
        return node.id == "true"
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _constant(node.operand)
        if isinstance(inner, float):
            return -inner
    if isinstance(node, ast.Constant) and isinstance(node.value, bool | str):
        return node.value
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return _finite(node.value)
    raise ExpressionError(f"expected a number, text or true/false, not {ast.unparse(node)!r}")


def _finite(number: int | float) -> float:
    # 1e999 reads as inf and a 400-digit integer overflows a float: neither can be scored.
    try:
        value = float(number)
    except OverflowError:
        value = math.inf
    if not math.isfinite(value):
        raise ExpressionError("a number in the condition is too large; numbers must be finite")
    return value
