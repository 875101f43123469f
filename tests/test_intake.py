"""Receiving content from LINE: streaming, bounded 202 polling, sniffing, fitting, pages."""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from flows import intake
from flows.context import Ctx
from flows.engine import Input
from media.kinds import Kind
from rules.reader import load_rules
from storage.clock import FrozenClock
from storage.files import LocalFileStore
from tests.conftest import SCHOOL_DAY
from tests.support import Chat
from tests.test_upload import (
    STUDENT,
    jpeg_bytes,
    mp4_bytes,
    outcomes,
    send_file,
    send_photos,
    start_upload,
)

CHUNK = 64 * 1024


class FakeContent:
    """LINE's content endpoint as a script: a list of answers, one per call."""

    def __init__(
        self, answers: list[Any], data: bytes | None = None, ready: list[str] | None = None
    ) -> None:
        self.answers = list(answers)
        self.data = data or b""
        self.ready = list(ready or [])
        self.calls = 0
        self.ready_calls = 0

    @contextmanager
    def content(self, message_id: str) -> Iterator[tuple[int, str | None, Iterator[bytes]]]:
        self.calls += 1
        answer = self.answers.pop(0) if self.answers else 202
        if isinstance(answer, Exception):
            raise answer
        yield answer, "application/octet-stream", self._chunks()

    def _chunks(self) -> Iterator[bytes]:
        for start in range(0, len(self.data), CHUNK):
            yield self.data[start : start + CHUNK]

    def content_ready(self, message_id: str) -> str:
        self.ready_calls += 1
        return self.ready.pop(0) if self.ready else "processing"


