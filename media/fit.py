"""Any upload fitted under the national caps: sniffed by its bytes, then handed to the fitting for
its kind (media.documents for photos, media.pdf_fit for PDFs, media.av for audio and video)."""

from __future__ import annotations

from pathlib import Path

from media.av import AV_KINDS, fit_av
from media.documents import fit_image
from media.kinds import (
    AV_LIMIT,
    DOCUMENT_LIMIT,
    FitResult,
    Kind,
)
from media.pdf_fit import fit_pdf
from media.sniff import refuse, sniff


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
    if kind in AV_KINDS:
        return fit_av(path, out, kind, av_limit)
    return refuse(path)
