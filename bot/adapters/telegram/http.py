"""An aiohttp transport for python-telegram-bot's ``Bot``.

PTB's default transport (httpx) spends more CPU per request than the request itself
costs once many are in flight: its pool re-examines every connection for every
waiting request. The bot answers many chats at once and the delivery worker sends
alerts by the hundred, so both talk to the Bot API through aiohttp, which Slack's
client uses already. Errors map the way PTB's own transport maps them: timeouts to
``TimedOut``, anything else on the wire to ``NetworkError``; Telegram's answers,
errors included, are PTB's to read.

Parameters go as one JSON body, which the Bot API accepts for every method but file
uploads (those go as multipart form data): a form would encode each value as JSON and
then percent-encode the lot, which costs more than the JSON alone.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

_READ_TIMEOUT = 10.0
_CONNECT_TIMEOUT = 5.0
_MEDIA_TIMEOUT = 30.0  # a chart upload is larger than a message
_JSON = {"Content-Type": "application/json"}


class AiohttpRequest(BaseRequest):
    def __init__(self, *, connections: int = 16) -> None:
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float:
        return _READ_TIMEOUT

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        files = request_data.multipart_data if request_data else {}
        data: aiohttp.FormData | bytes | None = None
        headers = None
        if files:
            assert request_data is not None
            data = _form(request_data.json_parameters, files)
        elif request_data is not None and request_data.parameters:
            data = json.dumps(request_data.parameters).encode()
            headers = _JSON
        read = _seconds(read_timeout, _MEDIA_TIMEOUT if files else _READ_TIMEOUT)
        timeout = aiohttp.ClientTimeout(
            sock_connect=_seconds(connect_timeout, _CONNECT_TIMEOUT), sock_read=read
        )
        try:
            async with self._session.request(
                method, url, data=data, headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error


def _seconds(value: Any, default: float) -> float:
    return float(value) if isinstance(value, int | float) else default


def _form(fields: dict[str, str], files: dict[str, Any]) -> aiohttp.FormData:
    form = aiohttp.FormData()
    for name, value in fields.items():
        form.add_field(name, value)
    for name, (filename, content, mime_type) in files.items():
        form.add_field(name, content, filename=filename, content_type=mime_type)
    return form


