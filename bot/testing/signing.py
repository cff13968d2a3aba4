"""Build the requests Slack sends to an app, signed the way Slack signs them.

Payload builders (`slash_command`, `block_actions`, `view_submission`, `event_callback`) return
the dicts Slack puts in a request or, over Socket Mode, in an envelope's `payload`. The
`signed_*` functions encode such a payload as Slack's HTTP delivery does (form body,
`payload=<json>` form field, or JSON) and add `X-Slack-Request-Timestamp` and `X-Slack-Signature`
headers that `slack_sdk.signature.SignatureVerifier` accepts. The timestamp defaults to now and
can be injected to produce stale or future-dated requests.

    request = signed_form(SECRET, slash_command("/tier", "Acme", response_url=url))
    await session.post(app_url, data=request.body, headers=request.headers)
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

TEAM_ID = "T0TIERBOT"
TEAM_DOMAIN = "tierbot-test"
ENTERPRISE_ID: str | None = None
API_APP_ID = "A0TIERBOT"
BOT_USER_ID = "U0TIERBOT"
BOT_ID = "B0TIERBOT"
USER_ID = "U0SELLER1"
USER_NAME = "seller"
CHANNEL_ID = "C0SALES01"
CHANNEL_NAME = "sales"
# Slack stopped using the verification token for security, but still sends it in every payload.
VERIFICATION_TOKEN = "legacy-verification-token"

_ids = itertools.count(1)


@dataclass(frozen=True)
class SignedRequest:
    """A body and the headers to POST it with, exactly as Slack would deliver it."""

    body: bytes
    headers: dict[str, str]
    timestamp: int

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def compute_signature(signing_secret: str, timestamp: int | str, body: bytes | str) -> str:
    """Slack's v0 signature: HMAC-SHA256 over `v0:{timestamp}:{body}`."""
    raw = body if isinstance(body, bytes) else body.encode("utf-8")
    base = f"v0:{timestamp}:".encode() + raw
    digest = hmac.new(signing_secret.encode("utf-8"), base, hashlib.sha256).hexdigest()
    return f"v0={digest}"


def sign(
    signing_secret: str,
    body: bytes | str,
    content_type: str,
    *,
    timestamp: int | None = None,
    extra_headers: Mapping[str, str] | None = None,
) -> SignedRequest:
    """Sign an arbitrary body; the other `signed_*` helpers build on this."""
    raw = body if isinstance(body, bytes) else body.encode("utf-8")
    ts = int(time.time()) if timestamp is None else timestamp
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": compute_signature(signing_secret, ts, raw),
        **(extra_headers or {}),
    }
    return SignedRequest(body=raw, headers=headers, timestamp=ts)


def signed_form(
    signing_secret: str, fields: Mapping[str, str], *, timestamp: int | None = None
) -> SignedRequest:
    """A form-encoded request, as Slack delivers slash commands."""
    return sign(
        signing_secret,
        urlencode(dict(fields)),
        "application/x-www-form-urlencoded",
        timestamp=timestamp,
    )


def signed_interaction(
    signing_secret: str, payload: Mapping[str, Any], *, timestamp: int | None = None
) -> SignedRequest:
    """An interactivity request: the JSON payload travels in a `payload` form field."""
    return signed_form(signing_secret, {"payload": json.dumps(payload)}, timestamp=timestamp)


def signed_event(
    signing_secret: str,
    body: Mapping[str, Any],
    *,
    timestamp: int | None = None,
    retry_num: int | None = None,
    retry_reason: str | None = None,
) -> SignedRequest:
    """An Events API request (JSON); `retry_num` adds the headers Slack sends on redelivery."""
    extra: dict[str, str] = {}
    if retry_num is not None:
        extra["X-Slack-Retry-Num"] = str(retry_num)
        extra["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
    return sign(
        signing_secret,
        json.dumps(body),
        "application/json",
        timestamp=timestamp,
        extra_headers=extra,
    )


def new_trigger_id() -> str:
    """A fresh trigger id in Slack's `<digits>.<digits>.<hex>` shape."""
    n = next(_ids)
    return f"{1_000_000_000_000 + n}.{1_000_000 + n}.{n:032x}"


def slash_command(
    command: str,
    text: str = "",
    *,
    response_url: str,
    user_id: str = USER_ID,
    user_name: str = USER_NAME,
    channel_id: str = CHANNEL_ID,
    channel_name: str = CHANNEL_NAME,
    team_id: str = TEAM_ID,
    team_domain: str = TEAM_DOMAIN,
    api_app_id: str = API_APP_ID,
    trigger_id: str | None = None,
) -> dict[str, str]:
    """The fields of a slash command invocation (all strings, as in the form body).

    `response_url` is required because Slack always sends one; point it at a local fake
    (`FakeSlack.response_url()`) so that `respond()` never leaves the machine.
    """
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "team_domain": team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id or new_trigger_id(),
    }


