"""The LINE emulator, driven through the real line-bot-sdk client, and the shared message-limit check."""

from __future__ import annotations

import io
import json
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import urllib3
from linebot.v3 import SignatureValidator, WebhookParser
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    BroadcastRequest,
    Configuration,
    CreateRichMenuAliasRequest,
    FlexBubble,
    FlexMessage,
    MessagingApi,
    MessagingApiBlob,
    MulticastRequest,
    PostbackAction,
    PushMessageRequest,
    QuickReply,
    QuickReplyItem,
    ReplyMessageRequest,
    RichMenuArea,
    RichMenuBounds,
    RichMenuBulkLinkRequest,
    RichMenuRequest,
    RichMenuSize,
    ShowLoadingAnimationRequest,
    TextMessage,
    UpdateRichMenuAliasRequest,
    ValidateMessageRequest,
)
from linebot.v3.webhooks import (
    AudioMessageContent,
    FileMessageContent,
    FollowEvent,
    ImageMessageContent,
    MessageEvent,
    PostbackEvent,
    TextMessageContent,
    UnfollowEvent,
    VideoMessageContent,
)
from PIL import Image
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from dev.emulator import EmulatorServer, Platform
from dev.emulator import events as ev
from flows import line_limits
from flows.line_limits import check_messages, find_violations
from storage.clock import UTC, FrozenClock

START = datetime(2027, 3, 1, 1, 0, tzinfo=UTC)
ALICE = ev.user_id_for("alice")
BOB = ev.user_id_for("bob")
SECRET = "test-channel-secret"
SAMPLE = Path(__file__).resolve().parents[2] / "shared/line-reference/sdk-webhook-sample.json"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def line(clock: FrozenClock) -> Iterator[EmulatorServer]:
    with EmulatorServer(Platform(clock)) as server:
        yield server


@pytest.fixture
def platform(line: EmulatorServer) -> Platform:
    return line.platform


@pytest.fixture
def client(line: EmulatorServer) -> Iterator[ApiClient]:
    with ApiClient(line.configuration()) as api_client:
        yield api_client


@pytest.fixture
def api(client: ApiClient) -> MessagingApi:
    return MessagingApi(client)


@pytest.fixture
def blob(client: ApiClient) -> MessagingApiBlob:
    return MessagingApiBlob(client)


def text(value: str = "你好") -> TextMessage:
    return TextMessage(text=value)


def push(api: MessagingApi, to: str = ALICE, *, retry_key: str | None = None, **kw: Any) -> Any:
    return api.push_message(
        PushMessageRequest(to=to, messages=[text()]), x_line_retry_key=retry_key, **kw
    )


def error_body(error: ApiException) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(error.body)
    return body


def png(width: int = 2500, height: int = 843) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buffer, "PNG")
    return buffer.getvalue()


# --- reply ------------------------------------------------------------------------------------


def test_reply_with_fresh_token_is_delivered_and_free(
    api: MessagingApi, platform: Platform
) -> None:
    token = platform.issue_reply_token(ALICE)
    response = api.reply_message(ReplyMessageRequest(replyToken=token, messages=[text("收到")]))

    assert len(response.sent_messages) == 1
    assert response.sent_messages[0].quote_token
    assert platform.messages_for(ALICE) == [{"type": "text", "text": "收到", "kind": "reply"}]
    assert platform.pushes_counted() == 0


def test_reply_token_is_single_use(api: MessagingApi, platform: Platform) -> None:
    token = platform.issue_reply_token(ALICE)
    api.reply_message(ReplyMessageRequest(replyToken=token, messages=[text()]))

    with pytest.raises(ApiException) as raised:
        api.reply_message(ReplyMessageRequest(replyToken=token, messages=[text()]))

    assert raised.value.status == 400
    assert error_body(raised.value) == {"message": "Invalid reply token"}
    assert len(platform.messages_for(ALICE)) == 1


