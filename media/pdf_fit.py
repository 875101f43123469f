"""PDFs under the document cap: kept, compressed losslessly, or with their images recompressed."""

from __future__ import annotations

import io
import logging
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

from media.kinds import (
    COMPRESSED,
    DOCUMENT_LIMIT,
    EXPECTED_PDF,
    KEPT,
    PDF_LOCKED,
    TOO_LARGE,
    UNREADABLE,
    FitResult,
    Kind,
    _write_atomically,
    mb,
)
from media.photos import encode_jpeg
from media.sniff import refuse, sniff

if TYPE_CHECKING:
    from pypdf import PdfReader
    from pypdf._page import ImageFile

log = logging.getLogger(__name__)

# PDFs over the cap: (JPEG quality, longest image side) per attempt, after a lossless pass.
PDF_IMAGE_LADDER: tuple[tuple[int, int], ...] = ((80, 3000), (70, 2400), (60, 2000), (50, 1600))


# Images smaller than this are not worth recompressing.
PDF_MIN_IMAGE_BYTES = 32 * 1024


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
    if len(encode_jpeg(image, quality, None)) >= stored * 0.9:
        return
    picture.replace(image, quality=quality)
