"""Reading photos within a memory budget: size from the header, upright pixels, JPEG bytes."""

from __future__ import annotations

import io
import math
import threading
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps

from media.kinds import EXPECTED_PHOTO, HEIC_UNSUPPORTED, IMAGE_TOO_BIG, UNREADABLE, FitResult, Kind
from media.sniff import refuse, sniff

# The most pixels a picture may have: a 48-50 MP phone photo with room to spare. Checked from
# the file's header before anything is decoded; a 13000 x 13000 PNG of 0.5 MB (169 MP, 1.5 GB
# once decoded) is refused instead of taking the worker's memory.
MAX_PHOTO_PIXELS = 50_000_000
# Pixels a process decodes at once, over all its threads and jobs: one picture at the budget
# always gets through, several big ones wait for each other.
DECODE_PIXELS_AT_ONCE = 60_000_000


# What Pillow and the decoders raise for damaged or odd files.
DECODE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, MemoryError)


_heif_lock = threading.Lock()


_heif_state: list[bool] = []


def heic_supported() -> bool:
    """Whether HEIC photos can be read here (pillow-heif importable); registers it once."""
    with _heif_lock:
        if not _heif_state:
            try:
                # Optional: pillow-heif may not be installed; then HEIC is refused kindly.
                from pillow_heif import register_heif_opener
            except ImportError:
                _heif_state.append(False)
            else:
                register_heif_opener()
                _heif_state.append(True)
        return _heif_state[0]


class PhotoProblem(Exception):
    def __init__(self, reason: str, values: Mapping[str, str | int] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.values = values or {}


@dataclass(frozen=True)
class Photo:
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


def measure_photo(path: Path) -> Photo:
    """The picture's kind and size, from its header alone (nothing is decoded here)."""
    kind = sniff(path)
    if kind not in (Kind.JPEG, Kind.PNG, Kind.HEIC):
        refusal = refuse(path, EXPECTED_PHOTO)
        raise PhotoProblem(refusal.reason, refusal.values)
    if kind is Kind.HEIC and not heic_supported():
        raise PhotoProblem(HEIC_UNSUPPORTED)
    try:
        with _open_image(path) as image:
            photo = Photo(path=path, kind=kind, width=image.width, height=image.height)
    except DECODE_ERRORS as exc:
        raise PhotoProblem(UNREADABLE) from exc
    if photo.width * photo.height > MAX_PHOTO_PIXELS:
        raise PhotoProblem(IMAGE_TOO_BIG)
    return photo


def photo_refusal(path: Path) -> FitResult | None:
    """Why this photo cannot be taken (unreadable, or too many pixels), from its header alone;
    None when it can."""
    try:
        measure_photo(Path(path))
    except PhotoProblem as problem:
        return FitResult(
            ok=False, size=Path(path).stat().st_size, reason=problem.reason, values=problem.values
        )
    return None


class _PixelBudget:
    """Pixels being decoded in this process; a decode waits until its pixels fit."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.used = 0
        self._changed = threading.Condition()

    def take(self, pixels: int) -> int:
        pixels = min(max(pixels, 1), self.capacity)
        with self._changed:
            self._changed.wait_for(lambda: self.used + pixels <= self.capacity)
            self.used += pixels
        return pixels

    def give_back(self, pixels: int) -> None:
        with self._changed:
            self.used -= pixels
            self._changed.notify_all()


_decoding = _PixelBudget(DECODE_PIXELS_AT_ONCE)


def _decode_cost(photo: Photo, long_side: int) -> int:
    """Pixels a decode holds: JPEG's draft mode decodes at most 2x the target per side."""
    full = photo.width * photo.height
    if photo.kind is Kind.JPEG:
        return min(full, int(4 * photo.pixels_at(long_side)))
    return full


def _open_image(path: Path) -> Image.Image:
    try:
        with warnings.catch_warnings():
            # 50- to 108-megapixel phone photos trip Pillow's warning; they are legitimate.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(path)
    except Image.DecompressionBombError as exc:
        raise PhotoProblem(IMAGE_TOO_BIG) from exc


def load_photo(photo: Photo, long_side: int) -> tuple[Image.Image, bytes | None]:
    """The photo upright (EXIF orientation applied), in RGB or L, with at most long_side."""
    held = _decoding.take(_decode_cost(photo, long_side))
    try:
        return _decode_photo(photo, long_side)
    finally:
        _decoding.give_back(held)


_REDUCIBLE = frozenset({"L", "LA", "RGB", "RGBA", "RGBa", "La"})


def _decode_photo(photo: Photo, long_side: int) -> tuple[Image.Image, bytes | None]:
    with _open_image(photo.path) as image:
        if image.format == "JPEG" and long_side < photo.long_side:
            # Let the JPEG decoder skip detail we would throw away: 2-8x faster, less memory.
            ratio = long_side / photo.long_side
            image.draft("RGB", (math.ceil(image.width * ratio), math.ceil(image.height * ratio)))
        icc = image.info.get("icc_profile")
        source: Image.Image = image
        factor = photo.long_side // long_side
        if image.format != "JPEG" and factor > 1 and image.mode in _REDUCIBLE:
            # No draft mode outside JPEG: shrink by a whole factor at once, then let the big
            # decoded image go before anything else is made from it.
            source = image.reduce(factor)
            image.close()
        source.load()
        # In place: a turned copy of a big picture would double what it holds.
        ImageOps.exif_transpose(source, in_place=True)
        upright = source
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


def encode_jpeg(image: Image.Image, quality: int, icc: bytes | None) -> bytes:
    buffer = io.BytesIO()
    # No EXIF is written: the pixels are already upright, and phone EXIF carries GPS location.
    if icc:
        image.save(buffer, "JPEG", quality=quality, optimize=True, icc_profile=icc)
    else:
        image.save(buffer, "JPEG", quality=quality, optimize=True)
    return buffer.getvalue()