def test_reply_token_expires_after_sixty_seconds(
    api: MessagingApi, platform: Platform, clock: FrozenClock
) -> None:
    on_time = platform.issue_reply_token(ALICE)
    late = platform.issue_reply_token(ALICE)
    clock.advance(seconds=60)
    api.reply_message(ReplyMessageRequest(replyToken=on_time, messages=[text()]))
    clock.advance(seconds=1)

    with pytest.raises(ApiException) as raised:
        api.reply_message(ReplyMessageRequest(replyToken=late, messages=[text()]))

    assert raised.value.status == 400
    assert error_body(raised.value)["message"] == "Invalid reply token"


def test_unknown_reply_token_is_refused(api: MessagingApi) -> None:
    with pytest.raises(ApiException) as raised:
        api.reply_message(ReplyMessageRequest(replyToken="0" * 32, messages=[text()]))
    assert raised.value.status == 400


def test_invalid_reply_does_not_use_up_the_token(api: MessagingApi, platform: Platform) -> None:
    token = platform.issue_reply_token(ALICE)
    with pytest.raises(ApiException):
        api.reply_message(ReplyMessageRequest(replyToken=token, messages=[text("x" * 5001)]))

    api.reply_message(ReplyMessageRequest(replyToken=token, messages=[text()]))
    assert len(platform.messages_for(ALICE)) == 1


# --- push, multicast, quota -----------------------------------------------------------------------


def test_push_is_counted_against_the_quota(api: MessagingApi, platform: Platform) -> None:
    push(api)
    push(api, BOB)

    assert platform.pushes_counted() == 2
    assert api.get_message_quota_consumption().total_usage == 2
    quota = api.get_message_quota()
    assert (quota.type.value, quota.value) == ("limited", 200)
    assert platform.messages_for(ALICE) == [{"type": "text", "text": "你好", "kind": "push"}]


def test_same_retry_key_twice_answers_409_and_sends_once(
    api: MessagingApi, platform: Platform
) -> None:
    key = str(uuid.uuid4())
    first = api.push_message_with_http_info(
        PushMessageRequest(to=ALICE, messages=[text()]), x_line_retry_key=key
    )

    with pytest.raises(ApiException) as raised:
        push(api, retry_key=key)

    assert raised.value.status == 409
    body = error_body(raised.value)
    assert body["message"] == "The retry key is already accepted"
    assert body["sentMessages"][0]["id"] == first.data.sent_messages[0].id
    assert raised.value.headers["X-Line-Accepted-Request-Id"] == first.headers["X-Line-Request-Id"]
    assert len(platform.messages_for(ALICE)) == 1
    assert platform.pushes_counted() == 1
    assert [r.status for r in platform.requests] == [200, 409]
    assert [r.retry_key for r in platform.requests] == [key, key]


def test_retry_key_is_forgotten_after_a_day(
    api: MessagingApi, platform: Platform, clock: FrozenClock
) -> None:
    key = str(uuid.uuid4())
    push(api, retry_key=key)
    clock.advance(hours=24, seconds=1)
    push(api, retry_key=key)
    assert len(platform.messages_for(ALICE)) == 2


def test_retry_key_must_be_a_uuid(api: MessagingApi) -> None:
    with pytest.raises(ApiException) as raised:
        push(api, retry_key="not-a-uuid")
    assert raised.value.status == 400


def test_every_response_carries_a_request_id(api: MessagingApi, platform: Platform) -> None:
    ok = api.get_message_quota_with_http_info()
    with pytest.raises(ApiException) as raised:
        api.get_profile("U-nobody")

    ids = {ok.headers["X-Line-Request-Id"], raised.value.headers["X-Line-Request-Id"]}
    assert len(ids) == 2
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)


def test_push_beyond_the_quota_is_refused_with_429(api: MessagingApi, platform: Platform) -> None:
    platform.quota = 1
    push(api)
    with pytest.raises(ApiException) as raised:
        push(api)
    assert raised.value.status == 429
    assert platform.pushes_counted() == 1


