"""The "update facts" form: a modal built from the active model, read back as a ``set`` command.

The form only translates: its inputs come from the model's fields, pre-filled with the
account's current facts; on submit, the fields the person changed become
``set #<id> field=value ...`` and run through the conversation core like typed text, so
validation, permissions and the audit trail are the core's. The values shown when the
form opened travel in ``private_metadata``, so only real changes are sent (and a field
emptied on purpose is sent as ``field=``, which clears it).

Inputs by field type: number, integer, percent and money are text inputs (``1.2M``,
``35%`` and ``120万`` work as when typed); date is a date picker; choice and boolean are
selects.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.conversation.messages import Reply
from bot.conversation.texts import Texts
from scoring import CompiledModel, FactValue, FieldDef
from scoring.spec import FieldType

CALLBACK_ID = "tierbot_update_facts"
ACTION_ID = "value"
TITLE_LIMIT = 24  # modal title, submit and close labels
LABEL_LIMIT = 2000
OPTION_TEXT_LIMIT = 75
OPTIONS_LIMIT = 100
BLOCKS_LIMIT = 100
METADATA_LIMIT = 3000
ERROR_LIMIT = 300
ELLIPSIS = "…"

View = dict[str, Any]


@dataclass(frozen=True, slots=True)
class FormContext:
    """What the submission needs to know: the account, and where the form was opened."""

    account_id: int
    version: int
    chat_id: str | None = None
    response_url: str | None = None
    initial: Mapping[str, str] = field(default_factory=dict)

    def encode(self) -> str:
        """JSON within Slack's 3000 characters; the response_url and then the initial
        values are left out if they do not fit (every filled field is then sent)."""
        data: dict[str, Any] = {"a": self.account_id, "v": self.version, "c": self.chat_id,
                                "u": self.response_url, "i": dict(self.initial)}
        for drop in (None, "u", "i"):
            if drop is not None:
                data.pop(drop)
            text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
            if len(text) <= METADATA_LIMIT:
                return text
        raise ValueError("form metadata does not fit")  # unreachable: ids alone are short

    @classmethod
    def decode(cls, text: str) -> FormContext:
        data = json.loads(text)
        return cls(int(data["a"]), int(data["v"]), data.get("c"), data.get("u"),
                   {str(k): str(v) for k, v in (data.get("i") or {}).items()})


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": _cut(text, limit) or "-", "emoji": False}


def input_text(definition: FieldDef, value: FactValue | None) -> str:
    """A fact as the form shows it and the ``set`` command reads it back."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float | int) and definition.type is not FieldType.CHOICE:
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    return str(value)


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": _plain(text, OPTION_TEXT_LIMIT), "value": value}


def _options(definition: FieldDef, texts: Texts) -> list[dict[str, Any]]:
    if definition.type is FieldType.BOOLEAN:
        return [_option(texts("common", "yes"), "yes"), _option(texts("common", "no"), "no")]
    return [
        _option(texts.local(label) or choice, choice)
        for choice, label in zip(definition.choices, definition.choice_labels, strict=True)
    ][:OPTIONS_LIMIT]


def _element(definition: FieldDef, initial: str, texts: Texts) -> dict[str, Any]:
    if definition.type in (FieldType.CHOICE, FieldType.BOOLEAN):
        options = _options(definition, texts)
        element: dict[str, Any] = {"type": "static_select", "action_id": ACTION_ID,
                                   "options": options}
        chosen = next((o for o in options if o["value"] == initial), None)
        if chosen is not None:
            element["initial_option"] = chosen
        return element
    if definition.type is FieldType.DATE:
        element = {"type": "datepicker", "action_id": ACTION_ID}
        if initial:
            element["initial_date"] = initial
        return element
    element = {"type": "plain_text_input", "action_id": ACTION_ID}
    if initial:
        element["initial_value"] = initial
    return element


def _input_block(definition: FieldDef, initial: str, texts: Texts) -> dict[str, Any]:
    label = texts.local(definition.label) or definition.name
    if definition.unit:
        label = f"{label} ({definition.unit})"
    block: dict[str, Any] = {
        "type": "input",
        "block_id": definition.name,
        "optional": True,  # a form may change one field and leave the rest
        "label": _plain(label, LABEL_LIMIT),
        "element": _element(definition, initial, texts),
    }
    if definition.help is not None and texts.local(definition.help):
        block["hint"] = _plain(texts.local(definition.help), LABEL_LIMIT)
    return block


def update_facts_view(
    reply: Reply,
    model: CompiledModel,
    facts: Mapping[str, FactValue],
    texts: Texts,
    context: FormContext,
) -> View:
    """The modal for ``reply`` (the answer to ``edit``), pre-filled with ``facts``."""
    fields = list(model.fields.values())[:BLOCKS_LIMIT]
    initial = {f.name: input_text(f, facts.get(f.name)) for f in fields}
    metadata = FormContext(context.account_id, context.version, context.chat_id,
                           context.response_url, initial)
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": _plain(reply.title or texts("card", "button_update"), TITLE_LIMIT),
        "submit": _plain(texts("card", "button_update"), TITLE_LIMIT),
        "close": _plain(texts("qualify", "cancel"), TITLE_LIMIT),
        "private_metadata": metadata.encode(),
        "blocks": [_input_block(f, initial[f.name], texts) for f in fields],
    }


def submitted_values(view: Mapping[str, Any]) -> dict[str, str]:
    """block_id -> the text, date or option value the person left in it."""
    values: dict[str, str] = {}
    for block_id, actions in (view.get("state", {}).get("values") or {}).items():
        state = actions.get(ACTION_ID) or {}
        if "selected_option" in state:
            value = (state.get("selected_option") or {}).get("value")
        elif "selected_date" in state:
            value = state.get("selected_date")
        else:
            value = state.get("value")
        values[str(block_id)] = str(value or "").strip()
    return values


def changed_fields(context: FormContext, submitted: Mapping[str, str]) -> dict[str, str]:
    if not context.initial:
        return {name: value for name, value in submitted.items() if value}
    return {name: value for name, value in submitted.items()
            if value != context.initial.get(name, "")}


def set_command(account_id: int, changes: Mapping[str, str]) -> str:
    """``set #12 revenue=1.2M 'industry=other'``; quoting keeps values with spaces whole."""
    pairs = " ".join(shlex.quote(f"{name}={value}") for name, value in changes.items())
    return f"set #{account_id} {pairs}"


def field_errors(reply: Reply, fields: Sequence[str]) -> dict[str, str]:
    """Map an error Reply onto the form's blocks for ``response_action: errors``.

    A problem line reads ``<field>: <message>`` (the core names the field of each invalid
    value); anything else (no permission, a conflict) is shown on the first field sent.
    """
    errors: dict[str, str] = {}
    for section in reply.sections:
        for line in section.lines:
            name, separator, message = line.partition(": ")
            if separator and name in fields and name not in errors:
                errors[name] = _cut(message, ERROR_LIMIT)
    if not errors and fields:
        lines = [line for section in reply.sections for line in section.lines]
        errors[fields[0]] = _cut(" ".join([reply.title or "", *lines]), ERROR_LIMIT)
    return errors
