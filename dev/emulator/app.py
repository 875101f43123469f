"""The emulator's HTTP face: LINE's Messaging API paths (api.line.me and api-data.line.me) over a Platform."""

from __future__ import annotations

import json
import logging
from typing import Any, Protocol

from flask import Flask, Response, g, jsonify, request
from linebot.v3.messaging import (
    BroadcastRequest,
    CreateRichMenuAliasRequest,
    MulticastRequest,
    NarrowcastRequest,
    PushMessageRequest,
    ReplyMessageRequest,
    RichMenuBulkLinkRequest,
    RichMenuBulkUnlinkRequest,
    RichMenuRequest,
    ShowLoadingAnimationRequest,
    UpdateRichMenuAliasRequest,
    ValidateMessageRequest,
)
from pydantic.v1 import ValidationError
from werkzeug.exceptions import HTTPException

from dev.emulator.platform import Platform, PlatformError, new_request_id
from flows.line_limits import find_violations

logger = logging.getLogger(__name__)

VALIDATED_KINDS = frozenset({"reply", "push", "multicast", "broadcast", "narrowcast"})
AUTH_FAILED = (
    "Authentication failed. Confirm that the access token in the authorization header is valid."
)


class _RequestModel(Protocol):
    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> Any: ...


def create_app(platform: Platform) -> Flask:
    app = Flask("dev.emulator")
    app.extensions["line_platform"] = platform
    _install_gate(app, platform)
    _install_errors(app)
    _install_messaging(app, platform)
    _install_content(app, platform)
    _install_rich_menus(app, platform)
    _install_console(app, platform)
    return app


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    response = jsonify(body)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _error(error: PlatformError) -> Response:
    return _json(error.body(), error.status, error.headers)


def _property(location: tuple[Any, ...]) -> str:
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def _request_body(model: type[_RequestModel]) -> dict[str, Any]:
    """The JSON body after the SDK's own model and LINE's documented message limits accept it."""
    try:
        body = json.loads(request.get_data())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PlatformError(400, "The request body could not be parsed as JSON") from error
    if not isinstance(body, dict):
        raise PlatformError(400, "The request body must be a JSON object")
    messages = body.get("messages")
    if isinstance(messages, list):
        violations = find_violations(messages)
        if violations:
            raise PlatformError(
                400,
                f"The request body has {len(violations)} error(s)",
                [{"message": v.message, "property": v.property} for v in violations],
            )
    try:
        model.from_dict(body)
    except ValidationError as error:
        details = [
            {"message": str(item["msg"]), "property": _property(tuple(item["loc"]))}
            for item in error.errors()
        ]
        raise PlatformError(
            400, f"The request body has {len(details)} error(s)", details
        ) from error
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise PlatformError(
            400, "The request body has 1 error(s)", [{"message": str(error)}]
        ) from error
    return body


def _install_gate(app: Flask, platform: Platform) -> None:
    @app.before_request
    def gate() -> Response | None:
        g.request_id = new_request_id()
        g.retry_key = request.headers.get("X-Line-Retry-Key")
        g.held = None
        platform.wait_latency()
        if request.headers.get("Authorization") != f"Bearer {platform.channel_access_token}":
            return _error(PlatformError(401, AUTH_FAILED))
        fault = platform.take_fault(request.path)
        if fault is not None:
            return _json(fault.body, fault.status)
        held = platform.take_hold(request.path)
        if held is None:
            return None
        if held.processed:
            g.held = held  # answered late, in after_request, once the work is done
            return None
        platform.hold(held)
        return _json({"message": "Held by the emulator and never processed"}, 504)

    @app.after_request
    def finish(response: Response) -> Response:
        held = g.get("held")
        if held is not None:
            platform.hold(held)
        response.headers["X-Line-Request-Id"] = g.get("request_id") or new_request_id()
        platform.log_request(request.method, request.path, response.status_code, g.get("retry_key"))
        return response


def _install_errors(app: Flask) -> None:
    @app.errorhandler(PlatformError)
    def platform_error(error: PlatformError) -> Response:
        return _error(error)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        return _json({"message": error.name}, error.code or 500)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        logger.exception("emulator failed on %s %s", request.method, request.path)
        return _json({"message": "Internal Server Error"}, 500)