def test_multicast_counts_each_recipient(api: MessagingApi, platform: Platform) -> None:
    carol = ev.user_id_for("carol")
    api.multicast(MulticastRequest(to=[ALICE, BOB, carol], messages=[text("明天截止")]))

    assert platform.pushes_counted() == 3
    assert platform.messages_for(carol) == [
        {"type": "text", "text": "明天截止", "kind": "multicast"}
    ]


def test_multicast_to_501_users_is_refused(api: MessagingApi, platform: Platform) -> None:
    # construct() skips the SDK's own client-side check, as a hand-built body would.
    request = MulticastRequest.construct(
        to=[ev.user_id_for(str(n)) for n in range(501)], messages=[text()]
    )
    with pytest.raises(ApiException) as raised:
        api.multicast(request)

    assert raised.value.status == 400
    assert error_body(raised.value)["details"][0]["property"] == "to"
    assert platform.pushes_counted() == 0


def test_broadcast_reaches_every_registered_user(api: MessagingApi, platform: Platform) -> None:
    platform.register_user(ALICE, "王小明")
    platform.register_user(BOB, "林美華")
    api.broadcast(BroadcastRequest(messages=[text()]))
    assert platform.pushes_counted() == 2
    assert platform.messages_for(BOB)[0]["kind"] == "broadcast"


# --- limits -------------------------------------------------------------------------------------------


def test_over_long_text_is_refused_with_the_limit_named(
    api: MessagingApi, platform: Platform
) -> None:
    with pytest.raises(ApiException) as raised:
        api.push_message(PushMessageRequest(to=ALICE, messages=[text("字" * 5001)]))

    assert raised.value.status == 400
    detail = error_body(raised.value)["details"][0]
    assert detail["property"] == "messages[0].text"
    assert "5000" in detail["message"]
    assert platform.messages_for(ALICE) == []
    assert platform.pushes_counted() == 0


def test_text_length_counts_utf16_units(api: MessagingApi) -> None:
    api.push_message(PushMessageRequest(to=ALICE, messages=[text("😀" * 2500)]))
    with pytest.raises(ApiException):
        api.push_message(PushMessageRequest(to=ALICE, messages=[text("😀" * 2500 + "a")]))


def test_quick_reply_with_14_items_is_refused(api: MessagingApi) -> None:
    items = [
        QuickReplyItem(action=PostbackAction(label=f"選項{n}", data=f"pick={n}")) for n in range(14)
    ]
    message = TextMessage(text="請選擇", quickReply=QuickReply.construct(items=items))

    with pytest.raises(ApiException) as raised:
        api.push_message(PushMessageRequest(to=ALICE, messages=[message]))

    assert raised.value.status == 400
    assert error_body(raised.value)["details"][0]["property"] == "messages[0].quickReply.items"


def test_sdk_model_errors_are_answered_as_400(api: MessagingApi, platform: Platform) -> None:
    request = PushMessageRequest.construct(to=ALICE, messages=[text() for _ in range(6)])
    with pytest.raises(ApiException) as raised:
        api.push_message(request)
    assert raised.value.status == 400
    assert error_body(raised.value)["details"][0]["property"] == "messages"


def test_validate_endpoint_runs_the_same_checks(api: MessagingApi, platform: Platform) -> None:
    api.validate_push(ValidateMessageRequest(messages=[text()]))
    with pytest.raises(ApiException) as raised:
        api.validate_push(ValidateMessageRequest(messages=[text("x" * 5001)]))
    assert raised.value.status == 400
    assert platform.messages_for(ALICE) == []


# --- faults -----------------------------------------------------------------------------------------------


def test_fail_next_answers_500_then_works(api: MessagingApi, platform: Platform) -> None:
    platform.fail_next("/v2/bot/message/push", 500)

    with pytest.raises(ApiException) as raised:
        push(api)
    assert raised.value.status == 500
    push(api)

    assert [r.status for r in platform.requests] == [500, 200]
    assert len(platform.messages_for(ALICE)) == 1
    assert platform.pushes_counted() == 1


