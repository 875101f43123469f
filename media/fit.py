"""What a stored file really is (by its bytes) and how to fit it under the national upload caps."""

from __future__ import annotations

import io
import logging
import math
import os
import re
import shutil
import subprocess
import tempfile
import threading
import warnings
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from PIL import Image, ImageOps

if TYPE_CHECKING:
    from pypdf import PdfReader
    from pypdf._page import ImageFile

log = logging.getLogger(__name__)

MB = 1024 * 1024
# National caps for files sent to the central database (學習歷程中央資料庫).
DOCUMENT_LIMIT = 4 * MB
AV_LIMIT = 10 * MB

# How many leading bytes sniffing looks at; the file store keeps this much while streaming.
HEAD_BYTES = 4096

# Photos: text on a phone photo of a worksheet stays readable down to about this long side...
READABLE_LONG_SIDE = 1600
# ...and nothing is ever scaled below this one.
MIN_LONG_SIDE = 1000
# More than an A4 page at 300 dpi (3508 px) needs; bounds the work on 50-108 MP photos.
MAX_LONG_SIDE = 4096
# Rungs tried for photos, best first: (long side, JPEG quality); None is the photo's own size.
# Quality drops at a size before the size drops, and 1600 px gets the most quality steps
# because that is where text is still readable.
PHOTO_LADDER: tuple[tuple[int | None, int], ...] = (
    (None, 85),
    (None, 75),
    (2400, 85),
    (2400, 75),
    (2000, 75),
    (2000, 65),
    (1600, 75),
    (1600, 65),
    (1600, 55),
    (1600, 45),
    (1400, 55),
    (1400, 45),
    (1200, 45),
    (1200, 35),
    (1000, 45),
    (1000, 35),
)
# Photos decoded and encoded at once; each holds one decoded photo in memory (37 MB at
# 4096x3072; JPEG draft decoding keeps a 108 MP photo near 80 MB).
PHOTO_WORKERS = min(4, os.cpu_count() or 1)
# What img2pdf adds around the JPEGs (measured ~1 KB a page); generous so one pass usually fits.
PDF_OVERHEAD_BYTES = 8 * 1024
PDF_OVERHEAD_PER_PAGE = 2 * 1024
# Photo pages are laid out on A4, turned to landscape for landscape photos.
A4_POINTS = (210 * 72 / 25.4, 297 * 72 / 25.4)

# PDFs over the cap: (JPEG quality, longest image side) per attempt, after a lossless pass.
PDF_IMAGE_LADDER: tuple[tuple[int, int], ...] = ((80, 3000), (70, 2400), (60, 2000), (50, 1600))
# Images smaller than this are not worth recompressing.
PDF_MIN_IMAGE_BYTES = 32 * 1024

# Video and audio (only when ffmpeg is installed).
AV_TIMEOUT_SECONDS = 600.0
# Aim this far below the cap: one-pass bitrate control overshoots a little.
AV_TARGET_FRACTION = 0.92
AUDIO_KBPS = 128
VIDEO_AUDIO_KBPS = 96
# Below these the result is not worth watching or hearing; ask for a shorter clip instead.
MIN_VIDEO_TOTAL_KBPS = 250
MIN_AUDIO_KBPS = 40
# (minimum total kbps, long side of the picture): more bits, more pixels.
VIDEO_SIZES: tuple[tuple[int, int], ...] = ((1800, 1280), (900, 960), (450, 854), (0, 640))


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


# --- sniffing ---------------------------------------------------------------------------------