def _install_messaging(app: Flask, platform: Platform) -> None:
    @app.post("/v2/bot/message/reply")
    def reply() -> Response:
        body = _request_body(ReplyMessageRequest)
        return _json(platform.reply(body["replyToken"], body["messages"], g.request_id))

    @app.post("/v2/bot/message/push")
    def push() -> Response:
        body = _request_body(PushMessageRequest)
        return _json(platform.push(body["to"], body["messages"], g.request_id, g.retry_key))

    @app.post("/v2/bot/message/multicast")
    def multicast() -> Response:
        body = _request_body(MulticastRequest)
        return _json(platform.multicast(body["to"], body["messages"], g.request_id, g.retry_key))

    @app.post("/v2/bot/message/broadcast")
    def broadcast() -> Response:
        body = _request_body(BroadcastRequest)
        return _json(platform.broadcast(body["messages"], g.request_id, g.retry_key))

    @app.post("/v2/bot/message/narrowcast")
    def narrowcast() -> Response:
        body = _request_body(NarrowcastRequest)
        return _json(platform.narrowcast(body["messages"], g.request_id, g.retry_key), 202)

    @app.post("/v2/bot/message/validate/<kind>")
    def validate(kind: str) -> Response:
        if kind not in VALIDATED_KINDS:
            raise PlatformError(404, "Not found")
        _request_body(ValidateMessageRequest)
        return _json({})

    @app.get("/v2/bot/message/quota")
    def quota() -> Response:
        return _json(platform.quota_json())

    @app.get("/v2/bot/message/quota/consumption")
    def consumption() -> Response:
        return _json(platform.consumption_json())

    @app.get("/v2/bot/profile/<user_id>")
    def profile(user_id: str) -> Response:
        return _json(platform.profile(user_id))

    @app.post("/v2/bot/chat/loading/start")
    def loading() -> Response:
        body = _request_body(ShowLoadingAnimationRequest)
        platform.start_loading(body["chatId"], body.get("loadingSeconds"))
        return _json({}, 202)


def _install_content(app: Flask, platform: Platform) -> None:
    @app.get("/v2/bot/message/<message_id>/content")
    def content(message_id: str) -> Response:
        ready = platform.poll_content(message_id)
        if ready is None:
            return Response(b"", status=202)
        return Response(
            ready.chunks(),
            mimetype=ready.content_type,
            headers={"Content-Length": str(ready.size())},
            direct_passthrough=True,
        )

    @app.get("/v2/bot/message/<message_id>/content/transcoding")
    def transcoding(message_id: str) -> Response:
        ready = platform.poll_content(message_id)
        return _json({"status": "processing" if ready is None else "succeeded"})


