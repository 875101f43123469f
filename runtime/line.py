"""The LINE seam: the one place that talks to LINE's Messaging API, through line-bot-sdk v3."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import urllib3
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    Configuration,
    MessagingApi,
    MessagingApiBlob,
    MulticastRequest,
    PushMessageRequest,
    ReplyMessageRequest,
    ShowLoadingAnimationRequest,
)

log = logging.getLogger(__name__)

LINE_API_HOST = "https://api.line.me"
LINE_DATA_HOST = "https://api-data.line.me"
CONTENT_CHUNK = 64 * 1024
# Every role's rich menu is reached through the alias MENU_ALIAS_PREFIX + role.
MENU_ALIAS_PREFIX = "portfolio-"
MENU_REQUEST_TIMEOUT: tuple[float, float] = (3.05, 10.0)


@dataclass(frozen=True)
class SendOutcome:
    """What LINE said about one send: sent, retry later, or never (dead)."""

    status: str  # "sent", "retry", "dead", "reply_token_invalid"
    http_status: int | None = None
    request_id: str | None = None
    error: str | None = None


class TransientLineError(Exception):
    pass


class LineGateway:
    """Owns the SDK clients; every call carries a timeout and never retries by itself."""

    def __init__(
        self,
        access_token: str,
        base_url: str | None = None,
        timeout: float = 10.0,
        connections: int = 16,
    ) -> None:
        self.timeout = timeout
        api_config = Configuration(host=base_url or LINE_API_HOST, access_token=access_token)
        data_config = Configuration(host=base_url or LINE_DATA_HOST, access_token=access_token)
        # Retrying is ours to decide (with the same retry key); urllib3 must not do it behind us.
        api_config.retries = urllib3.Retry(total=0, raise_on_status=False)
        data_config.retries = urllib3.Retry(total=0, raise_on_status=False)
        # Kept open for every sending thread, so that no send pays for a new connection (a TCP
        # and TLS handshake with LINE is two more round trips).
        api_config.connection_pool_maxsize = connections
        data_config.connection_pool_maxsize = connections
        self._api_client = ApiClient(api_config)
        self._data_client = ApiClient(data_config)
        self.api = MessagingApi(self._api_client)
        self.blob = MessagingApiBlob(self._data_client)

    def close(self) -> None:
        self._api_client.close()
        self._data_client.close()

    # --- sending -------------------------------------------------------------------------

    def reply(self, reply_token: str, messages: list[dict[str, Any]]) -> SendOutcome:
        request = ReplyMessageRequest.from_dict({"replyToken": reply_token, "messages": messages})
        return self._call(
            lambda: self.api.reply_message_with_http_info(request, _request_timeout=self.timeout),
            reply=True,
        )

    def prepare(self, messages: list[dict[str, Any]]) -> None:
        """Build the SDK's request models for these messages without sending anything (their
        first use in a process is slow; a worker does it before its first job)."""
        ReplyMessageRequest.from_dict({"replyToken": "prepare", "messages": messages})
        PushMessageRequest.from_dict({"to": "U" + "0" * 32, "messages": messages})

    def push(self, to: str, messages: list[dict[str, Any]], retry_key: str) -> SendOutcome:
        request = PushMessageRequest.from_dict({"to": to, "messages": messages})
        return self._call(
            lambda: self.api.push_message_with_http_info(
                request, x_line_retry_key=retry_key, _request_timeout=self.timeout
            )
        )

    def multicast(
        self, to: list[str], messages: list[dict[str, Any]], retry_key: str
    ) -> SendOutcome:
        request = MulticastRequest.from_dict({"to": to, "messages": messages})
        return self._call(
            lambda: self.api.multicast_with_http_info(
                request, x_line_retry_key=retry_key, _request_timeout=self.timeout
            )
        )

    def _call(self, send: Callable[[], Any], reply: bool = False) -> SendOutcome:
        try:
            response = send()
        except ApiException as exc:
            return classify_api_error(exc, reply=reply)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            return SendOutcome("retry", error=f"{type(exc).__name__}: network or timeout")
        headers = response.headers or {}
        return SendOutcome(
            "sent", http_status=response.status_code, request_id=headers.get("x-line-request-id")
        )

    # --- other calls ---------------------------------------------------------------------

    def link_menu(self, user_id: str, menu: str | None) -> SendOutcome:
        """Point a user at their role's rich menu (found by alias), or unlink it."""

        def call() -> Any:
            if menu is None:
                unlink_menu(self.api, user_id)
            else:
                link_menu_alias(self.api, user_id, MENU_ALIAS_PREFIX + menu)
            return _Done()

        try:
            outcome = self._call(call)
        except RichMenuMissing:
            # No menus synced yet (`portfolio richmenu sync`): keywords still work; no retry.
            log.warning("rich menu %s is not synced; user left on the default menu", menu)
            return SendOutcome("sent", 404)
        if outcome.status == "dead" and outcome.http_status == 404:
            return SendOutcome("sent", 404, outcome.request_id, outcome.error)
        return outcome

    def show_loading(self, user_id: str, seconds: int = 20) -> None:
        """The 'working' animation while slow work runs; losing it is harmless."""
        try:
            self.api.show_loading_animation(
                ShowLoadingAnimationRequest(chatId=user_id, loadingSeconds=seconds),
                _request_timeout=self.timeout,
            )
        except (ApiException, urllib3.exceptions.HTTPError, OSError):
            log.info("loading animation not shown")

    def profile_language(self, user_id: str) -> str | None:
        try:
            return self.api.get_profile(user_id, _request_timeout=self.timeout).language
        except (ApiException, urllib3.exceptions.HTTPError, OSError):
            return None

    def quota(self) -> tuple[int | None, int | None]:
        """LINE's own monthly quota and usage, when the endpoint answers."""
        try:
            limit = self.api.get_message_quota(_request_timeout=self.timeout)
            used = self.api.get_message_quota_consumption(_request_timeout=self.timeout)
            return (limit.value if limit.type == "limited" else None), used.total_usage
        except (ApiException, urllib3.exceptions.HTTPError, OSError):
            return None, None

    @contextmanager
    def content(self, message_id: str) -> Iterator[tuple[int, str | None, Iterator[bytes]]]:
        """Stream content a user sent: (HTTP status, type, chunks); 202 = still preparing."""
        # The SDK's generated method reads the whole body into memory; its REST client can stream.
        config = self._data_client.configuration
        response = self._data_client.rest_client.request(
            "GET",
            f"{config.host}/v2/bot/message/{quote(message_id, safe='')}/content",
            headers={"Authorization": f"Bearer {config.access_token}"},
            _preload_content=False,
            _request_timeout=max(self.timeout, 60.0),
        )
        try:
            status = response.status
            ctype = response.headers.get("Content-Type")
            yield status, ctype, response.stream(CONTENT_CHUNK)
        finally:
            response.release_conn()

    def content_ready(self, message_id: str) -> str:
        """LINE's transcoding status for video/audio: processing, succeeded or failed."""
        result = self.blob.get_message_content_transcoding_by_message_id(
            message_id, _request_timeout=self.timeout
        )
        return str(result.status)