_HEIC_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs"})
_HEIF_GENERIC_BRANDS = frozenset({b"mif1", b"msf1"})
_M4A_BRANDS = frozenset({b"M4A ", b"M4B ", b"M4P ", b"F4A "})
_MP4_BRANDS = frozenset(
    {b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"iso7", b"iso8", b"iso9"}
    | {b"mp41", b"mp42", b"mp71", b"avc1", b"M4V ", b"M4VH", b"M4VP", b"dash", b"mmp4"}
    | {b"MSNV", b"XAVC", b"f4v "}
)
# Old QuickTime files start with one of these atoms instead of an ftyp box.
_QUICKTIME_ATOMS = frozenset({b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"})
_MPEG1_L3_KBPS = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_MPEG2_L3_KBPS = (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
_MPEG_SAMPLE_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def sniff(path: Path) -> Kind:
    """The kind of a file, decided by its bytes; the name it came with is never consulted."""
    with open(path, "rb") as source:
        head = source.read(HEAD_BYTES)
        tag_end = _id3_end(head)
        if tag_end is None:
            return sniff_bytes(head)
        source.seek(tag_end)
        return Kind.MP3 if _mp3_frames(source.read(HEAD_BYTES)) else Kind.OTHER


def sniff_bytes(head: bytes) -> Kind:
    """The kind of a file from its first bytes (HEAD_BYTES of them is enough)."""
    if head.startswith(b"\xff\xd8\xff"):
        return Kind.JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Kind.PNG
    # The PDF header may follow a little junk; readers accept it within the first 1024 bytes.
    if b"%PDF-" in head[:1024]:
        return Kind.PDF
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return _iso_media_kind(head)
    if len(head) >= 8 and head[4:8] in _QUICKTIME_ATOMS:
        return Kind.MOV
    tag_end = _id3_end(head)
    if tag_end is not None:
        # An ID3 tag (album art) can be longer than the head; then trust the tag.
        return Kind.MP3 if tag_end >= len(head) or _mp3_frames(head[tag_end:]) else Kind.OTHER
    return Kind.MP3 if _mp3_frames(head) else Kind.OTHER


def _iso_media_kind(head: bytes) -> Kind:
    box_end = min(int.from_bytes(head[0:4], "big"), len(head))
    major = head[8:12]
    brands = {major} | {head[i : i + 4] for i in range(16, box_end - 3, 4)}
    if major in _HEIC_BRANDS or (major in _HEIF_GENERIC_BRANDS and brands & _HEIC_BRANDS):
        return Kind.HEIC
    if major in _HEIF_GENERIC_BRANDS:
        return Kind.OTHER  # AVIF and other HEIF images: not something phones send as photos here
    if major == b"qt  ":
        return Kind.MOV
    if major in _M4A_BRANDS:
        return Kind.M4A
    if major in _MP4_BRANDS or brands & _MP4_BRANDS:
        return Kind.MP4
    if b"qt  " in brands:
        return Kind.MOV
    return Kind.OTHER


def _id3_end(head: bytes) -> int | None:
    """Where the audio starts after an ID3v2 tag, or None when there is no tag."""
    if len(head) < 10 or not head.startswith(b"ID3"):
        return None
    size_bytes = head[6:10]
    if any(b & 0x80 for b in size_bytes):
        return None
    size = 0
    for b in size_bytes:
        size = (size << 7) | b
    footer = 10 if head[5] & 0x10 else 0
    return 10 + size + footer


def _mp3_frame_length(data: bytes, at: int) -> int | None:
    if at + 4 > len(data) or data[at] != 0xFF or data[at + 1] & 0xE0 != 0xE0:
        return None
    version = (data[at + 1] >> 3) & 0x3  # 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5, 1: reserved
    layer = (data[at + 1] >> 1) & 0x3  # 1: Layer III
    bitrate_index = data[at + 2] >> 4
    rate_index = (data[at + 2] >> 2) & 0x3
    if version == 1 or layer != 1 or bitrate_index in (0, 15) or rate_index == 3:
        return None
    table = _MPEG1_L3_KBPS if version == 3 else _MPEG2_L3_KBPS
    sample_rate = _MPEG_SAMPLE_RATES[version][rate_index]
    padding = (data[at + 2] >> 1) & 0x1
    per_frame = 144 if version == 3 else 72
    return per_frame * table[bitrate_index] * 1000 // sample_rate + padding


def _mp3_frames(data: bytes, needed: int = 2) -> bool:
    """True when MPEG audio Layer III frames start near the beginning of data.

    A lone sync word turns up in random bytes (a few percent of 4 KiB heads), so at least two
    frames must chain into each other, unless data ends before the second could start.
    """
    for start in range(min(len(data), 512)):
        at, found = start, 0
        while (length := _mp3_frame_length(data, at)) is not None:
            found += 1
            at += length
            if found >= needed:
                return True
        if found and start == 0 and at + 4 > len(data):
            return True
    return False


# Formats students often send that the central database does not take, by signature and offset,
# so the bot can say "this is a docx" instead of "unknown".
_OTHER_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"GIF8", 0, "gif"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 0, "doc/ppt/xls"),
    (b"\x1a\x45\xdf\xa3", 0, "mkv/webm"),
    (b"OggS", 0, "ogg"),
    (b"fLaC", 0, "flac"),
    (b"#!AMR", 0, "amr"),
    (b"Rar!", 0, "rar"),
    (b"7z\xbc\xaf", 0, "7z"),
    (b"II*\x00", 0, "tiff"),
    (b"MM\x00*", 0, "tiff"),
    (b"{\\rtf", 0, "rtf"),
)
_RIFF_FORMATS = {b"WEBP": "webp", b"WAVE": "wav", b"AVI ": "avi"}
# Office files are zip archives; the folder names of their first entries tell them apart.
_ZIP_MEMBERS: tuple[tuple[bytes, str], ...] = (
    (b"word/", "docx"),
    (b"ppt/", "pptx"),
    (b"xl/", "xlsx"),
)


def other_format_name(head: bytes) -> str | None:
    """The everyday name of a format the bot does not take (docx, gif, 3gp ...), or None."""
    if head.startswith(b"PK\x03\x04"):
        return next((name for member, name in _ZIP_MEMBERS if member in head), "zip")
    if head.startswith(b"RIFF"):
        return _RIFF_FORMATS.get(head[8:12])
    if len(head) >= 12 and head[4:8] == b"ftyp":
        major = head[8:12]
        if major in (b"avif", b"avis"):
            return "avif"
        if major[:3] in (b"3gp", b"3g2"):
            return "3gp"
        return None
    for signature, offset, name in _OTHER_SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            return name
    return None


def refuse(path: Path, reason: str = UNSUPPORTED) -> FitResult:
    """Why a file is refused where it was sent (reason: the key for a known kind in the wrong
    place), naming its format whenever it has a name: "這個檔案是 docx" helps more than
    "unknown"."""
    kind = sniff(path)
    size = path.stat().st_size
    if kind is not Kind.OTHER:
        return FitResult(ok=False, size=size, reason=reason, values={"kind": FORMAT_NAMES[kind]})
    with open(path, "rb") as source:
        name = other_format_name(source.read(HEAD_BYTES))
    if name is None:
        return FitResult(ok=False, size=size, reason=UNKNOWN_FORMAT)
    return FitResult(ok=False, size=size, reason=UNSUPPORTED, values={"kind": name})


# --- photos -----------------------------------------------------------------------------------

# What Pillow and the decoders raise for damaged or odd files.
_DECODE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, MemoryError)