def _install_rich_menus(app: Flask, platform: Platform) -> None:
    @app.post("/v2/bot/richmenu")
    def create_rich_menu() -> Response:
        body = _request_body(RichMenuRequest)
        return _json({"richMenuId": platform.create_rich_menu(body)})

    @app.post("/v2/bot/richmenu/validate")
    def validate_rich_menu() -> Response:
        _request_body(RichMenuRequest)
        return _json({})

    @app.get("/v2/bot/richmenu/list")
    def rich_menu_list() -> Response:
        return _json({"richmenus": platform.rich_menu_list()})

    @app.get("/v2/bot/richmenu/<rich_menu_id>")
    def get_rich_menu(rich_menu_id: str) -> Response:
        return _json(platform.rich_menu_json(rich_menu_id))

    @app.delete("/v2/bot/richmenu/<rich_menu_id>")
    def delete_rich_menu(rich_menu_id: str) -> Response:
        platform.delete_rich_menu(rich_menu_id)
        return _json({})

    @app.post("/v2/bot/richmenu/<rich_menu_id>/content")
    def upload_rich_menu_image(rich_menu_id: str) -> Response:
        platform.set_rich_menu_image(
            rich_menu_id, request.get_data(), request.headers.get("Content-Type", "")
        )
        return _json({})

    @app.get("/v2/bot/richmenu/<rich_menu_id>/content")
    def download_rich_menu_image(rich_menu_id: str) -> Response:
        data, content_type = platform.rich_menu_image(rich_menu_id)
        return Response(data, mimetype=content_type)

    @app.post("/v2/bot/user/<user_id>/richmenu/<rich_menu_id>")
    def link(user_id: str, rich_menu_id: str) -> Response:
        platform.link_rich_menu(user_id, rich_menu_id)
        return _json({})

    @app.get("/v2/bot/user/<user_id>/richmenu")
    def linked(user_id: str) -> Response:
        rich_menu_id = platform.linked_rich_menu(user_id)
        if rich_menu_id is None:
            raise PlatformError(404, "the user has no richmenu")
        return _json({"richMenuId": rich_menu_id})

    @app.delete("/v2/bot/user/<user_id>/richmenu")
    def unlink(user_id: str) -> Response:
        platform.unlink_rich_menu(user_id)
        return _json({})

    @app.post("/v2/bot/richmenu/bulk/link")
    def bulk_link() -> Response:
        body = _request_body(RichMenuBulkLinkRequest)
        platform.link_rich_menu_to_users(body["userIds"], body["richMenuId"])
        return _json({}, 202)

    @app.post("/v2/bot/richmenu/bulk/unlink")
    def bulk_unlink() -> Response:
        body = _request_body(RichMenuBulkUnlinkRequest)
        platform.unlink_rich_menus(body["userIds"])
        return _json({}, 202)

    @app.post("/v2/bot/user/all/richmenu/<rich_menu_id>")
    def set_default(rich_menu_id: str) -> Response:
        platform.set_default_rich_menu(rich_menu_id)
        return _json({})

    @app.get("/v2/bot/user/all/richmenu")
    def get_default() -> Response:
        rich_menu_id = platform.default_rich_menu
        if rich_menu_id is None:
            raise PlatformError(404, "no default richmenu")
        return _json({"richMenuId": rich_menu_id})

    @app.delete("/v2/bot/user/all/richmenu")
    def cancel_default() -> Response:
        platform.cancel_default_rich_menu()
        return _json({})

    @app.post("/v2/bot/richmenu/alias")
    def create_alias() -> Response:
        body = _request_body(CreateRichMenuAliasRequest)
        platform.create_alias(body["richMenuAliasId"], body["richMenuId"])
        return _json({})

    @app.get("/v2/bot/richmenu/alias/list")
    def alias_list() -> Response:
        return _json({"aliases": platform.alias_list()})

    @app.get("/v2/bot/richmenu/alias/<alias_id>")
    def get_alias(alias_id: str) -> Response:
        return _json(platform.alias_json(alias_id))

    @app.post("/v2/bot/richmenu/alias/<alias_id>")
    def update_alias(alias_id: str) -> Response:
        body = _request_body(UpdateRichMenuAliasRequest)
        platform.update_alias(alias_id, body["richMenuId"])
        return _json({})

    @app.delete("/v2/bot/richmenu/alias/<alias_id>")
    def delete_alias(alias_id: str) -> Response:
        platform.delete_alias(alias_id)
        return _json({})


def _install_console(app: Flask, platform: Platform) -> None:
    """Paths for the terminal chat (`portfolio chat`): not LINE's, so under /_emulator/."""

    @app.get("/_emulator/users/<user_id>/messages")
    def console_messages(user_id: str) -> Response:
        since = request.args.get("since", default=0, type=int)
        messages = platform.messages_for(user_id)
        return _json({"messages": messages[since:], "count": len(messages)})

    @app.post("/_emulator/users/<user_id>/reply-token")
    def console_reply_token(user_id: str) -> Response:
        return _json({"replyToken": platform.issue_reply_token(user_id)})

    @app.post("/_emulator/content/<message_id>")
    def console_content(message_id: str) -> Response:
        ctype = request.headers.get("Content-Type", "application/octet-stream")
        platform.register_content(message_id, request.get_data(), ctype)
        return _json({"messageId": message_id})
