"""A local stand-in for the Telegram Bot API, for python-telegram-bot running unmodified.

`FakeTelegram` is a real HTTP server on 127.0.0.1 serving `/bot<token>/<method>` and
`/file/bot<token>/<path>`, so an application built with

    ApplicationBuilder().token(TOKEN).base_url(tg.base_url).base_file_url(tg.base_file_url)

does its real HTTP work against it. Tests feed updates with `push_message` / `push_callback`
and read what the bot did from the call log (`calls`, `wait_for`) or `sent_messages()`.

It follows the Bot API where bugs tend to hide: long polling with `offset` confirmation and
409 conflicts, webhook delivery with the secret-token header (and retries), HTML `parse_mode`
checking with entities in the returned message, "message is not modified" on identical
edits, command validation, and flood-control / Bad Request / Forbidden errors on demand.
Error descriptions follow Telegram's wording where it is known; PTB maps errors by status code.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import json
import re
import struct
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import aiohttp
from aiohttp import web

from bot.testing.recording_server import (
    RecordedCall,
    RecordingServer,
    UploadedFile,
    read_request_params,
)

ChatType = Literal["private", "group", "supergroup"]
ChatId = int | str

# PTB sends every parameter as a form field; these are the ones that are not plain strings.
_INT_FIELDS = frozenset(
    {
        "chat_id",
        "message_id",
        "user_id",
        "offset",
        "limit",
        "timeout",
        "reply_to_message_id",
        "message_thread_id",
        "from_chat_id",
        "max_connections",
        "cache_time",
    }
)
_BOOL_FIELDS = frozenset(
    {
        "show_alert",
        "drop_pending_updates",
        "disable_notification",
        "protect_content",
        "allow_sending_without_reply",
        "has_spoiler",
    }
)
_JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "commands",
        "scope",
        "allowed_updates",
        "reply_parameters",
        "link_preview_options",
        "media",
    }
)

_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: chat not found",
    403: "Forbidden: bot was blocked by the user",
    409: "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running",
    500: "Internal Server Error",
    502: "Bad Gateway",
}
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
_WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_LANGUAGE = re.compile(r"(?:[a-z]{2})?")


class TelegramApiError(Exception):
    """Raised by a method handler to answer `{"ok": false, "error_code", "description"}`."""

    def __init__(self, error_code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after

    def response(self) -> web.Response:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        headers: dict[str, str] = {}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
            headers["Retry-After"] = str(self.retry_after)
        return web.json_response(body, status=self.error_code, headers=headers)


def _bad_request(detail: str) -> TelegramApiError:
    return TelegramApiError(400, f"Bad Request: {detail}")


@dataclass(frozen=True)
class _PlannedError:
    error_code: int
    description: str
    retry_after: int | None


@dataclass(frozen=True)
class WebhookState:
    """What setWebhook configured."""

    url: str
    secret_token: str | None
    max_connections: int
    allowed_updates: list[str] | None


@dataclass(frozen=True)
class WebhookDelivery:
    """One attempt to POST an update to the webhook; `status` is None if it did not connect."""

    update_id: int
    url: str
    status: int | None
    error: str | None
    time: float

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass(frozen=True)
class StoredFile:
    """A file the bot uploaded, downloadable via getFile and the file URL."""

    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    filename: str | None
    mime_type: str


# --------------------------------------------------------------------------------------------
# parse_mode=HTML, as Telegram reads it


_TAG_ENTITY = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_HTML_TOKEN = re.compile(
    r"<(/?)([a-zA-Z][\w-]*)?([^<>]*)>|<|&(#\d+|#x[0-9a-fA-F]+|lt|gt|amp|quot);"
)
_ATTRIBUTE = re.compile(r"""([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _open_entity(name: str, attributes: str, stack: list[dict[str, Any]]) -> dict[str, Any]:
    attrs = {m[1]: m[2] or m[3] for m in _ATTRIBUTE.finditer(attributes)}
    entity: dict[str, Any] = {"type": _TAG_ENTITY[name]}
    if name == "a":
        entity["url"] = attrs.get("href", "")
    elif name == "blockquote" and "expandable" in attributes:
        entity["type"] = "expandable_blockquote"
    elif name == "tg-emoji":
        entity["custom_emoji_id"] = attrs.get("emoji-id", "")
    elif name == "code" and stack and stack[-1]["type"] == "pre":
        # <pre><code class="language-x"> is one pre entity with a language.
        language = attrs.get("class", "").removeprefix("language-")
        if language:
            stack[-1]["language"] = language
        entity["type"] = "_merged"
    return entity


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and entities for `text` sent with parse_mode=HTML.

    Raises TelegramApiError like Telegram's "can't parse entities" for unsupported or
    unbalanced tags and for a `<` that does not start a tag.
    """
    plain: list[str] = []
    length = 0
    stack: list[tuple[str, dict[str, Any], int]] = []
    entities: list[dict[str, Any]] = []
    position = 0

    def add(chunk: str) -> None:
        nonlocal length
        plain.append(chunk)
        length += _utf16_len(chunk)

    def fail(message: str, at: int) -> TelegramApiError:
        offset = len(text[:at].encode("utf-8"))
        return _bad_request(f"can't parse entities: {message} at byte offset {offset}")

    for match in _HTML_TOKEN.finditer(text):
        add(text[position : match.start()])
        position = match.end()
        closing, name, attributes, entity_ref = match.groups()
        if entity_ref is not None:
            add(html.unescape(match.group(0)))
        elif name is None:
            raise fail("Unexpected end of name token", match.start())
        elif closing:
            if not stack or stack[-1][0] != name.lower():
                raise fail(f'Unmatched end tag "{name}"', match.start())
            _, entity, start = stack.pop()
            if entity["type"] != "_merged" and length > start:
                entity.update(offset=start, length=length - start)
                entities.append(entity)
        else:
            tag = name.lower()
            if tag not in _TAG_ENTITY or (tag == "span" and "tg-spoiler" not in attributes):
                raise fail(f'Unsupported start tag "{name}"', match.start())
            entity = _open_entity(tag, attributes, [e for _, e, _ in stack])
            stack.append((tag, entity, length))
    add(text[position:])
    if stack:
        raise fail(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"', len(text))
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(plain), entities


def _image_size(data: bytes) -> tuple[int, int]:
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    return 0, 0


def _coerce(key: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if key in _JSON_FIELDS:
        with contextlib.suppress(ValueError):
            return json.loads(value)
    elif key in _BOOL_FIELDS:
        return value.lower() in ("true", "1")
    elif key in _INT_FIELDS:
        for convert in (int, float):
            with contextlib.suppress(ValueError):
                return convert(value)
    return value


def _chat_key(value: Any) -> ChatId:
    if isinstance(value, int):
        return value
    text = str(value)
    return int(text) if text.lstrip("-").isdigit() else text


# --------------------------------------------------------------------------------------------


_Handler = Callable[[RecordedCall], Awaitable[Any]]


class FakeTelegram(RecordingServer):
    """Stands in for api.telegram.org (one bot) for python-telegram-bot."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
        bot_id: int = 7_000_000_001,
        bot_username: str = "tierbot_test_bot",
        bot_first_name: str = "Tierbot",
        webhook_max_attempts: int = 5,
    ) -> None:
        """`token`: if given, requests with any other token get 401 Unauthorized."""
        super().__init__(host=host, port=port)
        self.token = token
        self.bot_username = bot_username
        self.bot_user: dict[str, Any] = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.webhook: WebhookState | None = None
        self.webhook_deliveries: list[WebhookDelivery] = []
        self.webhook_max_attempts = webhook_max_attempts
        self.files: dict[str, StoredFile] = {}
        self.blocked_chats: set[ChatId] = set()
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._pending: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids: dict[ChatId, itertools.count[int]] = defaultdict(
            lambda: itertools.count(1)
        )
        self._ids = itertools.count(1)
        self._chats: dict[ChatId, dict[str, Any]] = {}
        self._messages: dict[tuple[ChatId, int], dict[str, Any]] = {}
        self._callback_ids: set[str] = set()
        self._failures: dict[str, deque[_PlannedError]] = defaultdict(deque)
        self._poll_generation = 0
        self._delivery_attempts: dict[int, int] = defaultdict(int)
        self._delivery_task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._methods: dict[str, _Handler] = {
            "getMe": self._get_me,
            "logOut": self._true,
            "close": self._true,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendChatAction": self._send_chat_action,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "getFile": self._get_file,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
        }
        # Bot API method names are case-insensitive.
        self._canonical = {name.lower(): name for name in self._methods}

    # -- URLs

    @property
    def base_url(self) -> str:
        """For `ApplicationBuilder().base_url(...)`; PTB appends the token."""
        return f"{self.root_url}/bot"

    @property
    def base_file_url(self) -> str:
        """For `ApplicationBuilder().base_file_url(...)`."""
        return f"{self.root_url}/file/bot"

    # -- programming the fake

    def fail_next(
        self,
        method: str,
        error_code: int = 429,
        *,
        retry_after: int = 1,
        description: str | None = None,
        times: int = 1,
    ) -> None:
        """Make the next `times` calls to `method` fail with `error_code`, each used once.

        429 carries `parameters.retry_after` (PTB raises `RetryAfter`); 400 `BadRequest`,
        403 `Forbidden`, 409 `Conflict`, 5xx `NetworkError`.
        """
        if error_code == 429:
            text = description or f"Too Many Requests: retry after {retry_after}"
            planned = _PlannedError(429, text, retry_after)
        else:
            text = description or _DEFAULT_DESCRIPTIONS.get(error_code, f"Error {error_code}")
            planned = _PlannedError(error_code, text, None)
        self._failures[method].extend([planned] * times)

    def block(self, chat_id: ChatId) -> None:
        """From now on, sending to `chat_id` fails with 403 "bot was blocked by the user"."""
        self.blocked_chats.add(_chat_key(chat_id))

    # -- building and queueing updates

    @staticmethod
    def _user(
        user_id: int,
        first_name: str,
        last_name: str | None,
        username: str | None,
        language_code: str | None,
    ) -> dict[str, Any]:
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        return user

    def _remember_chat(
        self, chat_id: ChatId, chat_type: ChatType, user: Mapping[str, Any], title: str | None
    ) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            chat.update({k: user[k] for k in ("first_name", "last_name", "username") if k in user})
        else:
            chat["title"] = title or "Tierbot test group"
        self._chats[_chat_key(chat_id)] = chat
        return chat

    def _chat(self, chat_id: ChatId) -> dict[str, Any]:
        key = _chat_key(chat_id)
        if key in self._chats:
            return self._chats[key]
        # Unknown chats are assumed to exist: private for user ids, groups for negative ids.
        if isinstance(key, int) and key > 0:
            return {"id": key, "type": "private", "first_name": "User"}
        return {"id": key, "type": "group", "title": "Tierbot test group"}

    def _command_text(self, text: str, chat_type: ChatType, address_bot: bool | None) -> str:
        if address_bot is None:
            # Picking a command from the menu in a group inserts /cmd@botname.
            address_bot = chat_type != "private"
        command, sep, rest = text.partition(" ")
        if text.startswith("/") and address_bot and "@" not in command:
            return f"{command}@{self.bot_username}{sep}{rest}"
        return text

    def make_update(
        self,
        chat_id: ChatId,
        user_id: int,
        text: str,
        *,
        chat_type: ChatType = "private",
        language_code: str | None = "en",
        first_name: str = "Test",
        last_name: str | None = None,
        username: str | None = None,
        chat_title: str | None = None,
        address_bot: bool | None = None,
    ) -> dict[str, Any]:
        """A `message` update as Telegram would send it (not queued; see `push_raw`).

        A leading `/command` gets its `bot_command` entity; in groups it is addressed as
        `/command@<bot_username>` unless `address_bot=False`.
        """
        user = self._user(user_id, first_name, last_name, username, language_code)
        chat = self._remember_chat(chat_id, chat_type, user, chat_title)
        text = self._command_text(text, chat_type, address_bot)
        message: dict[str, Any] = {
            "message_id": next(self._message_ids[_chat_key(chat_id)]),
            "from": user,
            "chat": chat,
            "date": int(time.time()),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": _utf16_len(command)}
            ]
        return {"update_id": next(self._update_ids), "message": message}

    def make_callback_update(
        self,
        chat_id: ChatId,
        user_id: int,
        data: str,
        message_id: int,
        *,
        chat_type: ChatType = "private",
        language_code: str | None = "en",
        first_name: str = "Test",
        username: str | None = None,
    ) -> dict[str, Any]:
        """A `callback_query` update for a button on the bot's message `message_id`.

        If the fake has not seen that message, a stub is created so it can be edited.
        """
        user = self._user(user_id, first_name, None, username, language_code)
        key = _chat_key(chat_id)
        if key not in self._chats:
            self._remember_chat(chat_id, chat_type, user, None)
        message = self._messages.get((key, message_id))
        if message is None:
            message = {
                "message_id": message_id,
                "from": self.bot_user,
                "chat": self._chat(chat_id),
                "date": int(time.time()),
                "text": "",
            }
            self._messages[(key, message_id)] = message
        query_id = str(4_000_000_000_000_000 + next(self._ids))
        self._callback_ids.add(query_id)
        callback = {
            "id": query_id,
            "from": user,
            "message": dict(message),
            "chat_instance": str(abs(hash(key))),
            "data": data,
        }
        return {"update_id": next(self._update_ids), "callback_query": callback}

    def push_raw(self, update: Mapping[str, Any]) -> int:
        """Queue an update (for getUpdates or webhook delivery); returns its update_id."""
        queued = dict(update)
        queued.setdefault("update_id", next(self._update_ids))
        self._pending.append(queued)
        self._pulse.fire()
        return int(queued["update_id"])

    def push_message(
        self,
        chat_id: ChatId,
        user_id: int,
        text: str,
        *,
        chat_type: ChatType = "private",
        language_code: str | None = "en",
        first_name: str = "Test",
        last_name: str | None = None,
        username: str | None = None,
        chat_title: str | None = None,
        address_bot: bool | None = None,
    ) -> int:
        """Queue a text message from a user (see `make_update`); returns its update_id."""
        update = self.make_update(
            chat_id,
            user_id,
            text,
            chat_type=chat_type,
            language_code=language_code,
            first_name=first_name,
            last_name=last_name,
            username=username,
            chat_title=chat_title,
            address_bot=address_bot,
        )
        return self.push_raw(update)

    def push_callback(
        self,
        chat_id: ChatId,
        user_id: int,
        data: str,
        message_id: int,
        *,
        chat_type: ChatType = "private",
        language_code: str | None = "en",
        first_name: str = "Test",
        username: str | None = None,
    ) -> int:
        """Queue a press on a button of message `message_id`; returns its update_id."""
        update = self.make_callback_update(
            chat_id,
            user_id,
            data,
            message_id,
            chat_type=chat_type,
            language_code=language_code,
            first_name=first_name,
            username=username,
        )
        return self.push_raw(update)

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Queued updates not yet confirmed (by a later offset) or delivered."""
        return list(self._pending)

    # -- inspecting what the bot did

    def sent_messages(self, chat_id: ChatId | None = None) -> list[dict[str, Any]]:
        """The bot's messages as they are now (edits applied, deletions gone), oldest first."""
        key = None if chat_id is None else _chat_key(chat_id)
        return [m for (chat, _), m in self._messages.items() if key is None or chat == key]

    async def wait_for_delivery(
        self,
        update_id: int,
        timeout: float = 5.0,  # noqa: ASYNC109 - same convention as wait_for
    ) -> WebhookDelivery:
        """Wait until `update_id` was accepted (2xx) by the webhook."""

        def delivered() -> bool:
            return any(d.update_id == update_id and d.delivered for d in self.webhook_deliveries)

        await self._wait_until(
            delivered,
            timeout,
            lambda: f"webhook delivery of update {update_id}: {self.webhook_deliveries}",
        )
        return next(d for d in self.webhook_deliveries if d.update_id == update_id and d.delivered)

    # -- server plumbing

    def _routes(self) -> list[web.RouteDef]:
        return [
            web.route("*", "/bot{token}/{method}", self._handle_api),
            web.get("/file/bot{token}/{file_path:.+}", self._handle_file),
        ]

    async def _after_start(self) -> None:
        self._session = aiohttp.ClientSession()

    async def _before_shutdown(self) -> None:
        if self._delivery_task is not None:
            self._delivery_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._delivery_task
            self._delivery_task = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _handle_api(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        name = request.match_info["method"]
        method = self._canonical.get(name.lower(), name)
        raw, files = await read_request_params(request)
        params = {key: _coerce(key, value) for key, value in raw.items()}
        for key, value in params.items():
            if isinstance(value, str) and value.startswith("attach://"):
                attached = files.get(value.removeprefix("attach://"))
                if attached is not None:
                    files[key] = attached
        call = RecordedCall.arrived(request, method, params, token, files)
        self._record(call)
        try:
            result = await self._dispatch(call)
        except TelegramApiError as exc:
            return exc.response()
        return web.json_response({"ok": True, "result": result})

    async def _dispatch(self, call: RecordedCall) -> Any:
        if self.token is not None and call.token != self.token:
            raise TelegramApiError(401, "Unauthorized")
        failures = self._failures.get(call.method)
        if failures:
            planned = failures.popleft()
            raise TelegramApiError(planned.error_code, planned.description, planned.retry_after)
        handler = self._methods.get(call.method)
        if handler is None:
            raise TelegramApiError(404, "Not Found")
        return await handler(call)

    async def _handle_file(self, request: web.Request) -> web.Response:
        path = request.match_info["file_path"]
        stored = next((f for f in self.files.values() if f.file_path == path), None)
        if stored is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        return web.Response(body=stored.data, content_type=stored.mime_type)

    # -- updates: polling and webhook

    def _confirm(self, offset: int) -> None:
        if offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]

    def _select(self, offset: int, limit: int) -> list[dict[str, Any]]:
        if offset < 0:
            return self._pending[offset:][:limit]
        return [u for u in self._pending if u["update_id"] >= offset][:limit]

    async def _get_updates(self, call: RecordedCall) -> list[dict[str, Any]]:
        if self.webhook is not None:
            raise TelegramApiError(409, _WEBHOOK_CONFLICT)
        offset = int(call.params.get("offset") or 0)
        limit = min(max(int(call.params.get("limit") or 100), 1), 100)
        timeout = float(call.params.get("timeout") or 0)
        self._confirm(offset)
        # A newer getUpdates ends an older one with 409, as Telegram does.
        self._poll_generation += 1
        generation = self._poll_generation
        self._pulse.fire()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if generation != self._poll_generation:
                raise TelegramApiError(409, _DEFAULT_DESCRIPTIONS[409])
            updates = self._select(offset, limit)
            remaining = deadline - loop.time()
            if updates or remaining <= 0 or self._closing:
                return updates
            await self._pulse.wait(remaining)

    async def _set_webhook(self, call: RecordedCall) -> bool:
        url = str(call.params.get("url") or "")
        if not url:
            return await self._delete_webhook(call)
        secret = call.params.get("secret_token")
        if secret is not None and not _SECRET_TOKEN.fullmatch(str(secret)):
            raise _bad_request("secret token contains unallowed characters")
        if call.params.get("drop_pending_updates"):
            self._pending.clear()
        self.webhook = WebhookState(
            url=url,
            secret_token=None if secret is None else str(secret),
            max_connections=int(call.params.get("max_connections") or 40),
            allowed_updates=call.params.get("allowed_updates"),
        )
        if self._delivery_task is None or self._delivery_task.done():
            self._delivery_task = asyncio.create_task(self._deliver_updates())
        self._pulse.fire()
        return True

    async def _delete_webhook(self, call: RecordedCall) -> bool:
        if call.params.get("drop_pending_updates"):
            self._pending.clear()
        self.webhook = None
        self._pulse.fire()
        return True

    async def _get_webhook_info(self, call: RecordedCall) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook.url if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self.webhook is not None:
            info["max_connections"] = self.webhook.max_connections
            if self.webhook.allowed_updates:
                info["allowed_updates"] = self.webhook.allowed_updates
        return info

    async def _deliver_updates(self) -> None:
        while self.webhook is not None and not self._closing:
            if not self._pending:
                await self._pulse.wait(60)
                continue
            update = self._pending[0]
            update_id = int(update["update_id"])
            self._delivery_attempts[update_id] += 1
            attempts = self._delivery_attempts[update_id]
            delivered = await self._post_update(self.webhook, update)
            if delivered or attempts >= self.webhook_max_attempts:
                with contextlib.suppress(ValueError):
                    self._pending.remove(update)
            else:
                # Telegram backs off between attempts; keep the shape, not the minutes.
                await asyncio.sleep(min(0.01 * 2**attempts, 0.5))

    async def _post_update(self, webhook: WebhookState, update: Mapping[str, Any]) -> bool:
        assert self._session is not None
        headers = {"Content-Type": "application/json"}
        if webhook.secret_token is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = webhook.secret_token
        status: int | None = None
        error: str | None = None
        try:
            async with self._session.post(
                webhook.url, data=json.dumps(update).encode(), headers=headers
            ) as response:
                status = response.status
        except aiohttp.ClientError as exc:
            error = repr(exc)
        delivery = WebhookDelivery(
            int(update["update_id"]), webhook.url, status, error, time.monotonic()
        )
        self.webhook_deliveries.append(delivery)
        self._pulse.fire()
        return delivery.delivered

    # -- messages

    async def _get_me(self, call: RecordedCall) -> dict[str, Any]:
        return self.bot_user

    async def _true(self, call: RecordedCall) -> bool:
        return True

    def _target_chat(self, params: Mapping[str, Any]) -> ChatId:
        if params.get("chat_id") in (None, ""):
            raise _bad_request("chat_id is empty")
        key = _chat_key(params["chat_id"])
        if key in self.blocked_chats:
            raise TelegramApiError(403, _DEFAULT_DESCRIPTIONS[403])
        return key

    @staticmethod
    def _formatted(
        params: Mapping[str, Any], field: str, entities_field: str, limit: int
    ) -> tuple[str, list[dict[str, Any]]]:
        raw = str(params.get(field) or "")
        if str(params.get("parse_mode") or "").upper() == "HTML":
            text, entities = parse_html(raw)
        else:
            text, entities = raw, list(params.get(entities_field) or [])
        if len(text) > limit:
            kind = "message caption" if field == "caption" else "message"
            raise _bad_request(f"{kind} is too long")
        return text, entities

    @staticmethod
    def _inline_markup(params: Mapping[str, Any]) -> dict[str, Any] | None:
        markup = params.get("reply_markup")
        # Only inline keyboards belong to the message; reply keyboards are not echoed.
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            return markup
        return None

    def _new_message(self, chat: ChatId, params: Mapping[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": next(self._message_ids[chat]),
            "from": self.bot_user,
            "chat": self._chat(chat),
            "date": int(time.time()),
        }
        markup = self._inline_markup(params)
        if markup is not None:
            message["reply_markup"] = markup
        self._messages[(chat, message["message_id"])] = message
        return message

    async def _send_message(self, call: RecordedCall) -> dict[str, Any]:
        chat = self._target_chat(call.params)
        text, entities = self._formatted(call.params, "text", "entities", 4096)
        if not text.strip():
            raise _bad_request("message text is empty")
        message = self._new_message(chat, call.params)
        message["text"] = text
        if entities:
            message["entities"] = entities
        return message

    def _existing_message(self, params: Mapping[str, Any], action: str) -> dict[str, Any]:
        chat = self._target_chat(params)
        message = self._messages.get((chat, int(params.get("message_id") or 0)))
        if message is None:
            raise _bad_request(f"message to {action} not found")
        return message

    async def _edit_message_text(self, call: RecordedCall) -> dict[str, Any] | bool:
        if call.params.get("inline_message_id"):
            return True
        message = self._existing_message(call.params, "edit")
        text, entities = self._formatted(call.params, "text", "entities", 4096)
        if not text.strip():
            raise _bad_request("message text is empty")
        markup = self._inline_markup(call.params)
        current = (message.get("text"), message.get("entities", []), message.get("reply_markup"))
        if current == (text, entities, markup):
            raise _bad_request(_NOT_MODIFIED)
        message.update(text=text, edit_date=int(time.time()))
        for key, value in (("entities", entities), ("reply_markup", markup)):
            if value:
                message[key] = value
            else:
                message.pop(key, None)
        return message

    async def _edit_message_reply_markup(self, call: RecordedCall) -> dict[str, Any] | bool:
        if call.params.get("inline_message_id"):
            return True
        message = self._existing_message(call.params, "edit")
        markup = self._inline_markup(call.params)
        if markup == message.get("reply_markup"):
            raise _bad_request(_NOT_MODIFIED)
        if markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = markup
        message["edit_date"] = int(time.time())
        return message

    async def _delete_message(self, call: RecordedCall) -> bool:
        message = self._existing_message(call.params, "delete")
        del self._messages[(_chat_key(message["chat"]["id"]), message["message_id"])]
        return True

    async def _answer_callback_query(self, call: RecordedCall) -> bool:
        if str(call.params.get("callback_query_id")) not in self._callback_ids:
            raise _bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        return True

    async def _send_chat_action(self, call: RecordedCall) -> bool:
        self._target_chat(call.params)
        if not call.params.get("action"):
            raise _bad_request("wrong parameter action in request")
        return True

    # -- files

    def _store_file(self, upload: UploadedFile, folder: str) -> StoredFile:
        n = next(self._ids)
        suffix = (
            upload.filename.rsplit(".", 1)[-1]
            if upload.filename and "." in upload.filename
            else "bin"
        )
        stored = StoredFile(
            file_id=f"AgAC{n:012d}",
            file_unique_id=f"AQAD{n:08d}",
            file_path=f"{folder}/file_{n}.{suffix}",
            data=upload.data,
            filename=upload.filename,
            mime_type=upload.content_type,
        )
        self.files[stored.file_id] = stored
        return stored

    def _input_file(self, call: RecordedCall, field: str, folder: str) -> StoredFile:
        upload = call.files.get(field)
        if upload is not None:
            return self._store_file(upload, folder)
        reference = call.params.get(field)
        if not reference:
            raise _bad_request(f"there is no {field} in the request")
        if reference in self.files:
            return self.files[reference]
        # A URL: Telegram would fetch it; the fake keeps the reference only.
        return self._store_file(
            UploadedFile(field, str(reference).rsplit("/", 1)[-1], "application/octet-stream", b""),
            folder,
        )

    def _captioned(self, call: RecordedCall) -> dict[str, Any]:
        chat = self._target_chat(call.params)
        caption, entities = self._formatted(call.params, "caption", "caption_entities", 1024)
        message = self._new_message(chat, call.params)
        if caption:
            message["caption"] = caption
        if entities:
            message["caption_entities"] = entities
        return message

    async def _send_photo(self, call: RecordedCall) -> dict[str, Any]:
        stored = self._input_file(call, "photo", "photos")
        message = self._captioned(call)
        width, height = _image_size(stored.data)
        message["photo"] = [
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "width": width,
                "height": height,
                "file_size": len(stored.data),
            }
        ]
        return message

    async def _send_document(self, call: RecordedCall) -> dict[str, Any]:
        stored = self._input_file(call, "document", "documents")
        message = self._captioned(call)
        message["document"] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": stored.filename or "file",
            "mime_type": stored.mime_type,
            "file_size": len(stored.data),
        }
        return message

    async def _get_file(self, call: RecordedCall) -> dict[str, Any]:
        stored = self.files.get(str(call.params.get("file_id")))
        if stored is None:
            raise _bad_request("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    # -- commands

    @staticmethod
    def _commands_key(params: Mapping[str, Any]) -> tuple[str, str]:
        language = str(params.get("language_code") or "")
        if not _LANGUAGE.fullmatch(language):
            raise _bad_request("invalid language code specified")
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), language

    async def _set_my_commands(self, call: RecordedCall) -> bool:
        commands = call.params.get("commands")
        if not isinstance(commands, list):
            raise _bad_request("can't parse commands JSON object")
        for command in commands:
            if not _COMMAND.fullmatch(str(command.get("command", ""))):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._commands_key(call.params)] = commands
        return True

    async def _get_my_commands(self, call: RecordedCall) -> list[dict[str, Any]]:
        return self.commands.get(self._commands_key(call.params), [])

    async def _delete_my_commands(self, call: RecordedCall) -> bool:
        self.commands.pop(self._commands_key(call.params), None)
        return True

    def commands_for(
        self, scope: Mapping[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, Any]]:
        """The commands set for `scope` (default scope if None) and `language_code`."""
        key = json.dumps(dict(scope or {"type": "default"}), sort_keys=True)
        return self.commands.get((key, language_code), [])