def _user(user_id: str, user_name: str, team_id: str) -> dict[str, str]:
    return {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id}


def block_actions(
    action_id: str,
    *,
    value: str | None = None,
    block_id: str = "actions",
    action_type: str = "button",
    response_url: str | None = None,
    user_id: str = USER_ID,
    user_name: str = USER_NAME,
    channel_id: str = CHANNEL_ID,
    channel_name: str = CHANNEL_NAME,
    message_ts: str = "1700000000.000100",
    message: Mapping[str, Any] | None = None,
    view: Mapping[str, Any] | None = None,
    team_id: str = TEAM_ID,
    api_app_id: str = API_APP_ID,
    trigger_id: str | None = None,
) -> dict[str, Any]:
    """A `block_actions` payload for one button/select action.

    By default the action comes from a message in `channel_id`; pass `view` for an action
    inside a modal or App Home, which has no channel, message or response_url.
    """
    action: dict[str, Any] = {
        "action_id": action_id,
        "block_id": block_id,
        "type": action_type,
        "action_ts": f"{time.time():.6f}",
    }
    if value is not None:
        action["value"] = value
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": _user(user_id, user_name, team_id),
        "api_app_id": api_app_id,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id or new_trigger_id(),
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "state": {"values": {}},
        "actions": [action],
    }
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view.get("id", "V0VIEW")}
        payload["view"] = dict(view)
        return payload
    payload["container"] = {
        "type": "message",
        "message_ts": message_ts,
        "channel_id": channel_id,
        "is_ephemeral": False,
    }
    payload["channel"] = {"id": channel_id, "name": channel_name}
    payload["message"] = (
        dict(message)
        if message is not None
        else {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "ts": message_ts,
            "text": "",
        }
    )
    if response_url is not None:
        payload["response_url"] = response_url
    return payload


def view_submission(
    callback_id: str,
    values: Mapping[str, Mapping[str, Any]],
    *,
    private_metadata: str = "",
    view_id: str = "V0VIEW",
    user_id: str = USER_ID,
    user_name: str = USER_NAME,
    team_id: str = TEAM_ID,
    api_app_id: str = API_APP_ID,
) -> dict[str, Any]:
    """A `view_submission` payload; `values` becomes `view.state.values`.

    `values` maps block_id -> action_id -> element state, e.g.
    `{"account": {"name": {"type": "plain_text_input", "value": "Acme"}}}`.
    """
    return {
        "type": "view_submission",
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "user": _user(user_id, user_name, team_id),
        "api_app_id": api_app_id,
        "token": VERIFICATION_TOKEN,
        "trigger_id": new_trigger_id(),
        "view": {
            "id": view_id,
            "team_id": team_id,
            "type": "modal",
            "blocks": [],
            "private_metadata": private_metadata,
            "callback_id": callback_id,
            "state": {"values": {k: dict(v) for k, v in values.items()}},
            "hash": f"{int(time.time())}.abcdef",
            "title": {"type": "plain_text", "text": "Tierbot"},
            "previous_view_id": None,
            "root_view_id": view_id,
            "app_id": api_app_id,
            "external_id": "",
            "app_installed_team_id": team_id,
            "bot_id": BOT_ID,
        },
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def event_callback(
    event: Mapping[str, Any],
    *,
    event_id: str | None = None,
    event_time: int | None = None,
    team_id: str = TEAM_ID,
    api_app_id: str = API_APP_ID,
    bot_user_id: str = BOT_USER_ID,
) -> dict[str, Any]:
    """An Events API `event_callback` envelope around `event` (e.g. an `app_mention`)."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "api_app_id": api_app_id,
        "event": dict(event),
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_ids):010d}",
        "event_time": int(time.time()) if event_time is None else event_time,
        "authorizations": [
            {
                "enterprise_id": ENTERPRISE_ID,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }
