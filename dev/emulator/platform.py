"""State of the local LINE platform: users, reply tokens, deliveries, quota, content, faults
(its rich menus are in dev/emulator/rich_menus.py)."""

from __future__ import annotations

import copy
import re
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from dev.emulator.errors import PlatformError
from dev.emulator.rich_menus import RichMenu, RichMenus
from storage.clock import Clock, SystemClock

DEFAULT_CHANNEL_ACCESS_TOKEN = "emulator-channel-access-token"
DEFAULT_QUOTA = 200
DEFAULT_LANGUAGE = "zh-TW"
REPLY_TOKEN_LIFETIME = timedelta(seconds=60)
RETRY_KEY_LIFETIME = timedelta(hours=24)
MAX_RECIPIENTS = 500
# A held request gives up on its own after this long, so a test that forgets to release
# cannot hang a suite; it is far above any client timeout a test would set.
MAX_HOLD_SECONDS = 30.0
CONTENT_CHUNK_BYTES = 64 * 1024
DEFAULT_LOADING_SECONDS = 20
LOADING_SECONDS_STEP = 5

RETRY_KEY_PATTERN = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
# Only these kinds can be quoted later, so only they get a quoteToken back (LINE's rule).
QUOTABLE_MESSAGE_TYPES = frozenset({"text", "textV2", "sticker", "image", "video"})

DEFAULT_FAULT_MESSAGES = {
    400: "Bad Request",
    401: "Authentication failed",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class RequestRecord(NamedTuple):
    method: str
    path: str
    status: int
    retry_key: str | None


@dataclass(frozen=True)
class Delivery:
    """One message as one user received it."""

    kind: str  # reply, push, multicast, broadcast, narrowcast
    to: str
    message: dict[str, Any]
    at: datetime
    sent_message_id: str
    request_id: str


@dataclass(frozen=True)
class LoadingAnimation:
    chat_id: str
    seconds: int
    at: datetime


@dataclass
class Profile:
    user_id: str
    display_name: str
    language: str = DEFAULT_LANGUAGE
    picture_url: str | None = None
    status_message: str | None = None

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "userId": self.user_id,
            "displayName": self.display_name,
            "language": self.language,
        }
        if self.picture_url:
            body["pictureUrl"] = self.picture_url
        if self.status_message:
            body["statusMessage"] = self.status_message
        return body


@dataclass
class Content:
    data: bytes | Path
    content_type: str
    preparing_polls: int

    def chunks(self) -> Iterator[bytes]:
        if isinstance(self.data, bytes):
            for start in range(0, len(self.data), CONTENT_CHUNK_BYTES):
                yield self.data[start : start + CONTENT_CHUNK_BYTES]
            return
        with self.data.open("rb") as stream:
            while chunk := stream.read(CONTENT_CHUNK_BYTES):
                yield chunk

    def size(self) -> int:
        return len(self.data) if isinstance(self.data, bytes) else self.data.stat().st_size


@dataclass(frozen=True)
class _AcceptedRetry:
    at: datetime
    request_id: str
    sent_messages: list[dict[str, str]] | None


@dataclass
class _Fault:
    prefix: str
    status: int
    remaining: int
    body: dict[str, Any] | None


@dataclass
class _Hold:
    prefix: str
    remaining: int
    processed: bool


@dataclass
class HeldRequest:
    """A request the platform keeps unanswered until released, so a client times out."""

    path: str
    processed: bool
    released: threading.Event = field(default_factory=threading.Event)


@dataclass(frozen=True)
class Fault:
    status: int
    body: dict[str, Any]


def new_request_id() -> str:
    return secrets.token_hex(16)


def _new_message_id() -> str:
    # LINE message ids are decimal strings of about 18 digits.
    return str(secrets.randbelow(9 * 10**17) + 10**17)


class Platform(RichMenus):
    """The whole LINE side as one thread-safe object: the HTTP app is only a face on it."""

    def __init__(
        self,
        clock: Clock | None = None,
        *,
        channel_access_token: str = DEFAULT_CHANNEL_ACCESS_TOKEN,
        quota: int = DEFAULT_QUOTA,
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self.channel_access_token = channel_access_token
        self._initial_quota = quota
        self._lock = threading.RLock()
        self._held_changed = threading.Condition(self._lock)
        self._wake = threading.Event()
        self._init_state()

    def _init_state(self) -> None:
        self.quota = self._initial_quota
        self._consumed = 0
        self._latency = 0.0
        self._reply_tokens: dict[str, tuple[str, datetime]] = {}
        self._retry_keys: dict[str, _AcceptedRetry] = {}
        self._deliveries: list[Delivery] = []
        self._requests: list[RequestRecord] = []
        self._users: dict[str, Profile] = {}
        self._contents: dict[str, Content] = {}
        self._rich_menus: dict[str, RichMenu] = {}
        self._user_rich_menus: dict[str, str] = {}
        self._default_rich_menu: str | None = None
        self._aliases: dict[str, str] = {}
        self._loadings: list[LoadingAnimation] = []
        self._faults: list[_Fault] = []
        self._holds: list[_Hold] = []
        self._held: list[HeldRequest] = []

    def reset(self) -> None:
        """Forget everything (and let any held request go); the clock and token stay."""
        self.release_all()
        with self._lock:
            self._init_state()

    # --- people -----------------------------------------------------------------------------

    def register_user(
        self,
        user_id: str,
        display_name: str,
        *,
        language: str = DEFAULT_LANGUAGE,
        picture_url: str | None = None,
        status_message: str | None = None,
    ) -> None:
        with self._lock:
            self._users[user_id] = Profile(
                user_id, display_name, language, picture_url, status_message
            )

    def profile(self, user_id: str) -> dict[str, Any]:
        with self._lock:
            profile = self._users.get(user_id)
            if profile is None:
                raise PlatformError(404, "Not found")
            return profile.as_json()

    @property
    def user_ids(self) -> list[str]:
        with self._lock:
            return list(self._users)

    # --- reply tokens -------------------------------------------------------------------------

    def issue_reply_token(self, user_id: str) -> str:
        token = secrets.token_hex(16)
        with self._lock:
            self._reply_tokens[token] = (user_id, self.clock.now())
        return token

    def _take_reply_token(self, token: str) -> str:
        with self._lock:
            entry = self._reply_tokens.pop(token, None)
            if entry is None:
                raise PlatformError(400, "Invalid reply token")
            user_id, issued = entry
            if self.clock.now() - issued > REPLY_TOKEN_LIFETIME:
                raise PlatformError(400, "Invalid reply token")
            return user_id

    # --- sending ------------------------------------------------------------------------------

    def reply(
        self, reply_token: str, messages: list[dict[str, Any]], request_id: str
    ) -> dict[str, Any]:
        with self._lock:
            user_id = self._take_reply_token(reply_token)
            sent = self._deliver("reply", [user_id], messages, request_id)
            return {"sentMessages": sent}

    def push(
        self,
        to: str,
        messages: list[dict[str, Any]],
        request_id: str,
        retry_key: str | None = None,
    ) -> dict[str, Any]:
        with self._lock:
            self._check_retry_key(retry_key)
            self._charge(1)
            sent = self._deliver("push", [to], messages, request_id)
            self._accept_retry_key(retry_key, request_id, sent)
            return {"sentMessages": sent}

    def multicast(
        self,
        to: list[str],
        messages: list[dict[str, Any]],
        request_id: str,
        retry_key: str | None = None,
    ) -> dict[str, Any]:
        recipients = list(dict.fromkeys(to))
        if not 1 <= len(recipients) <= MAX_RECIPIENTS:
            raise PlatformError(
                400,
                "The request body has 1 error(s)",
                [{"message": f"Size must be between 1 and {MAX_RECIPIENTS}", "property": "to"}],
            )
        return self._send_to_many("multicast", recipients, messages, request_id, retry_key)

    def broadcast(
        self, messages: list[dict[str, Any]], request_id: str, retry_key: str | None = None
    ) -> dict[str, Any]:
        return self._send_to_many("broadcast", self.user_ids, messages, request_id, retry_key)

    def narrowcast(
        self, messages: list[dict[str, Any]], request_id: str, retry_key: str | None = None
    ) -> dict[str, Any]:
        # Audience filters are not emulated: every registered user receives it, which is the
        # most it could ever cost.
        return self._send_to_many("narrowcast", self.user_ids, messages, request_id, retry_key)

    def _send_to_many(
        self,
        kind: str,
        recipients: list[str],
        messages: list[dict[str, Any]],
        request_id: str,
        retry_key: str | None,
    ) -> dict[str, Any]:
        with self._lock:
            self._check_retry_key(retry_key)
            self._charge(len(recipients))
            self._deliver(kind, recipients, messages, request_id)
            self._accept_retry_key(retry_key, request_id, None)
            return {}

    def _charge(self, recipients: int) -> None:
        if self._consumed + recipients > self.quota:
            raise PlatformError(429, "You have reached your monthly limit.")
        self._consumed += recipients

    def _deliver(
        self, kind: str, recipients: list[str], messages: list[dict[str, Any]], request_id: str
    ) -> list[dict[str, str]]:
        now = self.clock.now()
        sent: list[dict[str, str]] = []
        for message in messages:
            message_id = _new_message_id()
            entry = {"id": message_id}
            if message.get("type") in QUOTABLE_MESSAGE_TYPES:
                entry["quoteToken"] = secrets.token_urlsafe(24)
            sent.append(entry)
            for user_id in recipients:
                self._deliveries.append(
                    Delivery(kind, user_id, copy.deepcopy(message), now, message_id, request_id)
                )
        return sent

    def _check_retry_key(self, retry_key: str | None) -> None:
        if retry_key is None:
            return
        if not RETRY_KEY_PATTERN.match(retry_key):
            raise PlatformError(400, "The retry key is invalid. It must be a UUID.")
        accepted = self._retry_keys.get(retry_key)
        if accepted is None:
            return
        if self.clock.now() - accepted.at > RETRY_KEY_LIFETIME:
            del self._retry_keys[retry_key]
            return
        extra = {"sentMessages": accepted.sent_messages} if accepted.sent_messages else None
        raise PlatformError(
            409,
            "The retry key is already accepted",
            extra=extra,
            headers={"X-Line-Accepted-Request-Id": accepted.request_id},
        )

    def _accept_retry_key(
        self, retry_key: str | None, request_id: str, sent: list[dict[str, str]] | None
    ) -> None:
        if retry_key is not None:
            self._retry_keys[retry_key] = _AcceptedRetry(self.clock.now(), request_id, sent)

    # --- quota ----------------------------------------------------------------------------------

    def pushes_counted(self) -> int:
        """Messages consumed from the monthly quota (push, multicast, broadcast, per recipient)."""
        with self._lock:
            return self._consumed

    def quota_json(self) -> dict[str, Any]:
        with self._lock:
            return {"type": "limited", "value": self.quota}

    def consumption_json(self) -> dict[str, Any]:
        return {"totalUsage": self.pushes_counted()}

    # --- inspection -------------------------------------------------------------------------------

    def messages_for(self, user_id: str) -> list[dict[str, Any]]:
        """Every message the user received, oldest first, each with its `kind` added."""
        with self._lock:
            return [
                {**copy.deepcopy(d.message), "kind": d.kind}
                for d in self._deliveries
                if d.to == user_id
            ]

    @property
    def deliveries(self) -> list[Delivery]:
        with self._lock:
            return list(self._deliveries)

    @property
    def requests(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._requests)

    def log_request(self, method: str, path: str, status: int, retry_key: str | None) -> None:
        with self._lock:
            self._requests.append(RequestRecord(method, path, status, retry_key))

    @property
    def loading_animations(self) -> list[LoadingAnimation]:
        with self._lock:
            return list(self._loadings)

    # --- loading animation ----------------------------------------------------------------------

    def start_loading(self, chat_id: str, seconds: int | None) -> None:
        seconds = DEFAULT_LOADING_SECONDS if seconds is None else seconds
        if seconds % LOADING_SECONDS_STEP:
            raise PlatformError(
                400,
                "The request body has 1 error(s)",
                [
                    {
                        "message": f"Must be a multiple of {LOADING_SECONDS_STEP}",
                        "property": "loadingSeconds",
                    }
                ],
            )
        with self._lock:
            self._loadings.append(LoadingAnimation(chat_id, seconds, self.clock.now()))

    # --- content users sent -----------------------------------------------------------------------

    def register_content(
        self,
        message_id: str,
        data: bytes | str | Path,
        content_type: str,
        preparing_polls: int = 0,
    ) -> None:
        """Bytes (or a file streamed from disk) the bot can download for a message id.

        `preparing_polls` is how many calls (content or transcoding, either counts) see the
        content as still being prepared: LINE answers 202 / "processing" to those.
        """
        stored: bytes | Path = data if isinstance(data, bytes) else Path(data)
        with self._lock:
            self._contents[message_id] = Content(stored, content_type, preparing_polls)

    def remove_content(self, message_id: str) -> None:
        """LINE deletes content after a while; later downloads answer 404."""
        with self._lock:
            self._contents.pop(message_id, None)

    def poll_content(self, message_id: str) -> Content | None:
        """The content if ready, None if still preparing (this call counts as one poll)."""
        with self._lock:
            content = self._contents.get(message_id)
            if content is None:
                raise PlatformError(404, "Not found")
            if content.preparing_polls > 0:
                content.preparing_polls -= 1
                return None
            return content

    # --- fault injection --------------------------------------------------------------------------

    def fail_next(
        self,
        path_prefix: str,
        status: int,
        times: int = 1,
        body: dict[str, Any] | None = None,
    ) -> None:
        """The next `times` requests under `path_prefix` answer `status` and do nothing else."""
        with self._lock:
            self._faults.append(_Fault(path_prefix, status, times, body))

    def take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if path.startswith(fault.prefix) and fault.remaining > 0:
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    message = DEFAULT_FAULT_MESSAGES.get(fault.status, "Error")
                    return Fault(fault.status, fault.body or {"message": message})
            return None

    def set_latency(self, seconds: float) -> None:
        """Every request waits this long in the server thread first (benchmarks)."""
        with self._lock:
            self._latency = max(0.0, seconds)

    def wait_latency(self) -> None:
        with self._lock:
            latency, wake = self._latency, self._wake
        if latency:
            wake.wait(latency)

    def timeout_next(self, path_prefix: str, times: int = 1, *, processed: bool = False) -> None:
        """Hold the next `times` requests under `path_prefix` until `release_held()`.

        processed=False: the platform never acted on the request (the client should retry).
        processed=True: the platform acted and only the answer is late, the case retry keys
        exist for: a retry with the same key then meets 409.
        """
        with self._lock:
            self._holds.append(_Hold(path_prefix, times, processed))

    def take_hold(self, path: str) -> HeldRequest | None:
        with self._lock:
            for hold in self._holds:
                if path.startswith(hold.prefix) and hold.remaining > 0:
                    hold.remaining -= 1
                    if hold.remaining == 0:
                        self._holds.remove(hold)
                    return HeldRequest(path, hold.processed)
            return None

    def hold(self, held: HeldRequest) -> None:
        """Block the calling server thread until released (or MAX_HOLD_SECONDS)."""
        with self._held_changed:
            self._held.append(held)
            self._held_changed.notify_all()
        held.released.wait(MAX_HOLD_SECONDS)
        with self._held_changed:
            if held in self._held:
                self._held.remove(held)

    def wait_for_held(self, count: int = 1, timeout: float = 5.0) -> bool:
        """Wait until at least `count` requests are being held; lets a test sync without sleep."""
        with self._held_changed:
            return self._held_changed.wait_for(lambda: len(self._held) >= count, timeout)

    def held_count(self) -> int:
        with self._lock:
            return len(self._held)

    def release_held(self) -> None:
        with self._lock:
            held, self._held = self._held, []
        for request in held:
            request.released.set()

    def release_all(self) -> None:
        """Let every held or latency-delayed request go (server stop, reset)."""
        with self._lock:
            wake, self._wake = self._wake, threading.Event()
            self._holds.clear()
        wake.set()
        self.release_held()