_heif_lock = threading.Lock()
_heif_state: list[bool] = []


def heic_supported() -> bool:
    """Whether HEIC photos can be read here (pillow-heif importable); registers it once."""
    with _heif_lock:
        if not _heif_state:
            try:
                from pillow_heif import register_heif_opener
            except ImportError:
                _heif_state.append(False)
            else:
                register_heif_opener()
                _heif_state.append(True)
        return _heif_state[0]


class _PhotoProblem(Exception):
    def __init__(self, reason: str, values: Mapping[str, str | int] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.values = values or {}


@dataclass(frozen=True)
class _Photo:
    path: Path
    kind: Kind
    width: int  # as stored, before EXIF orientation (the long side is the same either way)
    height: int

    @property
    def long_side(self) -> int:
        return max(self.width, self.height)

    def pixels_at(self, side: int) -> float:
        """Pixel count after scaling to long side `side` (never scaled up)."""
        scale = min(1.0, side / self.long_side)
        return self.width * self.height * scale * scale


def _measure_photo(path: Path) -> _Photo:
    kind = sniff(path)
    if kind not in (Kind.JPEG, Kind.PNG, Kind.HEIC):
        refusal = refuse(path, EXPECTED_PHOTO)
        raise _PhotoProblem(refusal.reason, refusal.values)
    if kind is Kind.HEIC and not heic_supported():
        raise _PhotoProblem(HEIC_UNSUPPORTED)
    try:
        with _open_image(path) as image:
            return _Photo(path=path, kind=kind, width=image.width, height=image.height)
    except _DECODE_ERRORS as exc:
        raise _PhotoProblem(UNREADABLE) from exc


def _open_image(path: Path) -> Image.Image:
    try:
        with warnings.catch_warnings():
            # 50- to 108-megapixel phone photos trip Pillow's warning; they are legitimate.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(path)
    except Image.DecompressionBombError as exc:
        raise _PhotoProblem(IMAGE_TOO_BIG) from exc


def _load_photo(photo: _Photo, long_side: int) -> tuple[Image.Image, bytes | None]:
    """The photo upright (EXIF orientation applied), in RGB or L, with at most long_side."""
    with _open_image(photo.path) as image:
        if image.format == "JPEG" and long_side < photo.long_side:
            # Let the JPEG decoder skip detail we would throw away: 2-8x faster, less memory.
            ratio = long_side / photo.long_side
            image.draft("RGB", (math.ceil(image.width * ratio), math.ceil(image.height * ratio)))
        icc = image.info.get("icc_profile")
        upright = ImageOps.exif_transpose(image)
    flat = _flatten(upright)
    if upright.mode == "CMYK":
        icc = None  # a CMYK profile does not describe the converted RGB pixels
    if max(flat.size) > long_side:
        scale = long_side / max(flat.size)
        target = (max(1, round(flat.width * scale)), max(1, round(flat.height * scale)))
        flat = flat.resize(target, Image.Resampling.LANCZOS)
    return flat, icc


def _flatten(image: Image.Image) -> Image.Image:
    """An image JPEG can hold: transparency goes onto white paper, odd modes become RGB."""
    if image.mode in ("RGB", "L"):
        return image
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        paper = Image.new("RGB", rgba.size, (255, 255, 255))
        paper.paste(rgba, mask=rgba.getchannel("A"))
        return paper
    return image.convert("RGB")


def _encode_jpeg(image: Image.Image, quality: int, icc: bytes | None) -> bytes:
    buffer = io.BytesIO()
    # No EXIF is written: the pixels are already upright, and phone EXIF carries GPS location.
    if icc:
        image.save(buffer, "JPEG", quality=quality, optimize=True, icc_profile=icc)
    else:
        image.save(buffer, "JPEG", quality=quality, optimize=True)
    return buffer.getvalue()


Rung = tuple[int, int]  # (long side, JPEG quality)


def _ladder(top: int) -> list[Rung]:
    """PHOTO_LADDER for a photo set whose biggest long side is top, each rung below the one
    before (photos are never scaled up, so for small photos some rungs collapse into one)."""
    rungs: list[Rung] = []
    for side, quality in PHOTO_LADDER:
        size = top if side is None else min(side, top)
        if not rungs or size < rungs[-1][0] or (size == rungs[-1][0] and quality < rungs[-1][1]):
            rungs.append((size, quality))
    return rungs


@dataclass(frozen=True)
class _Encoded:
    rung: Rung
    pages: list[bytes]
    long_side: int

    @property
    def size(self) -> int:
        return sum(len(page) for page in self.pages)


# Encoded pages by (photo index, long side, quality): the probe's encodes at READABLE_LONG_SIDE
# are kept, so a rung at that size (the usual answer for a set of photos) costs no new encoding.
_PageCache = dict[tuple[int, int, int], tuple[bytes, int]]


def _encode_page(photo: _Photo, side: int, qualities: Sequence[int]) -> list[tuple[bytes, int]]:
    """One photo as JPEG at a long side, once per quality, each with the long side it got."""
    image, icc = _load_photo(photo, side)
    try:
        return [(_encode_jpeg(image, quality, icc), max(image.size)) for quality in qualities]
    finally:
        image.close()


def _predict(photos: Sequence[_Photo], rungs: Sequence[Rung], cache: _PageCache) -> list[float]:
    """A predicted total size for each rung, from one encode per quality at a middle size.

    Bytes per pixel drift with size (sensor noise makes full-size photos dearer per pixel, ~20%
    for the bench's photos; smooth scenes get cheaper), so a guess only picks which rung to
    encode for real; _fit_photos corrects the rest of the guesses with what it measures.
    """
    qualities = sorted({quality for _, quality in rungs})
    predicted = [0.0] * len(rungs)
    with ThreadPoolExecutor(max_workers=PHOTO_WORKERS) as pool:
        # Pillow lets go of the GIL while decoding, scaling and encoding: threads use every core.
        encoded = pool.map(lambda photo: _encode_page(photo, READABLE_LONG_SIDE, qualities), photos)
        for index, (photo, pages) in enumerate(zip(photos, encoded, strict=True)):
            for quality, (data, long_side) in zip(qualities, pages, strict=True):
                cache[index, long_side, quality] = (data, long_side)
            per_pixel = {
                quality: len(data) / photo.pixels_at(READABLE_LONG_SIDE)
                for quality, (data, _) in zip(qualities, pages, strict=True)
            }
            for i, (side, quality) in enumerate(rungs):
                predicted[i] += per_pixel[quality] * photo.pixels_at(side)
    return predicted


def _encode_set(
    photos: Sequence[_Photo], rung: Rung, budget: int, cache: _PageCache
) -> _Encoded | int:
    """Every photo as JPEG at one rung, or (when they do not fit) an estimate of their total.

    Stops as soon as the running total is past the budget, so a hopeless rung costs little.
    """
    side, quality = rung

    def page(index: int) -> tuple[bytes, int]:
        photo = photos[index]
        cached = cache.get((index, min(side, photo.long_side), quality))
        return cached if cached is not None else _encode_page(photo, side, [quality])[0]

    pages: list[bytes] = []
    longest = 0
    with ThreadPoolExecutor(max_workers=PHOTO_WORKERS) as pool:
        futures = [pool.submit(page, index) for index in range(len(photos))]
        try:
            for done, future in enumerate(futures, start=1):
                data, long_side = future.result()
                pages.append(data)
                longest = max(longest, long_side)
                total = sum(len(page) for page in pages)
                if total > budget:
                    return total * len(photos) // done
        finally:
            for future in futures:
                future.cancel()
    return _Encoded(rung=rung, pages=pages, long_side=longest)


def _fit_photos(photos: Sequence[_Photo], budget: int) -> _Encoded | int:
    """The photos encoded at the best rung that fits in budget bytes, or the smallest total seen.

    Rungs are picked by prediction and checked by real encoding; each real encode corrects the
    predictions, and after a fit one step back up is tried when the corrected guess allows it.
    """
    rungs = _ladder(min(MAX_LONG_SIDE, max(photo.long_side for photo in photos)))
    cache: _PageCache = {}
    predicted = _predict(photos, rungs, cache)
    correction = 1.0
    tried: set[int] = set()
    best: _Encoded | None = None
    smallest = math.inf

    def next_rung(after: int) -> int | None:
        for i in range(after + 1, len(rungs)):
            if i not in tried and predicted[i] * correction <= budget:
                return i
        last = len(rungs) - 1
        return last if last not in tried else None

    index = next_rung(-1)
    while index is not None:
        tried.add(index)
        outcome = _encode_set(photos, rungs[index], budget, cache)
        actual = outcome.size if isinstance(outcome, _Encoded) else outcome
        smallest = min(smallest, actual)
        correction = actual / max(predicted[index], 1.0)
        if isinstance(outcome, _Encoded):
            best = outcome
            up = index - 1
            if up >= 0 and up not in tried and predicted[up] * correction <= budget:
                index = up
                continue
            break
        if best is not None:
            break  # the step back up did not fit; keep the rung that did
        index = next_rung(index)
    return best if best is not None else int(smallest)


def images_to_pdf(paths: Sequence[Path], out: Path, limit: int = DOCUMENT_LIMIT) -> FitResult:
    """Several phone photos, in the order given, as one PDF of at most limit bytes."""
    if not paths:
        raise ValueError("images_to_pdf needs at least one photo")
    values: dict[str, str | int] = {"count": len(paths), "limit": mb(limit)}
    overhead = PDF_OVERHEAD_BYTES + PDF_OVERHEAD_PER_PAGE * len(paths)
    try:
        photos = [_measure_photo(Path(p)) for p in paths]
        fitted = _fit_photos(photos, limit - overhead)
    except _PhotoProblem as problem:
        return FitResult(ok=False, size=0, reason=problem.reason, values=problem.values)
    except _DECODE_ERRORS:
        log.warning("a photo could not be decoded", exc_info=True)
        return FitResult(ok=False, size=0, reason=UNREADABLE)
    if isinstance(fitted, _Encoded):
        # Imported here, like pypdf below: together they add ~50 MB to a process, and code that
        # only stores or sniffs files (the download job) should not pay for them.
        import img2pdf

        layout = img2pdf.get_layout_fun(
            pagesize=A4_POINTS, fit=img2pdf.FitMode.into, auto_orient=True
        )
        document = bytes(img2pdf.convert(*fitted.pages, layout_fun=layout))
        size = len(document)
    else:
        size = fitted + overhead
    if not isinstance(fitted, _Encoded) or size > limit:
        # size > limit would mean the overhead reserve was too small: never hand over a misfit.
        return FitResult(
            ok=False, size=size, reason=PHOTOS_TOO_LARGE, values=values | {"size": mb(size)}
        )
    _write_atomically(out, document)
    return FitResult(
        ok=True,
        size=size,
        reason=PHOTOS_COMBINED,
        values=values | {"size": mb(size)},
        kind=Kind.PDF,
        changed=True,
        long_side=fitted.long_side,
        quality=fitted.rung[1],
    )


def fit_image(path: Path, out: Path, limit: int = DOCUMENT_LIMIT) -> FitResult:
    """One photo or picture under limit: jpg/png already under it are kept byte for byte;
    anything else (HEIC, too big) becomes a JPEG."""
    path = Path(path)
    size = path.stat().st_size
    values: dict[str, str | int] = {"limit": mb(limit)}
    try:
        photo = _measure_photo(path)
        if photo.kind in (Kind.JPEG, Kind.PNG) and size <= limit:
            shutil.copyfile(path, out)
            return FitResult(
                ok=True,
                size=size,
                reason=KEPT,
                values=values | {"size": mb(size)},
                kind=photo.kind,
                long_side=photo.long_side,
            )
        fitted = _fit_photos([photo], limit)
    except _PhotoProblem as problem:
        return FitResult(ok=False, size=size, reason=problem.reason, values=problem.values)
    except _DECODE_ERRORS:
        log.warning("a photo could not be decoded", exc_info=True)
        return FitResult(ok=False, size=size, reason=UNREADABLE)
    if not isinstance(fitted, _Encoded):
        return FitResult(
            ok=False, size=fitted, reason=TOO_LARGE, values=values | {"size": mb(size)}
        )
    data = fitted.pages[0]
    _write_atomically(out, data)
    if photo.kind is Kind.HEIC:
        extra: dict[str, str | int] = {"source": FORMAT_NAMES[Kind.HEIC], "target": "jpg"}
        reason = CONVERTED
    else:
        extra, reason = {"before": mb(size)}, COMPRESSED
    return FitResult(
        ok=True,
        size=len(data),
        reason=reason,
        values=values | extra | {"size": mb(len(data))},
        kind=Kind.JPEG,
        changed=True,
        long_side=fitted.long_side,
        quality=fitted.rung[1],
    )


def heic_to_jpeg(path: Path, out: Path, limit: int = DOCUMENT_LIMIT) -> FitResult:
    """An iPhone HEIC photo as a JPEG under limit (needs pillow-heif; without it the result
    says so). Other photos go through fit_image's rules, so any photo is safe to pass."""
    return fit_image(path, out, limit)


# --- PDFs -------------------------------------------------------------------------------------


def _pdf_errors() -> tuple[type[Exception], ...]:
    """What pypdf raises on the odd PDFs phones and office suites produce."""
    from pypdf.errors import PyPdfError

    return (PyPdfError, OSError, ValueError, KeyError, TypeError, AttributeError, IndexError)


def fit_pdf(path: Path, out: Path, limit: int = DOCUMENT_LIMIT) -> FitResult:
    """A PDF under limit: kept when it already is, else compressed losslessly, then with its
    images recompressed step by step. Text and vector pages cannot shrink much; say so."""
    path = Path(path)
    kind = sniff(path)
    if kind is not Kind.PDF:
        return refuse(path, EXPECTED_PDF)
    size = path.stat().st_size
    values: dict[str, str | int] = {"limit": mb(limit)}
    from pypdf import PdfReader

    pdf_errors = _pdf_errors()
    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            return FitResult(ok=False, size=size, reason=PDF_LOCKED)
        page_count = len(reader.pages)
    except pdf_errors:
        return FitResult(ok=False, size=size, reason=UNREADABLE)
    if page_count == 0:
        return FitResult(ok=False, size=size, reason=UNREADABLE)
    if size <= limit:
        shutil.copyfile(path, out)
        return FitResult(
            ok=True, size=size, reason=KEPT, values=values | {"size": mb(size)}, kind=Kind.PDF
        )
    smallest = size
    attempts: list[tuple[int, int] | None] = [None, *PDF_IMAGE_LADDER]
    for attempt in attempts:
        try:
            data = _rewrite_pdf(reader, attempt)
        except pdf_errors:
            # pypdf meets PDFs it cannot rewrite; the next attempt or the verdict still stands.
            log.warning("rewriting a PDF failed", exc_info=True)
            continue
        smallest = min(smallest, len(data))
        if len(data) <= limit:
            _write_atomically(out, data)
            return FitResult(
                ok=True,
                size=len(data),
                reason=COMPRESSED,
                values=values | {"before": mb(size), "size": mb(len(data))},
                kind=Kind.PDF,
                changed=True,
                quality=attempt[0] if attempt else None,
            )
    return FitResult(ok=False, size=smallest, reason=TOO_LARGE, values=values | {"size": mb(size)})


def _rewrite_pdf(reader: PdfReader, images: tuple[int, int] | None) -> bytes:
    """The document rewritten compactly; with images=(quality, longest side), photos inside are
    recompressed as JPEG too."""
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=reader)
    if images is not None:
        quality, longest = images
        done: set[int] = set()
        for page in writer.pages:
            for picture in page.images:
                reference = picture.indirect_reference
                if reference is None or reference.idnum in done:
                    continue  # inline images cannot be replaced; shared ones only once
                done.add(reference.idnum)
                _recompress_pdf_image(picture, quality, longest)
    for page in writer.pages:
        page.compress_content_streams(level=9)
    writer.compress_identical_objects(remove_duplicates=True, remove_unreferenced=True)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _recompress_pdf_image(picture: ImageFile, quality: int, longest: int) -> None:
    # For JPEG images .data is the stored stream; for others a PNG of similar size.
    stored = len(picture.data)
    if stored < PDF_MIN_IMAGE_BYTES:
        return
    image = picture.image
    # Transparency, palettes, bilevel scans and CMYK would change look or grow as JPEG.
    if image is None or image.mode not in ("RGB", "L"):
        return
    if max(image.size) > longest:
        scale = longest / max(image.size)
        image = image.resize(
            (max(1, round(image.width * scale)), max(1, round(image.height * scale))),
            Image.Resampling.LANCZOS,
        )
    if len(_encode_jpeg(image, quality, None)) >= stored * 0.9:
        return
    picture.replace(image, quality=quality)