class Streamed:
    """A big download produced chunk by chunk, never held whole."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.calls = 0

    @contextmanager
    def content(self, message_id: str) -> Iterator[tuple[int, str | None, Iterator[bytes]]]:
        self.calls += 1
        yield 200, "video/mp4", self._chunks()

    def _chunks(self) -> Iterator[bytes]:
        header = mp4_bytes(64)
        yield header
        sent = len(header)
        block = bytes(range(256)) * (CHUNK // 256)
        while sent < self.total:
            piece = block[: min(CHUNK, self.total - sent)]
            sent += len(piece)
            yield piece

    def content_ready(self, message_id: str) -> str:
        return "succeeded"


class Boom(Exception):
    def __init__(self, status: int | None = None) -> None:
        super().__init__(f"status {status}")
        self.status = status


@pytest.fixture
def ctx(tmp_path: Path) -> Any:
    sleeps: list[float] = []
    clock = FrozenClock(SCHOOL_DAY)
    context = Ctx(
        session=None,
        clock=clock,
        now=clock.now(),
        outbox=None,  # type: ignore[arg-type]
        rules=load_rules(None),
        files=LocalFileStore(tmp_path / "files"),
        secret_key="k" * 32,
        public_base_url="https://example.test",
        line_user_id="Ux",
        sleep=sleeps.append,
    )
    context.sleeps = sleeps  # type: ignore[attr-defined]
    return context


# --- fetching ---------------------------------------------------------------------------------


def test_fetch_stores_by_digest(ctx: Any) -> None:
    data = jpeg_bytes()
    ctx.content_source = FakeContent([200], data)
    stored = intake.fetch(ctx, "1")
    assert stored.size == len(data) and stored.mime == "image/jpeg"
    assert ctx.files.path(stored.sha256).read_bytes() == data
    assert ctx.sleeps == []


def test_202_is_polled_with_waits_until_ready(ctx: Any) -> None:
    source = FakeContent([202, 202, 200], mp4_bytes(), ready=["processing", "processing"])
    ctx.content_source = source
    stored = intake.fetch(ctx, "1")
    assert stored.mime == "video/mp4"
    assert source.calls == 3 and source.ready_calls == 2
    assert ctx.sleeps == [intake.POLL_SECONDS, intake.POLL_SECONDS]


def test_ready_after_transcoding_is_fetched_without_waiting(ctx: Any) -> None:
    source = FakeContent([202, 200], mp4_bytes(), ready=["succeeded"])
    ctx.content_source = source
    intake.fetch(ctx, "1")
    assert ctx.sleeps == []


def test_polling_is_bounded(ctx: Any) -> None:
    source = FakeContent([], b"")
    ctx.content_source = source
    with pytest.raises(intake.IntakeError) as caught:
        intake.fetch(ctx, "1")
    assert caught.value.key == "intake.not_ready"
    assert source.calls == intake.CONTENT_TRIES
    assert len(ctx.sleeps) == intake.CONTENT_TRIES - 1
    assert "LINE 還在處理" in caught.value.message


def test_failed_transcoding_is_explained(ctx: Any) -> None:
    ctx.content_source = FakeContent([202], ready=["failed"])
    with pytest.raises(intake.IntakeError) as caught:
        intake.fetch(ctx, "1")
    assert caught.value.key == "intake.line_failed"


def test_404_means_line_deleted_it(ctx: Any) -> None:
    ctx.content_source = FakeContent([Boom(404)])
    with pytest.raises(intake.IntakeError) as caught:
        intake.fetch(ctx, "1")
    assert caught.value.key == "intake.gone"
    ctx.content_source = FakeContent([404])
    with pytest.raises(intake.IntakeError):
        intake.fetch(ctx, "1")


def test_a_transient_error_is_tried_again(ctx: Any) -> None:
    source = FakeContent([Boom(500), OSError("reset"), 200], jpeg_bytes())
    ctx.content_source = source
    assert intake.fetch(ctx, "1").mime == "image/jpeg"
    assert source.calls == 3


def test_other_status_is_a_clear_failure(ctx: Any) -> None:
    ctx.content_source = FakeContent([403])
    with pytest.raises(intake.IntakeError) as caught:
        intake.fetch(ctx, "1")
    assert caught.value.key == "intake.fetch_failed"


def test_too_big_a_download_is_stopped_and_explained(ctx: Any) -> None:
    ctx.content_source = Streamed(3 * 1024 * 1024)
    with pytest.raises(intake.IntakeError) as caught:
        intake.fetch(ctx, "1", max_bytes=1024 * 1024)
    assert caught.value.key == "media.download_too_large"
    assert "1 MB" in caught.value.message
    assert list((ctx.files.root / "tmp").iterdir()) == []


def test_a_big_video_streams_without_being_held_in_memory(ctx: Any) -> None:
    total = 40 * 1024 * 1024
    ctx.content_source = Streamed(total)
    tracemalloc.start()
    try:
        stored = intake.fetch(ctx, "1")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert stored.size == total
    assert peak < 4 * 1024 * 1024, f"peak {peak} bytes while streaming {total}"


def test_no_content_source_is_a_clear_failure(ctx: Any) -> None:
    ctx.content_source = None
    with pytest.raises(intake.IntakeError):
        intake.fetch(ctx, "1")


# --- what it is -------------------------------------------------------------------------------


def test_receive_decides_by_bytes_not_by_name(ctx: Any) -> None:
    ctx.content_source = FakeContent([200], jpeg_bytes())
    incoming = intake.receive(ctx, Input("file", message_id="1", meta={"fileName": "report.pdf"}))
    assert incoming.kind is Kind.JPEG and incoming.is_photo
    assert incoming.display_name == "report.pdf"


def test_receive_refuses_unknown_bytes(ctx: Any) -> None:
    ctx.content_source = FakeContent([200], b"MZ\x90\x00 an exe")
    with pytest.raises(intake.IntakeError) as caught:
        intake.receive(ctx, Input("file", message_id="1", meta={"fileName": "a.mp4"}))
    assert caught.value.key == "media.unknown_format"
    assert "PDF" in caught.value.message


def test_receive_needs_content(ctx: Any) -> None:
    with pytest.raises(intake.IntakeError):
        intake.receive(ctx, Input("text", text="hi"))


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\作業.pdf", "作業.pdf"),
        ("bad\x00name\n.pdf", "badname.pdf"),
        ("x" * 300 + ".pdf", "x" * 80),
        ("   ", None),
        (None, None),
        (42, None),
    ],
)
def test_display_names_are_cleaned(given: Any, shown: str | None) -> None:
    assert intake.clean_display_name(given) == shown


# --- through the webhook ----------------------------------------------------------------------


def heic_bytes() -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    buffer = io.BytesIO()
    Image.new("RGB", (900, 700), (90, 140, 200)).save(buffer, "HEIF")
    return buffer.getvalue()


def test_heic_photo_becomes_part_of_the_pdf(chat: Chat, school: Any, db: Any, app: Any) -> None:
    pytest.importorskip("pillow_heif")
    start_upload(chat)
    said = send_file(chat, STUDENT, heic_bytes(), "IMG_0001.HEIC", "image/heic")
    assert "收到照片了" in Chat.texts(said)
    said = chat.tap(STUDENT, "upload:next")
    assert "合成一份 PDF" in Chat.texts(said)
    [draft] = outcomes(db, school.students[STUDENT])
    assert draft.document_file_id is not None


def test_m4a_without_a_converter_is_explained(chat: Chat, school: Any, monkeypatch: Any) -> None:
    import struct

    monkeypatch.setattr("shutil.which", lambda name: None)
    monkeypatch.setattr("media.av.bundled_ffmpeg", lambda: None)  # nor the packaged one
    start_upload(chat)
    m4a = struct.pack(">I4s4sI", 20, b"ftyp", b"M4A ", 0) + b"M4A " + bytes(3000)
    said = send_file(chat, STUDENT, m4a, "錄音.m4a", "audio/mp4")
    assert "m4a 檔要轉成 mp3" in Chat.texts(said)


def test_too_many_photos_are_refused_and_the_rest_kept(
    chat: Chat, school: Any, db: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(intake, "MAX_PAGES", 2)
    start_upload(chat)
    send_photos(chat, STUDENT, [jpeg_bytes("1"), jpeg_bytes("2")], together=False)
    said = send_photos(chat, STUDENT, [jpeg_bytes("3")], together=False)
    assert "最多 2 張照片" in Chat.texts(said)
    said = chat.tap(STUDENT, "upload:next")
    assert "2 張照片依傳送順序合成" in Chat.texts(said)


def test_pdf_after_photos_replaces_them_and_says_so(chat: Chat, school: Any, db: Any) -> None:
    from tests.test_upload import pdf_bytes

    start_upload(chat)
    send_photos(chat, STUDENT, [jpeg_bytes("1"), jpeg_bytes("2")])
    said = send_file(chat, STUDENT, pdf_bytes(), "final.pdf", "application/pdf")
    assert "先前的 2 張照片不會放進去" in Chat.texts(said)
    said = send_photos(chat, STUDENT, [jpeg_bytes("3")], together=False)
    assert "取代先前傳的 PDF" in Chat.texts(said)


def test_clear_starts_the_files_again(chat: Chat, school: Any, db: Any) -> None:
    start_upload(chat)
    send_photos(chat, STUDENT, [jpeg_bytes("1")], together=False)
    said = chat.tap(STUDENT, "upload:clear")
    assert "已清除" in Chat.texts(said) and "還沒有檔案" in Chat.texts(said)


def test_one_photo_of_a_set_missing_waits_quietly(chat: Chat, school: Any) -> None:
    from dev.emulator import events as ev
    from tests.test_upload import new_id

    start_upload(chat)
    set_id = new_id()
    events = []
    for index in (1, 2):
        message_id = new_id()
        chat.platform.register_content(message_id, jpeg_bytes(str(index)), "image/jpeg")
        chat.clock.advance(timedelta(milliseconds=5))
        events.append(
            ev.image_event(
                STUDENT, message_id, image_set=(set_id, index, 3), platform=chat.platform
            )
        )
    chat.post(events)
    assert chat.new_messages(STUDENT) == []  # two of three: nothing to say yet
    said = chat.tap(STUDENT, "upload:next")
    assert "2 張照片" in Chat.texts(said)