def test_fail_next_with_a_custom_body_and_count(api: MessagingApi, platform: Platform) -> None:
    platform.fail_next("/v2/bot/message/", 429, times=2, body={"message": "slow down"})
    for _ in range(2):
        with pytest.raises(ApiException) as raised:
            push(api)
        assert error_body(raised.value) == {"message": "slow down"}
    push(api)


def test_a_timed_out_unprocessed_push_can_be_retried(api: MessagingApi, platform: Platform) -> None:
    platform.timeout_next("/v2/bot/message/push")
    key = str(uuid.uuid4())

    with pytest.raises(urllib3.exceptions.ReadTimeoutError):
        push(api, retry_key=key, _request_timeout=0.2)
    assert platform.wait_for_held(1)
    platform.release_held()
    push(api, retry_key=key)

    assert len(platform.messages_for(ALICE)) == 1


def test_a_timed_out_processed_push_meets_409_on_retry(
    api: MessagingApi, platform: Platform
) -> None:
    platform.timeout_next("/v2/bot/message/push", processed=True)
    key = str(uuid.uuid4())

    with pytest.raises(urllib3.exceptions.ReadTimeoutError):
        push(api, retry_key=key, _request_timeout=0.2)
    with pytest.raises(ApiException) as raised:
        push(api, retry_key=key)
    platform.release_held()

    assert raised.value.status == 409
    assert len(platform.messages_for(ALICE)) == 1


def test_stopping_the_server_releases_held_requests(clock: FrozenClock) -> None:
    server = EmulatorServer(Platform(clock)).start()
    server.platform.timeout_next("/v2/bot/message/quota")
    outcome: list[object] = []

    def call() -> None:
        with ApiClient(server.configuration()) as api_client:
            try:
                MessagingApi(api_client).get_message_quota()
            except (ApiException, urllib3.exceptions.HTTPError) as error:
                outcome.append(error)

    caller = threading.Thread(target=call)
    caller.start()
    assert server.platform.wait_for_held(1)
    server.stop()
    caller.join(5)

    assert not caller.is_alive()
    assert outcome


def test_latency_delays_answers(api: MessagingApi, platform: Platform) -> None:
    platform.set_latency(0.05)
    started = time.monotonic()
    api.get_message_quota()
    assert time.monotonic() - started >= 0.05


def test_wrong_access_token_is_401(line: EmulatorServer) -> None:
    config = Configuration(host=line.base_url, access_token="stolen")
    with ApiClient(config) as api_client, pytest.raises(ApiException) as raised:
        MessagingApi(api_client).get_message_quota()
    assert raised.value.status == 401


def test_reset_forgets_everything(api: MessagingApi, platform: Platform) -> None:
    platform.register_user(ALICE, "王小明")
    push(api)
    platform.reset()
    assert platform.messages_for(ALICE) == []
    assert platform.pushes_counted() == 0
    assert platform.requests == []
    with pytest.raises(ApiException):
        api.get_profile(ALICE)


# --- content, profile, loading ------------------------------------------------------------------------------


def test_content_being_prepared_answers_processing_then_bytes(
    blob: MessagingApiBlob, platform: Platform
) -> None:
    platform.register_content("5001", b"%PDF-1.7 report", "application/pdf", preparing_polls=2)

    statuses = [blob.get_message_content_transcoding_by_message_id("5001").status for _ in range(3)]

    assert statuses == ["processing", "processing", "succeeded"]
    assert bytes(blob.get_message_content("5001")) == b"%PDF-1.7 report"


def test_content_download_answers_202_while_preparing(
    blob: MessagingApiBlob, platform: Platform
) -> None:
    platform.register_content("5002", b"\x89PNG...", "image/png", preparing_polls=1)

    first = blob.get_message_content_with_http_info("5002")
    second = blob.get_message_content_with_http_info("5002")

    assert first.status_code == 202
    assert (second.status_code, bytes(second.data)) == (200, b"\x89PNG...")
    assert second.headers["Content-Type"] == "image/png"


def test_content_streams_from_a_file(
    line: EmulatorServer, blob: MessagingApiBlob, platform: Platform, tmp_path: Path
) -> None:
    payload = bytes(range(256)) * 1024  # several chunks
    source = tmp_path / "video.mp4"
    source.write_bytes(payload)
    platform.register_content("5003", source, "video/mp4")

    assert bytes(blob.get_message_content("5003")) == payload
    # The SDK reads the whole body; a streaming reader must get the same bytes in pieces.
    streamed = urllib3.request(
        "GET",
        f"{line.base_url}/v2/bot/message/5003/content",
        headers={"Authorization": f"Bearer {line.channel_access_token}"},
        preload_content=False,
    )
    assert b"".join(streamed.stream(8192)) == payload
    assert streamed.headers["Content-Length"] == str(len(payload))


def test_unknown_or_removed_content_is_404(blob: MessagingApiBlob, platform: Platform) -> None:
    platform.register_content("5004", b"x", "image/jpeg")
    platform.remove_content("5004")
    for message_id in ("5004", "nope"):
        with pytest.raises(ApiException) as raised:
            blob.get_message_content(message_id)
        assert raised.value.status == 404


def test_profile_of_registered_user(api: MessagingApi, platform: Platform) -> None:
    platform.register_user(ALICE, "王小明")
    profile = api.get_profile(ALICE)
    assert (profile.user_id, profile.display_name, profile.language) == (ALICE, "王小明", "zh-TW")

    with pytest.raises(ApiException) as raised:
        api.get_profile(BOB)
    assert raised.value.status == 404


def test_loading_animation_is_recorded(api: MessagingApi, platform: Platform) -> None:
    response = api.show_loading_animation_with_http_info(
        ShowLoadingAnimationRequest(chatId=ALICE, loadingSeconds=10)
    )
    assert response.status_code == 202
    assert [(a.chat_id, a.seconds, a.at) for a in platform.loading_animations] == [
        (ALICE, 10, START)
    ]

    with pytest.raises(ApiException) as raised:
        api.show_loading_animation(ShowLoadingAnimationRequest(chatId=ALICE, loadingSeconds=7))
    assert raised.value.status == 400


# --- rich menus ------------------------------------------------------------------------------------------------


def rich_menu_request(width: int = 2500, height: int = 843) -> RichMenuRequest:
    return RichMenuRequest(
        size=RichMenuSize(width=width, height=height),
        selected=True,
        name="student",
        chatBarText="學習歷程選單",
        areas=[
            RichMenuArea(
                bounds=RichMenuBounds(x=0, y=0, width=1250, height=843),
                action=PostbackAction(label="上傳成果", data="menu=upload"),
            )
        ],
    )


def test_rich_menu_create_upload_link(
    api: MessagingApi, blob: MessagingApiBlob, platform: Platform
) -> None:
    rich_menu_id = api.create_rich_menu(rich_menu_request()).rich_menu_id
    assert rich_menu_id.startswith("richmenu-")

    with pytest.raises(ApiException) as raised:
        api.link_rich_menu_id_to_user(ALICE, rich_menu_id)
    assert raised.value.status == 400  # no image yet

    image = png()
    blob.set_rich_menu_image(rich_menu_id, image, _headers={"Content-Type": "image/png"})
    assert bytes(blob.get_rich_menu_image(rich_menu_id)) == image

    api.link_rich_menu_id_to_user(ALICE, rich_menu_id)
    assert api.get_rich_menu_id_of_user(ALICE).rich_menu_id == rich_menu_id
    assert platform.linked_rich_menu(ALICE) == rich_menu_id

    stored = api.get_rich_menu(rich_menu_id)
    assert (stored.chat_bar_text, stored.size.width) == ("學習歷程選單", 2500)
    assert [m.rich_menu_id for m in api.get_rich_menu_list().richmenus] == [rich_menu_id]

    api.unlink_rich_menu_id_from_user(ALICE)
    assert platform.linked_rich_menu(ALICE) is None
    with pytest.raises(ApiException) as raised:
        api.get_rich_menu_id_of_user(ALICE)
    assert raised.value.status == 404


def test_rich_menu_default_bulk_and_delete(
    api: MessagingApi, blob: MessagingApiBlob, platform: Platform
) -> None:
    rich_menu_id = api.create_rich_menu(rich_menu_request()).rich_menu_id
    blob.set_rich_menu_image(rich_menu_id, png(), _headers={"Content-Type": "image/png"})
    api.set_default_rich_menu(rich_menu_id)
    assert api.get_default_rich_menu_id().rich_menu_id == rich_menu_id
    api.link_rich_menu_id_to_users(
        RichMenuBulkLinkRequest(richMenuId=rich_menu_id, userIds=[ALICE, BOB])
    )
    assert platform.linked_rich_menu(BOB) == rich_menu_id

    api.delete_rich_menu(rich_menu_id)

    assert platform.linked_rich_menu(BOB) is None
    assert platform.default_rich_menu is None
    with pytest.raises(ApiException) as raised:
        api.get_rich_menu(rich_menu_id)
    assert raised.value.status == 404


def test_rich_menu_image_rules(api: MessagingApi, blob: MessagingApiBlob) -> None:
    rich_menu_id = api.create_rich_menu(rich_menu_request()).rich_menu_id
    refusals = [
        (png(), "image/gif", 415),
        (png(700, 400), "image/png", 400),
        (b"not an image", "image/png", 400),
    ]
    for data, content_type, status in refusals:
        with pytest.raises(ApiException) as raised:
            blob.set_rich_menu_image(rich_menu_id, data, _headers={"Content-Type": content_type})
        assert raised.value.status == status

    blob.set_rich_menu_image(rich_menu_id, png(), _headers={"Content-Type": "image/png"})
    with pytest.raises(ApiException) as raised:
        blob.set_rich_menu_image(rich_menu_id, png(), _headers={"Content-Type": "image/png"})
    assert raised.value.status == 400  # only one image per rich menu


def test_rich_menu_size_rules(api: MessagingApi) -> None:
    with pytest.raises(ApiException) as raised:
        api.create_rich_menu(rich_menu_request(width=1000, height=843))
    assert raised.value.status == 400
    assert error_body(raised.value)["details"][0]["property"] == "size"


def test_rich_menu_aliases(api: MessagingApi) -> None:
    first = api.create_rich_menu(rich_menu_request()).rich_menu_id
    second = api.create_rich_menu(rich_menu_request()).rich_menu_id

    api.create_rich_menu_alias(
        CreateRichMenuAliasRequest(richMenuAliasId="student-main", richMenuId=first)
    )
    assert api.get_rich_menu_alias("student-main").rich_menu_id == first
    with pytest.raises(ApiException) as raised:
        api.create_rich_menu_alias(
            CreateRichMenuAliasRequest(richMenuAliasId="student-main", richMenuId=second)
        )
    assert raised.value.status == 400

    api.update_rich_menu_alias("student-main", UpdateRichMenuAliasRequest(richMenuId=second))
    aliases = api.get_rich_menu_alias_list().aliases
    assert [(a.rich_menu_alias_id, a.rich_menu_id) for a in aliases] == [("student-main", second)]

    api.delete_rich_menu_alias("student-main")
    with pytest.raises(ApiException) as raised:
        api.get_rich_menu_alias("student-main")
    assert raised.value.status == 404


# --- webhook events -----------------------------------------------------------------------------------------------


def test_events_parse_with_the_sdk_webhook_parser(platform: Platform) -> None:
    at = datetime(2027, 3, 1, 9, 30, tzinfo=UTC)
    built = [
        ev.text_event(ALICE, "上傳", at),
        ev.postback_event(ALICE, "flow=upload&step=1", {"datetime": "2027-03-01T17:30"}, at=at),
        ev.follow_event(ALICE, at=at),
        ev.unfollow_event(ALICE, at=at),
        ev.image_event(ALICE, "6001", ("set1", 1, 2), at=at),
        ev.file_event(ALICE, "6002", "報告.pdf", 2048, at=at),
        ev.video_event(ALICE, "6003", at=at),
        ev.audio_event(ALICE, "6004", at=at),
    ]
    raw = ev.body(built)

    parsed = WebhookParser(SECRET).parse(raw.decode("utf-8"), ev.sign(raw, SECRET))

    assert [type(e) for e in parsed] == [
        MessageEvent,
        PostbackEvent,
        FollowEvent,
        UnfollowEvent,
        MessageEvent,
        MessageEvent,
        MessageEvent,
        MessageEvent,
    ]
    contents = [e.message for e in parsed if isinstance(e, MessageEvent)]
    assert [type(c) for c in contents] == [
        TextMessageContent,
        ImageMessageContent,
        FileMessageContent,
        VideoMessageContent,
        AudioMessageContent,
    ]
    assert contents[1].image_set.index == 1 and contents[1].image_set.total == 2
    assert contents[2].file_name == "報告.pdf"
    assert parsed[0].timestamp == int(at.timestamp() * 1000)
    assert b"\\u" not in raw and b", " not in raw  # compact UTF-8, as LINE sends


def test_event_envelope_matches_line_sample() -> None:
    sample = json.loads(SAMPLE.read_text())["events"]
    sample_text = next(e for e in sample if e.get("message", {}).get("type") == "text")
    sample_unfollow = next(e for e in sample if e["type"] == "unfollow")

    built = ev.text_event(ALICE, "hi")
    assert set(built) == set(sample_text)
    assert set(built["message"]) == set(sample_text["message"])
    assert set(ev.unfollow_event(ALICE)) == set(sample_unfollow)
    assert len(built["webhookEventId"]) == 26
    assert built["deliveryContext"] == {"isRedelivery": False}
    assert ev.redelivered(built)["webhookEventId"] == built["webhookEventId"]


def test_standby_events_carry_no_reply_token() -> None:
    assert "replyToken" not in ev.text_event(ALICE, "hi", mode="standby")
    assert ev.text_event(ALICE, "hi", mode="standby")["mode"] == "standby"


def test_event_reply_token_from_the_platform_works(
    api: MessagingApi, platform: Platform, clock: FrozenClock
) -> None:
    event = ev.text_event(ALICE, "說明", platform=platform)
    assert event["timestamp"] == int(START.timestamp() * 1000)

    api.reply_message(ReplyMessageRequest(replyToken=event["replyToken"], messages=[text()]))
    assert platform.messages_for(ALICE)[0]["kind"] == "reply"


def test_webhook_event_ids_are_time_ordered() -> None:
    earlier = ev.webhook_event_id(START)
    later = ev.webhook_event_id(START + timedelta(milliseconds=1))
    assert earlier < later
    assert set(earlier) <= set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")


def test_sign_matches_line_definition() -> None:
    # The SDK's own validator is the reference for what LINE computes.
    raw = ev.body([ev.text_event(ALICE, "簽章")])
    assert SignatureValidator(SECRET).validate(raw.decode("utf-8"), ev.sign(raw, SECRET))


def test_deliver_posts_a_signed_body() -> None:
    received: list[tuple[bytes, str]] = []

    @Request.application
    def bot(request: Request) -> Response:
        received.append((request.get_data(), request.headers["X-Line-Signature"]))
        return Response("OK")

    server = make_server("127.0.0.1", 0, bot, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        status = ev.deliver(
            f"http://127.0.0.1:{server.server_port}/callback",
            [ev.text_event(ALICE, "hi")],
            SECRET,
        )
    finally:
        server.shutdown()
        server.server_close()

    assert status == 200
    raw, signature = received[0]
    assert signature == ev.sign(raw, SECRET)
    assert json.loads(raw)["events"][0]["message"]["text"] == "hi"


# --- check_messages ------------------------------------------------------------------------------------------------


def text_dict(value: str = "hi", **extra: Any) -> dict[str, Any]:
    return {"type": "text", "text": value, **extra}


def action(label: str = "好", data: str = "a=1") -> dict[str, Any]:
    return {"type": "postback", "label": label, "data": data}


def test_check_messages_accepts_good_messages() -> None:
    assert check_messages([text_dict("字" * 5000)]) == []
    assert check_messages([text_dict() for _ in range(5)]) == []


def test_check_messages_names_count_and_text_limits() -> None:
    assert check_messages([]) == ["messages: 0 messages in one request; must be 1 to 5"]
    assert check_messages([text_dict()] * 6)[0].startswith("messages:")
    problems = check_messages([text_dict(), text_dict("😀" * 2501)])
    assert problems == ["messages[1].text: text is 5002 characters (UTF-16); limit 5000"]


def test_check_messages_quick_reply_and_actions() -> None:
    items = [{"type": "action", "action": action()} for _ in range(14)]
    items[3]["action"] = action(label="這" * 21, data="d" * 301)
    problems = find_violations([text_dict(quickReply={"items": items})])

    assert [p.property for p in problems] == [
        "messages[0].quickReply.items",
        "messages[0].quickReply.items[3].action.label",
        "messages[0].quickReply.items[3].action.data",
    ]


def test_check_messages_alt_text_and_buttons_template() -> None:
    template = {
        "type": "buttons",
        "title": "請選擇",
        "text": "說" * 61,
        "actions": [action() for _ in range(5)],
    }
    message = {"type": "template", "altText": "a" * 1501, "template": template}
    properties = {p.property for p in find_violations([message])}

    assert properties == {
        "messages[0].altText",
        "messages[0].template.text",
        "messages[0].template.actions",
    }
    template.pop("title")
    template["text"] = "說" * 160
    template["actions"] = template["actions"][:4]
    message["altText"] = "ok"
    assert check_messages([message]) == []


def test_check_messages_flex_sizes_and_labels() -> None:
    def bubble(padding: int = 0, label: str = "送出") -> dict[str, Any]:
        return {
            "type": "bubble",
            "body": {
                "type": "box",
                "layout": "vertical",
                "contents": [
                    {"type": "text", "text": "x" * max(padding, 1)},
                    {"type": "button", "action": action(label=label)},
                ],
            },
        }

    ok = {"type": "flex", "altText": "卡片", "contents": bubble(label="四" * 40)}
    assert check_messages([ok]) == []

    big = {"type": "flex", "altText": "卡片", "contents": bubble(padding=30_000)}
    assert find_violations([big])[0].property == "messages[0].contents"

    long_label = {"type": "flex", "altText": "卡片", "contents": bubble(label="四" * 41)}
    assert find_violations([long_label])[0].property.endswith("[1].action.label")

    carousel = {"type": "carousel", "contents": [bubble(padding=4_500) for _ in range(13)]}
    problems = check_messages([{"type": "flex", "altText": "卡片", "contents": carousel}])
    assert any("13 bubbles" in p for p in problems)
    assert any(f"limit {line_limits.MAX_FLEX_CAROUSEL_BYTES}" in p for p in problems)


def test_check_messages_media_urls_must_be_https() -> None:
    image = {
        "type": "image",
        "originalContentUrl": "http://example.com/a.jpg",
        "previewImageUrl": "https://example.com/a.jpg",
    }
    assert check_messages([image]) == ["messages[0].originalContentUrl: media URLs must use HTTPS"]


def test_flex_message_from_the_sdk_passes_the_emulator(
    api: MessagingApi, platform: Platform
) -> None:
    bubble = FlexBubble.from_dict(
        {
            "type": "bubble",
            "body": {
                "type": "box",
                "layout": "vertical",
                "contents": [{"type": "text", "text": "學習歷程"}],
            },
        }
    )
    api.push_message(
        PushMessageRequest(to=ALICE, messages=[FlexMessage(altText="學習歷程", contents=bubble)])
    )
    assert platform.messages_for(ALICE)[0]["type"] == "flex"