# --- audio and video --------------------------------------------------------------------------

_AV_KINDS = (Kind.MP4, Kind.MOV, Kind.MP3, Kind.M4A)
_DURATION = re.compile(rb"Duration:\s*(\d+):(\d{2}):(\d{2}(?:\.\d+)?)")
_VIDEO_CODEC = re.compile(rb"Stream #\S+.*?: Video: (\w+)")
_AUDIO_CODEC = re.compile(rb"Stream #\S+.*?: Audio: (\w+)")


def fit_av(
    path: Path,
    out: Path,
    kind: Kind | None = None,
    limit: int = AV_LIMIT,
    timeout: float = AV_TIMEOUT_SECONDS,
) -> FitResult:
    """A video or sound recording as mp4/mp3 under limit.

    mp4/mp3 already under the cap are kept byte for byte. Everything else (mov→mp4, m4a→mp3,
    compression) needs ffmpeg; without it the result says so ("no converter").
    """
    path = Path(path)
    kind = sniff(path) if kind is None else Kind(kind)
    if kind not in _AV_KINDS:
        return refuse(path, EXPECTED_AV)
    size = path.stat().st_size
    audio_only = kind in (Kind.MP3, Kind.M4A)
    target = Kind.MP3 if audio_only else Kind.MP4
    values: dict[str, str | int] = {
        "limit": mb(limit),
        "size": mb(size),
        "kind": FORMAT_NAMES[kind],
        "target": FORMAT_NAMES[target],
    }
    if kind is target and size <= limit:
        shutil.copyfile(path, out)
        return FitResult(ok=True, size=size, reason=KEPT, values=values, kind=kind)
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        reason = NO_CONVERTER if kind is not target else NO_CONVERTER_TOO_LARGE
        return FitResult(ok=False, size=size, reason=reason, values=values)
    converter = _Ffmpeg(ffmpeg, timeout)
    try:
        info = converter.probe(path, kind)
        if audio_only:
            return _fit_audio(converter, path, out, kind, size, info, limit, values)
        return _fit_video(converter, path, out, kind, size, info, limit, values)
    except _ConverterFailed:
        return FitResult(ok=False, size=size, reason=CONVERTER_FAILED, values=values)


