"""Photos under the national 4 MB document cap: several combined into one PDF, or one fitted.

Readable text is what is kept: the sizes and qualities tried stop where text stays legible.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from media.kinds import (
    COMPRESSED,
    CONVERTED,
    DOCUMENT_LIMIT,
    FORMAT_NAMES,
    KEPT,
    PHOTOS_COMBINED,
    PHOTOS_TOO_LARGE,
    TOO_LARGE,
    UNREADABLE,
    FitResult,
    Kind,
    _write_atomically,
    mb,
)
from media.photos import DECODE_ERRORS, Photo, PhotoProblem, encode_jpeg, load_photo, measure_photo

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


# What img2pdf adds around the JPEGs (measured ~1 KB a page); generous so one pass usually fits.
PDF_OVERHEAD_BYTES = 8 * 1024


PDF_OVERHEAD_PER_PAGE = 2 * 1024


# Photo pages are laid out on A4, turned to landscape for landscape photos.
A4_POINTS = (210 * 72 / 25.4, 297 * 72 / 25.4)


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


def _encode_page(photo: Photo, side: int, qualities: Sequence[int]) -> list[tuple[bytes, int]]:
    """One photo as JPEG at a long side, once per quality, each with the long side it got."""
    image, icc = load_photo(photo, side)
    try:
        return [(encode_jpeg(image, quality, icc), max(image.size)) for quality in qualities]
    finally:
        image.close()


def _predict(photos: Sequence[Photo], rungs: Sequence[Rung], cache: _PageCache) -> list[float]:
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
    photos: Sequence[Photo], rung: Rung, budget: int, cache: _PageCache
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


def _fit_photos(photos: Sequence[Photo], budget: int) -> _Encoded | int:
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
        photos = [measure_photo(Path(p)) for p in paths]
        fitted = _fit_photos(photos, limit - overhead)
    except PhotoProblem as problem:
        return FitResult(ok=False, size=0, reason=problem.reason, values=problem.values)
    except DECODE_ERRORS:
        log.warning("a photo could not be decoded", exc_info=True)
        return FitResult(ok=False, size=0, reason=UNREADABLE)
    if isinstance(fitted, _Encoded):
        # Imported here, like pypdf in media/pdf_fit.py: together they add ~50 MB to a process,
        # and code that only stores or sniffs files (the download job) should not pay for them.
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
        photo = measure_photo(path)
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
    except PhotoProblem as problem:
        return FitResult(ok=False, size=size, reason=problem.reason, values=problem.values)
    except DECODE_ERRORS:
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
