"""A local stand-in for Slack: the Web API, response_url endpoints, file uploads and Socket Mode.

`FakeSlack` is a real HTTP/websocket server on 127.0.0.1, so the real `slack_sdk` clients and
`slack_bolt` apps talk to it over the network exactly as they talk to slack.com:

    async with FakeSlack() as slack:
        client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url)
        await client.chat_postMessage(channel="C1", text="hi")
        [call] = slack.calls("chat.postMessage")

It records every request, answers with Slack's response shapes, can be told to fail the next
call (429 with Retry-After, 500, or any Slack error string), and plays the Socket Mode server
(`hello`, envelopes, acks, `disconnect`). The base class `RecordingServer` holds what the
Telegram fake shares: lifecycle, the call log and event-driven waiting.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import WSCloseCode, WSMsgType, web

from bot.testing import signing
from bot.testing.recording_server import (
    RecordedCall,
    RecordingServer,
    read_request_params,
)


class SlackApiFailure(Exception):
    """Raised by a Web API method handler to answer `{"ok": false, "error": ...}`."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


@dataclass(frozen=True)
class _PlannedFailure:
    status: int
    error: str
    retry_after: int | None


@dataclass
class SlackUser:
    """What users.info reports for one user."""

    id: str
    name: str
    real_name: str
    locale: str = "en-US"
    tz: str = "UTC"
    email: str | None = None
    is_bot: bool = False


_DEFAULT_ERRORS = {429: "ratelimited", 500: "internal_error", 503: "service_unavailable"}
# Sent form-encoded, these arrive as JSON strings; Slack decodes them, and so does the fake.
_JSON_FIELDS = ("blocks", "attachments", "metadata", "view", "files")


def _truthy(value: Any) -> bool:
    return value in (True, 1, "1", "true", "True")


def _tz_offset_seconds(tz: str) -> int:
    offset = datetime.now(UTC).astimezone(ZoneInfo(tz)).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