class RichMenuMissing(LookupError):
    pass


def menu_alias_target(api: MessagingApi, alias: str) -> str | None:
    """The rich menu an alias points at, or None when LINE has no such alias."""
    try:
        response = api.get_rich_menu_alias(alias, _request_timeout=MENU_REQUEST_TIMEOUT)
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise
    return str(response.rich_menu_id)


def link_menu_alias(api: MessagingApi, user_id: str, alias: str) -> None:
    """Show a user the menu an alias points at."""
    menu_id = menu_alias_target(api, alias)
    if menu_id is None:
        raise RichMenuMissing(f"rich menu alias {alias} does not exist; run the menu sync first")
    api.link_rich_menu_id_to_user(user_id, menu_id, _request_timeout=MENU_REQUEST_TIMEOUT)


def unlink_menu(api: MessagingApi, user_id: str) -> None:
    """Take a user's per-user menu away (e.g. after unbinding their account)."""
    api.unlink_rich_menu_id_from_user(user_id, _request_timeout=MENU_REQUEST_TIMEOUT)


class _Done:
    status_code = 200
    headers: dict[str, str] = {}


def classify_api_error(exc: ApiException, reply: bool = False) -> SendOutcome:
    status = exc.status or 0
    headers = exc.headers or {}
    request_id = headers.get("x-line-request-id") if hasattr(headers, "get") else None
    body = _error_body(exc)
    message = body.get("message", "") if isinstance(body, dict) else ""
    detail = _one_line(body)
    if status == 409 and "already accepted" in message.lower():
        return SendOutcome("sent", status, request_id)
    if status == 429 or status >= 500:
        return SendOutcome("retry", status, request_id, detail)
    if reply and status == 400 and "reply token" in message.lower():
        return SendOutcome("reply_token_invalid", status, request_id, detail)
    return SendOutcome("dead", status, request_id, detail)


def _error_body(exc: ApiException) -> Any:
    try:
        return json.loads(exc.body) if exc.body else {}
    except (ValueError, TypeError):
        return {"message": str(exc.body)[:200]}


def _one_line(body: Any) -> str:
    text = json.dumps(body, ensure_ascii=False) if not isinstance(body, str) else body
    return " ".join(text.split())[:1000]
