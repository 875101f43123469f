"""The kinds of file the product knows, the national caps, and what fitting a file did (FitResult,
its reasons as catalogue keys)."""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Literal

MB = 1024 * 1024


# National caps for files sent to the central database (學習歷程中央資料庫).
DOCUMENT_LIMIT = 4 * MB


AV_LIMIT = 10 * MB


# How many leading bytes sniffing looks at; the file store keeps this much while streaming.
HEAD_BYTES = 4096


class Kind(StrEnum):
    JPEG = "jpeg"
    PNG = "png"
    PDF = "pdf"
    HEIC = "heic"
    MP4 = "mp4"
    MOV = "mov"
    MP3 = "mp3"
    M4A = "m4a"
    OTHER = "other"


Category = Literal["document", "av"]


# What the bot takes from students, and in which slot of an item it goes.
ACCEPTED: Mapping[Kind, Category] = {
    Kind.JPEG: "document",
    Kind.PNG: "document",
    Kind.PDF: "document",
    Kind.HEIC: "document",
    Kind.MP4: "av",
    Kind.MOV: "av",
    Kind.MP3: "av",
    Kind.M4A: "av",
}


# Of those, what the central database takes as it is; the rest is converted first.
CENTRAL_KINDS = frozenset({Kind.JPEG, Kind.PNG, Kind.PDF, Kind.MP4, Kind.MP3})


MIME_TYPES: Mapping[Kind, str] = {
    Kind.JPEG: "image/jpeg",
    Kind.PNG: "image/png",
    Kind.PDF: "application/pdf",
    Kind.HEIC: "image/heic",
    Kind.MP4: "video/mp4",
    Kind.MOV: "video/quicktime",
    Kind.MP3: "audio/mpeg",
    Kind.M4A: "audio/mp4",
}


# File-format names as students know them from their phones (not translated: they are names).
FORMAT_NAMES: Mapping[Kind, str] = {
    Kind.JPEG: "jpg",
    Kind.PNG: "png",
    Kind.PDF: "PDF",
    Kind.HEIC: "HEIC",
    Kind.MP4: "mp4",
    Kind.MOV: "mov",
    Kind.MP3: "mp3",
    Kind.M4A: "m4a",
}


EXTENSIONS: Mapping[Kind, str] = {
    Kind.JPEG: ".jpg",
    Kind.PNG: ".png",
    Kind.PDF: ".pdf",
    Kind.MP4: ".mp4",
    Kind.MP3: ".mp3",
}


# Catalogue keys (the catalogue, media section). Success keys say what was done; the rest say
# what went wrong and what the student can do. Every FitResult carries one with its values.
KEPT = "media.kept"


COMPRESSED = "media.compressed"


CONVERTED = "media.converted"


PHOTOS_COMBINED = "media.photos_combined"


UNSUPPORTED = "media.unsupported"


UNKNOWN_FORMAT = "media.unknown_format"


EXPECTED_PHOTO = "media.expected_photo"


EXPECTED_PDF = "media.expected_pdf"


EXPECTED_AV = "media.expected_av"


UNREADABLE = "media.unreadable"


IMAGE_TOO_BIG = "media.image_too_big"


TOO_LARGE = "media.too_large"


PHOTOS_TOO_LARGE = "media.photos_too_large"


PDF_LOCKED = "media.pdf_locked"


HEIC_UNSUPPORTED = "media.heic_unsupported"


NO_CONVERTER = "media.no_converter"


NO_CONVERTER_TOO_LARGE = "media.no_converter_too_large"


AV_TOO_LONG = "media.av_too_long"


AV_TOO_LARGE = "media.av_too_large"


CONVERTER_FAILED = "media.converter_failed"


DOWNLOAD_TOO_LARGE = "media.download_too_large"  # for callers catching files.TooLarge


ACCEPTED_TEXT = "media.accepted"


REASONS = (
    KEPT,
    COMPRESSED,
    CONVERTED,
    PHOTOS_COMBINED,
    UNSUPPORTED,
    UNKNOWN_FORMAT,
    EXPECTED_PHOTO,
    EXPECTED_PDF,
    EXPECTED_AV,
    UNREADABLE,
    IMAGE_TOO_BIG,
    TOO_LARGE,
    PHOTOS_TOO_LARGE,
    PDF_LOCKED,
    HEIC_UNSUPPORTED,
    NO_CONVERTER,
    NO_CONVERTER_TOO_LARGE,
    AV_TOO_LONG,
    AV_TOO_LARGE,
    CONVERTER_FAILED,
    DOWNLOAD_TOO_LARGE,
    ACCEPTED_TEXT,
)


@dataclass(frozen=True)
class FitResult:
    """What fitting a file did.

    reason is a catalogue key for both outcomes, so `text(result.reason, **result.values)` is
    always the sentence to show the student. When ok, `out` holds a file of `kind`, `size` bytes.
    When not ok, size is the smallest the product could make it (or the input's size).
    """

    ok: bool
    size: int
    reason: str
    values: Mapping[str, str | int] = field(default_factory=dict)
    kind: Kind | None = None
    changed: bool = False  # False: out is a byte-for-byte copy of the input
    long_side: int | None = None  # photos: the long side of the pages or image in out
    quality: int | None = None  # photos: the JPEG quality used


def classify_for_upload(kind: Kind) -> Category | None:
    """Which slot of an item a file of this kind fills: a document, audio/video, or neither."""
    return ACCEPTED.get(kind)


def mime_of(kind: Kind) -> str | None:
    return MIME_TYPES.get(kind)


def mb(size: int) -> str:
    """A byte count as people read it: 4194304 → '4', 4200000 → '4.1' (rounded up, so a file
    just over a cap never reads as equal to it)."""
    tenths = math.ceil(size * 10 / MB)
    return str(tenths // 10) if tenths % 10 == 0 else f"{tenths / 10:.1f}"


def _write_atomically(out: Path, data: bytes) -> None:
    """Write out so that a reader never sees half a file."""
    out = Path(out)
    fd, temp_name = tempfile.mkstemp(prefix=".fit-", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as sink:
            sink.write(data)
        os.replace(temp_name, out)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
