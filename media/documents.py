"""Photos and PDFs under the national 4 MB document cap: photos combined into one PDF, a single
image fitted, a PDF's images recompressed; readable text is what is kept."""

from __future__ import annotations

import io
import logging
import math
import os
import shutil
import threading
import warnings
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image, ImageOps

from media.kinds import (
    COMPRESSED,
    CONVERTED,
    DOCUMENT_LIMIT,
    EXPECTED_PDF,
    EXPECTED_PHOTO,
    FORMAT_NAMES,
    HEIC_UNSUPPORTED,
    IMAGE_TOO_BIG,
    KEPT,
    PDF_LOCKED,
    PHOTOS_COMBINED,
    PHOTOS_TOO_LARGE,
    TOO_LARGE,
    UNREADABLE,
    FitResult,
    Kind,
    _write_atomically,
    mb,
)
from media.sniff import refuse, sniff

if TYPE_CHECKING:
    from pypdf import PdfReader
    from pypdf._page import ImageFile

log = logging.getLogger(__name__)

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
# The most pixels a picture may have: a 48-50 MP phone photo with room to spare. Checked from
# the file's header before anything is decoded; a 13000 x 13000 PNG of 0.5 MB (169 MP, 1.5 GB
# once decoded) is refused instead of taking the worker's memory.
MAX_PHOTO_PIXELS = 50_000_000
# Pixels a process decodes at once, over all its threads and jobs: one picture at the budget
# always gets through, several big ones wait for each other.
DECODE_PIXELS_AT_ONCE = 60_000_000


# What img2pdf adds around the JPEGs (measured ~1 KB a page); generous so one pass usually fits.
PDF_OVERHEAD_BYTES = 8 * 1024


PDF_OVERHEAD_PER_PAGE = 2 * 1024


# Photo pages are laid out on A4, turned to landscape for landscape photos.
A4_POINTS = (210 * 72 / 25.4, 297 * 72 / 25.4)


# PDFs over the cap: (JPEG quality, longest image side) per attempt, after a lossless pass.
PDF_IMAGE_LADDER: tuple[tuple[int, int], ...] = ((80, 3000), (70, 2400), (60, 2000), (50, 1600))


# Images smaller than this are not worth recompressing.
PDF_MIN_IMAGE_BYTES = 32 * 1024


# What Pillow and the decoders raise for damaged or odd files.
_DECODE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, MemoryError)


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
    """The picture's kind and size, from its header alone (nothing is decoded here)."""
    kind = sniff(path)
    if kind not in (Kind.JPEG, Kind.PNG, Kind.HEIC):
        refusal = refuse(path, EXPECTED_PHOTO)
        raise _PhotoProblem(refusal.reason, refusal.values)
    if kind is Kind.HEIC and not heic_supported():
        raise _PhotoProblem(HEIC_UNSUPPORTED)
    try:
        with _open_image(path) as image:
            photo = _Photo(path=path, kind=kind, width=image.width, height=image.height)
    except _DECODE_ERRORS as exc:
        raise _PhotoProblem(UNREADABLE) from exc
    if photo.width * photo.height > MAX_PHOTO_PIXELS:
        raise _PhotoProblem(IMAGE_TOO_BIG)
    return photo


def photo_refusal(path: Path) -> FitResult | None:
    """Why this photo cannot be taken (unreadable, or too many pixels), from its header alone;
    None when it can."""
    try:
        _measure_photo(Path(path))
    except _PhotoProblem as problem:
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


def _decode_cost(photo: _Photo, long_side: int) -> int:
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
        raise _PhotoProblem(IMAGE_TOO_BIG) from exc


def _load_photo(photo: _Photo, long_side: int) -> tuple[Image.Image, bytes | None]:
    """The photo upright (EXIF orientation applied), in RGB or L, with at most long_side."""
    held = _decoding.take(_decode_cost(photo, long_side))
    try:
        return _decode_photo(photo, long_side)
    finally:
        _decoding.give_back(held)


_REDUCIBLE = frozenset({"L", "LA", "RGB", "RGBA", "RGBa", "La"})


def _decode_photo(photo: _Photo, long_side: int) -> tuple[Image.Image, bytes | None]:
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


def _pdf_errors() -> tuple[type[Exception], ...]:
    """What pypdf raises on the odd PDFs phones and office suites produce."""
    # pypdf is loaded only by the processes that fit a PDF (here and below), not by every import.
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
    from pypdf import PdfReader  # loaded only when a PDF is fitted (see _pdf_errors)

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
    from pypdf import PdfWriter  # loaded only when a PDF is fitted (see _pdf_errors)

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