class _ConverterFailed(Exception):
    pass


@dataclass(frozen=True)
class _AvInfo:
    seconds: float | None
    video_codec: str | None
    audio_codec: str | None


class _Ffmpeg:
    """ffmpeg run as a child process with a time limit; input formats are forced, so a file
    that only pretends to be a video (e.g. an HLS playlist) cannot make it open URLs or files."""

    def __init__(self, executable: str, timeout: float) -> None:
        self.executable = executable
        self.timeout = timeout

    def _run(self, arguments: list[str]) -> subprocess.CompletedProcess[bytes]:
        command = [self.executable, "-hide_banner", "-nostdin", *arguments]
        try:
            return subprocess.run(command, capture_output=True, timeout=self.timeout, check=False)
        except (subprocess.TimeoutExpired, OSError) as exc:
            raise _ConverterFailed(str(exc)) from exc

    def probe(self, path: Path, kind: Kind) -> _AvInfo:
        # Without an output ffmpeg exits 1 after printing what it found; that is all we need.
        stderr = self._run(["-f", _demuxer(kind), "-i", str(path)]).stderr
        found = _DURATION.search(stderr)
        seconds = None
        if found:
            hours, minutes, secs = found.groups()
            seconds = int(hours) * 3600 + int(minutes) * 60 + float(secs)
        video = _VIDEO_CODEC.search(stderr)
        audio = _AUDIO_CODEC.search(stderr)
        if video is None and audio is None:
            raise _ConverterFailed("no streams")
        return _AvInfo(
            seconds=seconds,
            video_codec=video.group(1).decode() if video else None,
            audio_codec=audio.group(1).decode() if audio else None,
        )

    def convert(self, path: Path, kind: Kind, arguments: list[str], out_format: str) -> bytes:
        with tempfile.TemporaryDirectory(prefix="fit-av-") as work:
            target = Path(work) / f"out.{out_format}"
            result = self._run(
                ["-f", _demuxer(kind), "-i", str(path), "-map_metadata", "-1", *arguments]
                + ["-f", out_format, "-y", str(target)]
            )
            if result.returncode != 0 or not target.is_file():
                raise _ConverterFailed(result.stderr[-500:].decode(errors="replace"))
            return target.read_bytes()


