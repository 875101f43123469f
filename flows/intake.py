"""Receiving what students send from LINE: stream it to storage, type it by its bytes, fit it.

Photos are kept as DraftPage rows in the order the student meant (LINE's imageSet index, else
arrival) and become one PDF when the student moves on. PDFs and video/audio are fitted under the
national caps at once. Nothing here raises past its caller with the student's input lost: every
failure is an IntakeError whose key and values say what happened and what to do.
"""

from __future__ import annotations

import logging
import re
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import exists, select

from catalogue import text
from flows.context import Ctx
from flows.engine import Input
from media.av import fit_av
from media.documents import images_to_pdf
from media.kinds import MB, FitResult, Kind, classify_for_upload, mb, mime_of
from media.pdf_fit import fit_pdf
from media.photos import photo_refusal
from media.sniff import refuse, sniff
from school import draft_files
from storage import upload_usage
from storage.files import NotStored, StoredFile, TooLarge
from storage.models.portfolio import FileRecord

log = logging.getLogger(__name__)

# The most one download from LINE may be; a 100 MB phone video must get through to be compressed.
MAX_INCOMING_BYTES = 300 * MB
# LINE answers 202 while it prepares a video or audio; ask this many times, waiting between.
CONTENT_TRIES = 10
POLL_SECONDS = 2.0
# Photos one document may hold; more would not fit under 4 MB readably anyway.
MAX_PAGES = 30
DISPLAY_NAME_LENGTH = 80

PHOTO_KINDS = frozenset({Kind.JPEG, Kind.PNG, Kind.HEIC})
DOCUMENT = "document"
AV = "av"

# The kinds of LINE message that carry content.
CONTENT_MESSAGES = ("image", "video", "audio", "file")


class IntakeError(Exception):
    """What went wrong with a file, as a catalogue key and its values."""

    def __init__(self, key: str, **values: Any) -> None:
        super().__init__(key)
        self.key = key
        self.values = values

    @property
    def message(self) -> str:
        return text(self.key, **self.values)


@dataclass(frozen=True)
class Incoming:
    """A file as received: stored by digest, its kind from its bytes."""

    stored: StoredFile
    kind: Kind
    category: str  # document | av
    display_name: str | None

    @property
    def is_photo(self) -> bool:
        return self.kind in PHOTO_KINDS


@dataclass(frozen=True)
class Fitted:
    """A file fitted under its cap and recorded; result says what fitting did."""

    record: FileRecord
    result: FitResult

    @property
    def message(self) -> str:
        return text(self.result.reason, **self.result.values)


@dataclass(frozen=True)
class Taken:
    """What one message added to a draft."""

    slot: str  # page | document | av
    fitted: Fitted | None = None
    pages: int = 0  # photos now waiting in the draft
    # For photos sent together: how many of the set have arrived, and how many there are.
    set_received: int = 0
    set_total: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def set_complete(self) -> bool:
        return self.set_total > 0 and self.set_received >= self.set_total


# --- fetching ---------------------------------------------------------------------------------


def _status_of(exc: BaseException) -> int | None:
    status = getattr(exc, "status", None)
    return status if isinstance(status, int) else None


def fetch(ctx: Ctx, message_id: str, max_bytes: int = MAX_INCOMING_BYTES) -> StoredFile:
    """Stream a message's content from LINE straight into the file store, never whole in memory.

    A 202 means LINE is still preparing it: ask how transcoding goes and wait between tries,
    a bounded number of times. Every byte received counts against the person's daily cap
    (ctx.upload_bytes_per_day), refused files too.
    """
    source = ctx.content_source
    if source is None or not message_id:
        raise IntakeError("intake.fetch_failed")
    who = upload_usage.who_of(ctx.account)
    limit = max_bytes
    if who is not None:
        left = ctx.upload_bytes_per_day - upload_usage.used_today(ctx.session, who, ctx.now)
        if left <= 0:
            raise IntakeError("security.upload.daily_cap", limit=mb(ctx.upload_bytes_per_day))
        limit = min(max_bytes, left)
    try:
        return _fetch(ctx, message_id, limit, who)
    except TooLarge as exc:
        if who is not None:
            upload_usage.charge(ctx.session, who, ctx.now, exc.size_so_far)
        if limit < max_bytes:
            raise IntakeError(
                "security.upload.daily_cap", limit=mb(ctx.upload_bytes_per_day)
            ) from None
        raise IntakeError("media.download_too_large", limit=mb(max_bytes)) from None


def _fetch(ctx: Ctx, message_id: str, max_bytes: int, who: str | None) -> StoredFile:
    source = ctx.content_source
    assert source is not None
    for attempt in range(CONTENT_TRIES):
        try:
            with source.content(message_id) as (status, _content_type, chunks):
                if status == 200:
                    stored = ctx.files.put_stream(chunks, max_bytes=max_bytes)
                    if who is not None:
                        upload_usage.charge(ctx.session, who, ctx.now, stored.size)
                    return stored
                if status == 404:
                    raise IntakeError("intake.gone")
                if status != 202:
                    raise IntakeError("intake.fetch_failed")
            state = source.content_ready(message_id)
            if state == "failed":
                raise IntakeError("intake.line_failed")
            if state == "succeeded":
                continue  # ready now: fetch again at once
        except (TooLarge, IntakeError):
            raise
        except Exception as exc:  # noqa: BLE001 - the LINE seam raises its SDK's own errors
            if _status_of(exc) == 404:
                raise IntakeError("intake.gone") from None
            log.warning(
                "content %s: attempt %d failed: %s", attempt + 1, CONTENT_TRIES, type(exc).__name__
            )
        if attempt + 1 < CONTENT_TRIES:
            ctx.sleep(POLL_SECONDS)
    raise IntakeError("intake.not_ready")


