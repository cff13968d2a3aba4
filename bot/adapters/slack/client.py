"""The Slack Web API client and the settings Slack needs, checked before anything starts."""

from __future__ import annotations

import aiohttp
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.errors import SlackSetupError
from bot.settings import Settings

SLACK_API_URL = "https://slack.com/api/"


def retry_handlers() -> list[AsyncRetryHandler]:
    """Connection errors, 429 (honouring Retry-After) and 500/503 are each retried once.

    The default client retries only connection errors; a rate limit or a Slack hiccup
    would otherwise lose the reply.
    """
    return [
        AsyncConnectionErrorRetryHandler(),
        AsyncRateLimitErrorRetryHandler(max_retry_count=1),
        AsyncServerErrorRetryHandler(max_retry_count=1),
    ]


def api_base_url(settings: Settings) -> str:
    """SLACK_API_URL with the trailing slash slack_sdk needs to join method names."""
    url = settings.slack_api_url or SLACK_API_URL
    return url if url.endswith("/") else url + "/"


def web_client(settings: Settings, session: aiohttp.ClientSession | None = None) -> AsyncWebClient:
    """The bot's client; a shared ``session`` keeps connections to Slack open between calls."""
    token = require_bot_token(settings)
    return AsyncWebClient(
        token=token,
        base_url=api_base_url(settings),
        session=session,
        retry_handlers=retry_handlers(),
    )


def require_bot_token(settings: Settings) -> str:
    if not settings.slack_bot_token:
        raise SlackSetupError("SLACK_BOT_TOKEN is not set (the bot token, xoxb-...)")
    return settings.slack_bot_token


def require_app_token(settings: Settings) -> str:
    """Socket Mode connects with an app-level token that has the connections:write scope."""
    token = settings.slack_app_token
    if not token:
        raise SlackSetupError(
            "SLACK_APP_TOKEN is not set: Socket Mode needs an app-level token (xapp-...) "
            "with connections:write; or run with --http and SLACK_SIGNING_SECRET"
        )
    if not token.startswith("xapp-"):
        raise SlackSetupError("SLACK_APP_TOKEN must be an app-level token starting with xapp-")
    return token


def require_signing_secret(settings: Settings) -> str:
    """HTTP mode trusts a request only if it is signed with this secret."""
    if not settings.slack_signing_secret:
        raise SlackSetupError(
            "SLACK_SIGNING_SECRET is not set: HTTP mode needs it to verify requests from Slack "
            "(Basic Information > App Credentials > Signing Secret)"
        )
    return settings.slack_signing_secret