def _demuxer(kind: Kind) -> str:
    return "mp3" if kind is Kind.MP3 else "mov"  # ffmpeg's mov demuxer reads mp4, mov and m4a


def _too_long(
    seconds: float, size: int, limit: int, min_kbps: int, values: dict[str, str | int]
) -> FitResult:
    max_minutes = max(1, int(limit * AV_TARGET_FRACTION * 8 / (min_kbps * 1000) / 60))
    return FitResult(
        ok=False,
        size=size,
        reason=AV_TOO_LONG,
        values=values | {"minutes": math.ceil(seconds / 60), "max_minutes": max_minutes},
    )


def _fit_audio(
    converter: _Ffmpeg,
    path: Path,
    out: Path,
    kind: Kind,
    size: int,
    info: _AvInfo,
    limit: int,
    values: dict[str, str | int],
) -> FitResult:
    if info.audio_codec is None:
        raise _ConverterFailed("no audio stream")
    kbps = AUDIO_KBPS
    if info.seconds:
        kbps = min(kbps, int(limit * AV_TARGET_FRACTION * 8 / info.seconds / 1000))
        if kbps < MIN_AUDIO_KBPS:
            return _too_long(info.seconds, size, limit, MIN_AUDIO_KBPS, values)
    for _ in range(2):
        data = converter.convert(
            path, kind, ["-vn", "-map", "0:a:0", "-c:a", "libmp3lame", "-b:a", f"{kbps}k"], "mp3"
        )
        if len(data) <= limit:
            return _converted(out, data, kind, size, Kind.MP3, values)
        kbps = max(MIN_AUDIO_KBPS, int(kbps * limit / len(data) * 0.95))
    return FitResult(
        ok=False, size=len(data), reason=AV_TOO_LARGE, values=values | {"size": mb(len(data))}
    )


def _fit_video(
    converter: _Ffmpeg,
    path: Path,
    out: Path,
    kind: Kind,
    size: int,
    info: _AvInfo,
    limit: int,
    values: dict[str, str | int],
) -> FitResult:
    if info.video_codec is None:
        raise _ConverterFailed("no video stream")
    # An iPhone mov under the cap in H.264/AAC only needs a new container, not a new encoding.
    if size <= limit and info.video_codec == "h264" and info.audio_codec in (None, "aac"):
        data = converter.convert(path, kind, ["-c", "copy", "-movflags", "+faststart"], "mp4")
        if len(data) <= limit:
            return _converted(out, data, kind, size, Kind.MP4, values)
    seconds = info.seconds or 60.0
    total_kbps = int(limit * AV_TARGET_FRACTION * 8 / seconds / 1000)
    if total_kbps < MIN_VIDEO_TOTAL_KBPS:
        return _too_long(seconds, size, limit, MIN_VIDEO_TOTAL_KBPS, values)
    audio_kbps = VIDEO_AUDIO_KBPS if info.audio_codec else 0
    for _ in range(2):
        video_kbps = total_kbps - audio_kbps
        long_side = next(side for floor, side in VIDEO_SIZES if total_kbps >= floor)
        scale = (
            f"scale=w='min({long_side},iw)':h='min({long_side},ih)'"
            ":force_original_aspect_ratio=decrease:force_divisible_by=2"
        )
        arguments = ["-map", "0:v:0", "-vf", scale, "-c:v", "libx264", "-preset", "veryfast"]
        arguments += ["-b:v", f"{video_kbps}k", "-maxrate", f"{int(video_kbps * 1.3)}k"]
        arguments += ["-bufsize", f"{video_kbps * 2}k", "-pix_fmt", "yuv420p"]
        if audio_kbps:
            arguments += ["-map", "0:a:0", "-c:a", "aac", "-b:a", f"{audio_kbps}k"]
        arguments += ["-movflags", "+faststart"]
        data = converter.convert(path, kind, arguments, "mp4")
        if len(data) <= limit:
            return _converted(out, data, kind, size, Kind.MP4, values)
        total_kbps = int(total_kbps * limit / len(data) * 0.9)
        if total_kbps < MIN_VIDEO_TOTAL_KBPS:
            return _too_long(seconds, size, limit, MIN_VIDEO_TOTAL_KBPS, values)
    return FitResult(
        ok=False, size=len(data), reason=AV_TOO_LARGE, values=values | {"size": mb(len(data))}
    )


def _converted(
    out: Path, data: bytes, kind: Kind, size: int, target: Kind, values: dict[str, str | int]
) -> FitResult:
    _write_atomically(out, data)
    if kind is target:
        reason, extra = COMPRESSED, {"before": mb(size)}
    else:
        reason, extra = CONVERTED, {"source": FORMAT_NAMES[kind]}
    return FitResult(
        ok=True,
        size=len(data),
        reason=reason,
        values=values | extra | {"size": mb(len(data))},
        kind=target,
        changed=True,
    )


# --- any upload -------------------------------------------------------------------------------


def fit_upload(
    path: Path, out: Path, document_limit: int = DOCUMENT_LIMIT, av_limit: int = AV_LIMIT
) -> FitResult:
    """Whatever a student sent, prepared for the central database, by what its bytes are."""
    path = Path(path)
    kind = sniff(path)
    if kind in (Kind.JPEG, Kind.PNG, Kind.HEIC):
        return fit_image(path, out, document_limit)
    if kind is Kind.PDF:
        return fit_pdf(path, out, document_limit)
    if kind in _AV_KINDS:
        return fit_av(path, out, kind, av_limit)
    return refuse(path)


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