def clean_display_name(name: Any) -> str | None:
    """A file name fit to show people: no folders, no control characters, not too long.

    It is only ever shown; files are stored under their digest.
    """
    if not isinstance(name, str):
        return None
    base = re.split(r"[\\/]", name)[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip()
    return base[:DISPLAY_NAME_LENGTH] or None


def receive(ctx: Ctx, inp: Input) -> Incoming:
    """Fetch what the message carries and decide what it is by its bytes."""
    if inp.kind not in CONTENT_MESSAGES or not inp.message_id:
        raise IntakeError("intake.not_a_file")
    stored = fetch(ctx, inp.message_id)
    try:
        kind = sniff(ctx.files.path(stored.sha256))
    except NotStored:
        raise IntakeError("intake.fetch_failed") from None
    category = classify_for_upload(kind)
    if category is None:
        # Name the format when it has one: "這個檔案是 docx" helps more than "unknown".
        refused = refuse(ctx.files.path(stored.sha256))
        discard(ctx, stored.sha256)
        raise IntakeError(refused.reason, **refused.values)
    return Incoming(stored, kind, category, clean_display_name(inp.meta.get("fileName")))


def discard(ctx: Ctx, sha256: str) -> bool:
    """Delete bytes that were received but refused, unless a file row holds the same bytes."""
    session = ctx.session
    if session is not None and session.scalar(select(exists().where(FileRecord.sha256 == sha256))):
        return False
    return ctx.files.delete(sha256)


# --- recording and fitting --------------------------------------------------------------------


def _record(
    ctx: Ctx,
    stored: StoredFile,
    kind: Kind,
    category: str,
    student_id: int,
    display_name: str | None = None,
) -> FileRecord:
    return draft_files.new_file_record(
        ctx.session,
        stored.sha256,
        stored.size,
        mime_of(kind) or "application/octet-stream",
        category,
        student_id,
        ctx.now,
        display_name,
    )


def _fit_to_store(
    ctx: Ctx, fit: Any, inputs: list[Path], suffix: str
) -> tuple[FitResult, StoredFile | None]:
    with tempfile.TemporaryDirectory(prefix="intake-") as work:
        out = Path(work) / f"fitted{suffix}"
        result: FitResult = fit(inputs, out)
        if not result.ok:
            return result, None
        return result, ctx.files.put_path(out)


def fit_document(ctx: Ctx, incoming: Incoming, student_id: int) -> Fitted:
    """A PDF under the document cap, recorded."""
    source = ctx.files.path(incoming.stored.sha256)
    result, stored = _fit_to_store(ctx, lambda ins, out: fit_pdf(ins[0], out), [source], ".pdf")
    if stored is None:
        discard(ctx, incoming.stored.sha256)
        raise IntakeError(result.reason, **result.values)
    record = _record(ctx, stored, Kind.PDF, DOCUMENT, student_id, incoming.display_name)
    return Fitted(record, result)


def fit_media(ctx: Ctx, incoming: Incoming, student_id: int) -> Fitted:
    """Video or audio as mp4/mp3 under the cap (compressed when a converter exists), recorded."""
    source = ctx.files.path(incoming.stored.sha256)
    suffix = ".mp3" if incoming.kind in (Kind.MP3, Kind.M4A) else ".mp4"
    result, stored = _fit_to_store(
        ctx, lambda ins, out: fit_av(ins[0], out, incoming.kind), [source], suffix
    )
    if stored is None or result.kind is None:
        discard(ctx, incoming.stored.sha256)
        raise IntakeError(result.reason, **result.values)
    record = _record(ctx, stored, result.kind, AV, student_id, incoming.display_name)
    return Fitted(record, result)


def keep_page(
    ctx: Ctx,
    draft_kind: str,
    draft_id: int,
    student_id: int,
    incoming: Incoming,
    image_set: dict[str, Any] | None,
) -> Taken:
    """Keep a photo for the draft; it joins the others in one PDF when the student moves on."""
    assert ctx.line_user_id
    count = draft_files.page_count(ctx.session, draft_kind, draft_id)
    if count >= MAX_PAGES:
        raise IntakeError("intake.too_many_pages", limit=MAX_PAGES)
    record = _record(
        ctx, incoming.stored, incoming.kind, DOCUMENT, student_id, incoming.display_name
    )
    set_ref: tuple[str, int] | None = None
    total = 0
    if isinstance(image_set, dict) and image_set.get("id"):
        set_ref = (str(image_set["id"]), _int(image_set.get("index"), 1))
        total = _int(image_set.get("total"), 0)
    draft_files.add_page(
        ctx.session, ctx.line_user_id, draft_kind, draft_id, record, ctx.now, set_ref
    )
    received = (
        draft_files.set_pages_received(ctx.session, draft_kind, draft_id, set_ref[0])
        if set_ref
        else 0
    )
    return Taken("page", pages=count + 1, set_received=received, set_total=total)


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def combine_pages(ctx: Ctx, draft_kind: str, draft_id: int, student_id: int) -> Fitted | None:
    """The draft's photos, in order, as one PDF under the document cap; None without photos.

    The photos stay in the draft until it is sent, so a student who goes back can add more.
    """
    waiting = draft_files.pages(ctx.session, draft_kind, draft_id)
    if not waiting:
        return None
    try:
        paths = [ctx.files.path(page.file.sha256) for page in waiting]
    except NotStored:
        raise IntakeError("intake.fetch_failed") from None
    result, stored = _fit_to_store(ctx, images_to_pdf, paths, ".pdf")
    if stored is None:
        raise IntakeError(result.reason, **result.values)
    return Fitted(_record(ctx, stored, Kind.PDF, DOCUMENT, student_id), result)


def take(ctx: Ctx, inp: Input, draft_kind: str, draft_id: int, student_id: int) -> Taken:
    """Whatever the student sent, received into the draft: a photo page, a document or an AV file.

    Raises IntakeError (with what to tell the student); the draft is left as it was.
    """
    incoming = receive(ctx, inp)
    if incoming.is_photo:
        # Checked from the header now, not when the pages are combined: a picture too big to
        # decode is refused at once and its bytes deleted.
        refused = photo_refusal(ctx.files.path(incoming.stored.sha256))
        if refused is not None:
            discard(ctx, incoming.stored.sha256)
            raise IntakeError(refused.reason, **refused.values)
        return keep_page(ctx, draft_kind, draft_id, student_id, incoming, inp.meta.get("imageSet"))
    if incoming.category == DOCUMENT:
        return Taken(DOCUMENT, fit_document(ctx, incoming, student_id))
    return Taken(AV, fit_media(ctx, incoming, student_id))


def failure_text(exc: Exception) -> str:
    """What to tell the student when receiving broke in a way nobody planned for."""
    if isinstance(exc, IntakeError):
        return exc.message
    log.exception("receiving a file failed")
    return text("intake.fetch_failed")