class FakeSlack(RecordingServer):
    """Stands in for slack.com: Web API under `/api/`, response_urls, uploads, Socket Mode.

    Identity defaults come from `bot.testing.signing`, so payloads built there match
    what `auth.test` reports here.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tokens: set[str] | None = None,
        team_id: str = signing.TEAM_ID,
        team: str = "Tierbot Test",
        bot_user_id: str = signing.BOT_USER_ID,
        bot_id: str = signing.BOT_ID,
        app_id: str = signing.API_APP_ID,
        scopes: str = "chat:write,commands,users:read,im:write,files:write",
    ) -> None:
        """`tokens`: if given, only these are accepted (others get `invalid_auth`)."""
        super().__init__(host=host, port=port)
        self.tokens = tokens
        self.team_id = team_id
        self.team = team
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.scopes = scopes
        self.users: dict[str, SlackUser] = {}
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.uploads: dict[str, bytes] = {}
        self.acks: dict[str, dict[str, Any]] = {}
        self._upload_names: dict[str, str] = {}
        self._dm_channels: dict[str, str] = {}
        self._home_views: dict[str, str] = {}
        self._failures: dict[str, deque[_PlannedFailure]] = defaultdict(deque)
        self._counter = itertools.count(1)
        self._last_ts_micros = 0
        self._sockets: list[web.WebSocketResponse] = []
        # Connections told to disconnect get no new envelopes, as on Slack.
        self._draining: set[web.WebSocketResponse] = set()
        self._next_socket = 0
        self._methods: dict[str, Callable[[RecordedCall], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "views.open": self._views_open,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "users.info": self._users_info,
            "conversations.open": self._conversations_open,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
            "apps.connections.open": self._apps_connections_open,
        }

    # -- public helpers

    @property
    def api_url(self) -> str:
        """The `base_url` for `AsyncWebClient` (trailing slash included)."""
        return f"{self.root_url}/api/"

    def response_url(self) -> str:
        """A fresh response_url served by this fake; posts to it are recorded as `response_url`."""
        return f"{self.root_url}/respond/{next(self._counter)}"

    def add_user(
        self,
        user_id: str,
        *,
        real_name: str | None = None,
        name: str | None = None,
        locale: str = "en-US",
        tz: str = "UTC",
        email: str | None = None,
        is_bot: bool = False,
    ) -> SlackUser:
        """Configure what users.info returns for `user_id` (others get en-US / UTC defaults)."""
        user = SlackUser(
            id=user_id,
            name=name or user_id.lower(),
            real_name=real_name or user_id,
            locale=locale,
            tz=tz,
            email=email,
            is_bot=is_bot,
        )
        self.users[user_id] = user
        return user

    def fail_next(
        self,
        method: str,
        status: int = 429,
        *,
        retry_after: int = 1,
        error: str | None = None,
        times: int = 1,
    ) -> None:
        """Make the next `times` calls to `method` fail, each failure used once.

        429 answers `{"ok": false, "error": "ratelimited"}` with a `Retry-After` header; 500
        answers `internal_error`. With `status=200` and `error="channel_not_found"` (say) the
        call fails the way Slack reports most errors. `method` may also be `response_url` or
        `file_upload`.
        """
        chosen = error or _DEFAULT_ERRORS.get(status)
        if chosen is None:
            raise ValueError(f"give an error string for status {status}")
        planned = _PlannedFailure(status, chosen, retry_after if status == 429 else None)
        self._failures[method].extend([planned] * times)

    def posted_messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Messages posted with chat.postMessage (as last updated), oldest first."""
        return [m for (ch, _), m in self.messages.items() if channel is None or ch == channel]

    # -- Socket Mode helpers

    def _live_sockets(self) -> list[web.WebSocketResponse]:
        return [ws for ws in self._sockets if not ws.closed and ws not in self._draining]

    @property
    def socket_count(self) -> int:
        """Open Socket Mode connections that can receive envelopes."""
        return len(self._live_sockets())

    async def wait_for_socket(self, count: int = 1, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until `count` Socket Mode connections are open (each is also recorded as a
        `socket_connect` call)."""
        await self._wait_until(
            lambda: self.socket_count >= count,
            timeout,
            lambda: f"{count} socket connection(s); open: {self.socket_count}",
        )

    async def socket_send(
        self,
        envelope_type: str,
        payload: Mapping[str, Any],
        *,
        retry_attempt: int = 0,
        retry_reason: str = "",
        accepts_response_payload: bool | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> str:
        """Push an envelope to one connected app (round robin, like Slack) and return its id.

        `envelope_type` is `events_api`, `interactive` or `slash_commands`. By default only
        slash commands, view submissions and block suggestions accept a response payload.
        """
        await self.wait_for_socket(1, timeout)
        live = self._live_sockets()
        ws = live[self._next_socket % len(live)]
        self._next_socket += 1
        if accepts_response_payload is None:
            accepts_response_payload = envelope_type == "slash_commands" or (
                payload.get("type") in ("view_submission", "block_suggestion")
            )
        envelope_id = str(uuid.uuid4())
        await ws.send_json(
            {
                "envelope_id": envelope_id,
                "type": envelope_type,
                "payload": dict(payload),
                "accepts_response_payload": accepts_response_payload,
                "retry_attempt": retry_attempt,
                "retry_reason": retry_reason,
            }
        )
        return envelope_id

    async def wait_for_ack(
        self,
        envelope_id: str,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> dict[str, Any]:
        """The JSON the app sent back for `envelope_id` (`{"envelope_id", "payload"?}`)."""
        await self._wait_until(
            lambda: envelope_id in self.acks,
            timeout,
            lambda: f"the ack of envelope {envelope_id}",
        )
        return self.acks[envelope_id]

    async def socket_disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask every connected app to reconnect, as Slack does before rotating servers."""
        for ws in self._live_sockets():
            self._draining.add(ws)
            await ws.send_json(
                {"type": "disconnect", "reason": reason, "debug_info": {"host": "fake"}}
            )

    # -- server plumbing

    def _routes(self) -> list[web.RouteDef]:
        return [
            web.route("*", "/api/{method}", self._handle_api),
            web.post("/respond/{n}", self._handle_response_url),
            web.post("/upload/v1/{file_id}", self._handle_upload),
            web.get("/link", self._handle_socket),
            web.get("/link/", self._handle_socket),
        ]

    async def _before_shutdown(self) -> None:
        for ws in list(self._sockets):
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")

    def _json(self, body: Mapping[str, Any], status: int = 200) -> web.Response:
        headers = {"X-OAuth-Scopes": self.scopes, "X-Accepted-OAuth-Scopes": ""}
        return web.json_response(dict(body), status=status, headers=headers)

    def _planned_failure(self, method: str) -> web.Response | None:
        queue = self._failures.get(method)
        if not queue:
            return None
        failure = queue.popleft()
        response = self._json({"ok": False, "error": failure.error}, status=failure.status)
        if failure.retry_after is not None:
            response.headers["Retry-After"] = str(failure.retry_after)
        return response

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params, files = await read_request_params(request)
        for key in _JSON_FIELDS:
            value = params.get(key)
            if isinstance(value, str) and value[:1] in ("[", "{"):
                params[key] = json.loads(value)
        token = _bearer_token(request) or params.pop("token", None)
        call = RecordedCall.arrived(request, method, params, token, files)
        self._record(call)
        failure = self._planned_failure(method)
        if failure is not None:
            return failure
        if token is None:
            return self._json({"ok": False, "error": "not_authed"})
        if self.tokens is not None and token not in self.tokens:
            return self._json({"ok": False, "error": "invalid_auth"})
        handler = self._methods.get(method)
        if handler is None:
            return self._json({"ok": False, "error": "unknown_method"})
        try:
            return self._json({"ok": True, **handler(call)})
        except SlackApiFailure as exc:
            return self._json({"ok": False, "error": exc.error})

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        params, _ = await read_request_params(request)
        self._record(
            RecordedCall(
                method="response_url",
                params=params,
                headers=dict(request.headers),
                token=None,
                time=time.monotonic(),
                path=request.path,
            )
        )
        failure = self._planned_failure("response_url")
        return failure if failure is not None else self._json({"ok": True})

    async def _handle_upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        data = await request.read()
        self._record(
            RecordedCall(
                method="file_upload",
                params={"file_id": file_id, "size": len(data)},
                headers=dict(request.headers),
                token=None,
                time=time.monotonic(),
                path=request.path,
            )
        )
        failure = self._planned_failure("file_upload")
        if failure is not None:
            return failure
        if file_id not in self._upload_names:
            return web.Response(status=404, text="file not found")
        self.uploads[file_id] = data
        # The real upload host answers in plain text, which slack_sdk reads as such.
        return web.Response(text=f"OK - {len(data)}", content_type="text/plain")

    async def _handle_socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._record(
            RecordedCall(
                method="socket_connect",
                params=dict(request.query),
                headers=dict(request.headers),
                token=None,
                time=time.monotonic(),
                path=request.path,
            )
        )
        self._sockets.append(ws)
        self._pulse.fire()
        try:
            await ws.send_json(
                {
                    "type": "hello",
                    "num_connections": self.socket_count,
                    "debug_info": {
                        "host": "applink-fake",
                        "build_number": 1,
                        "approximate_connection_time": 18060,
                    },
                    "connection_info": {"app_id": self.app_id},
                }
            )
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    self._on_socket_text(message.data)
        finally:
            self._sockets.remove(ws)
            self._draining.discard(ws)
            self._pulse.fire()
        return ws

    def _on_socket_text(self, data: str) -> None:
        with contextlib.suppress(ValueError):
            ack = json.loads(data)
            if isinstance(ack, dict) and "envelope_id" in ack:
                self.acks[str(ack["envelope_id"])] = ack
                self._pulse.fire()

    # -- ids

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}0{next(self._counter):08d}"

    def _new_ts(self) -> str:
        # Slack's ts is seconds.micros; it must be unique and increase within a channel.
        self._last_ts_micros = max(int(time.time() * 1_000_000), self._last_ts_micros + 1)
        seconds, micros = divmod(self._last_ts_micros, 1_000_000)
        return f"{seconds}.{micros:06d}"

    def _dm_channel(self, user_id: str) -> str:
        if user_id not in self._dm_channels:
            self._dm_channels[user_id] = self._new_id("D")
        return self._dm_channels[user_id]

    def _resolve_channel(self, value: Any) -> str:
        if not value:
            raise SlackApiFailure("channel_not_found")
        channel = str(value)
        # Posting to a user id posts to the app's DM with that user.
        if channel[:1] in ("U", "W"):
            return self._dm_channel(channel)
        return channel

    # -- Web API methods

    def _auth_test(self, call: RecordedCall) -> dict[str, Any]:
        body: dict[str, Any] = {
            "url": f"https://{signing.TEAM_DOMAIN}.slack.com/",
            "team": self.team,
            "team_id": self.team_id,
            "is_enterprise_install": False,
        }
        if call.token is not None and call.token.startswith("xoxb-"):
            return {**body, "user": "tierbot", "user_id": self.bot_user_id, "bot_id": self.bot_id}
        return {**body, "user": signing.USER_NAME, "user_id": signing.USER_ID}

    def _message(self, params: Mapping[str, Any], ts: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "team": self.team_id,
            "text": params.get("text", ""),
            "ts": ts,
        }
        for key in ("blocks", "attachments", "metadata", "thread_ts"):
            if params.get(key) is not None:
                message[key] = params[key]
        return message

    @staticmethod
    def _check_content(params: Mapping[str, Any]) -> None:
        if not (params.get("text") or params.get("blocks") or params.get("attachments")):
            raise SlackApiFailure("no_text")
        if len(str(params.get("text", ""))) > 40_000:
            raise SlackApiFailure("msg_too_long")

    def _chat_post_message(self, call: RecordedCall) -> dict[str, Any]:
        channel = self._resolve_channel(call.params.get("channel"))
        self._check_content(call.params)
        ts = self._new_ts()
        message = self._message(call.params, ts)
        self.messages[(channel, ts)] = message
        return {"channel": channel, "ts": ts, "message": message}

    def _chat_post_ephemeral(self, call: RecordedCall) -> dict[str, Any]:
        self._resolve_channel(call.params.get("channel"))
        if not call.params.get("user"):
            raise SlackApiFailure("user_not_in_channel")
        self._check_content(call.params)
        return {"message_ts": self._new_ts()}

    def _chat_update(self, call: RecordedCall) -> dict[str, Any]:
        channel = self._resolve_channel(call.params.get("channel"))
        ts = str(call.params.get("ts") or "")
        if not ts:
            raise SlackApiFailure("message_not_found")
        self._check_content(call.params)
        message = self._message(call.params, ts)
        self.messages[(channel, ts)] = message
        return {"channel": channel, "ts": ts, "text": message["text"], "message": message}

    def _store_view(self, params: Mapping[str, Any], view_id: str) -> dict[str, Any]:
        view = params.get("view")
        if not isinstance(view, Mapping):
            raise SlackApiFailure("invalid_arguments")
        stored = {
            "id": view_id,
            "team_id": self.team_id,
            "type": view.get("type", "modal"),
            "blocks": view.get("blocks", []),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "external_id": view.get("external_id", ""),
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{next(self._counter):08x}",
            "title": view.get("title"),
            "close": view.get("close"),
            "submit": view.get("submit"),
            "clear_on_close": False,
            "notify_on_close": False,
            "previous_view_id": None,
            "root_view_id": view_id,
            "app_id": self.app_id,
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }
        self.views[view_id] = stored
        return {"view": stored}

    def _views_open(self, call: RecordedCall) -> dict[str, Any]:
        if not (call.params.get("trigger_id") or call.params.get("interactivity_pointer")):
            raise SlackApiFailure("invalid_trigger_id")
        return self._store_view(call.params, self._new_id("V"))

    def _views_update(self, call: RecordedCall) -> dict[str, Any]:
        view_id = call.params.get("view_id")
        external_id = call.params.get("external_id")
        if not view_id and external_id:
            view_id = next(
                (v["id"] for v in self.views.values() if v["external_id"] == external_id), None
            )
        if not view_id or view_id not in self.views:
            raise SlackApiFailure("not_found")
        return self._store_view(call.params, str(view_id))

    def _views_publish(self, call: RecordedCall) -> dict[str, Any]:
        user_id = str(call.params.get("user_id") or "")
        if not user_id:
            raise SlackApiFailure("invalid_arguments")
        view_id = self._home_views.setdefault(user_id, self._new_id("V"))
        return self._store_view(call.params, view_id)

    def _users_info(self, call: RecordedCall) -> dict[str, Any]:
        user_id = str(call.params.get("user") or "")
        if not user_id:
            raise SlackApiFailure("user_not_found")
        user = self.users.get(user_id) or SlackUser(
            id=user_id, name=user_id.lower(), real_name=user_id
        )
        body: dict[str, Any] = {
            "id": user.id,
            "team_id": self.team_id,
            "name": user.name,
            "deleted": False,
            "real_name": user.real_name,
            "tz": user.tz,
            "tz_label": datetime.now(ZoneInfo(user.tz)).tzname(),
            "tz_offset": _tz_offset_seconds(user.tz),
            "profile": {
                "real_name": user.real_name,
                "display_name": user.name,
                **({"email": user.email} if user.email else {}),
            },
            "is_bot": user.is_bot,
            "is_app_user": False,
            "updated": int(time.time()),
        }
        # Like Slack, the locale is only reported when asked for with include_locale.
        if _truthy(call.params.get("include_locale")):
            body["locale"] = user.locale
        return {"user": body}

    def _conversations_open(self, call: RecordedCall) -> dict[str, Any]:
        users = str(call.params.get("users") or "")
        if not users:
            raise SlackApiFailure("users_list_not_supplied")
        first = users.split(",")[0]
        already_open = first in self._dm_channels
        channel_id = self._dm_channel(first)
        return {"channel": {"id": channel_id}, "no_op": already_open, "already_open": already_open}

    def _files_get_upload_url(self, call: RecordedCall) -> dict[str, Any]:
        filename = call.params.get("filename")
        if not filename or not call.params.get("length"):
            raise SlackApiFailure("invalid_arguments")
        file_id = self._new_id("F")
        self._upload_names[file_id] = str(filename)
        return {"upload_url": f"{self.root_url}/upload/v1/{file_id}", "file_id": file_id}

    def _files_complete_upload(self, call: RecordedCall) -> dict[str, Any]:
        files = call.params.get("files")
        if not isinstance(files, list) or not files:
            raise SlackApiFailure("invalid_arguments")
        completed = []
        for item in files:
            file_id = item.get("id")
            if file_id not in self.uploads:
                raise SlackApiFailure("file_not_found")
            completed.append(
                {
                    "id": file_id,
                    "name": self._upload_names[file_id],
                    "title": item.get("title") or self._upload_names[file_id],
                    "size": len(self.uploads[file_id]),
                }
            )
        return {"files": completed}

    def _apps_connections_open(self, call: RecordedCall) -> dict[str, Any]:
        if call.token is None or not call.token.startswith("xapp-"):
            raise SlackApiFailure("not_allowed_token_type")
        ticket = uuid.uuid4()
        ws_root = f"ws://{self.host}:{self.port}"
        return {"url": f"{ws_root}/link/?ticket={ticket}&app_id={self.app_id}"}


def _bearer_token(request: web.Request) -> str | None:
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Bearer "):
        return auth.removeprefix("Bearer ").strip() or None
    return None
