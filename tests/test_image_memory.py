"""Image memory: a picture's size is read from its header and refused before any decoding."""

from __future__ import annotations

import hashlib
import io
import threading
from typing import Any

from PIL import Image

from media import photos as fit
from tests.support import Chat
from tests.test_upload import STUDENT, jpeg_bytes, send_photos, start_upload


def _bomb_png(side: int = 13000) -> bytes:
    """13000 x 13000 of one colour: about 0.5 MB as PNG, 169 MP (1.5 GB) once decoded."""
    buffer = io.BytesIO()
    Image.new("L", (side, side), 250).save(buffer, "PNG")
    return buffer.getvalue()


def test_a_decompression_bomb_photo_is_refused_without_decoding(
    chat: Chat, school: Any, db: Any, monkeypatch: Any
) -> None:
    decoded: list[Any] = []
    real = fit._decode_photo
    monkeypatch.setattr(fit, "_decode_photo", lambda *a: decoded.append(a) or real(*a))
    start_upload(chat)
    bomb = _bomb_png()
    assert len(bomb) < 1024 * 1024
    said = Chat.texts(send_photos(chat, STUDENT, [bomb], together=False))
    assert "解析度太高" in said
    assert decoded == []
    assert hashlib.sha256(bomb).hexdigest() not in set(chat.svc.files.iter_all())
    # An ordinary photo still goes through.
    said = Chat.texts(send_photos(chat, STUDENT, [jpeg_bytes("ok")], together=False))
    assert "解析度太高" not in said


def test_pictures_decoded_at_once_stay_within_the_pixel_budget() -> None:
    budget = fit._PixelBudget(60)
    first = budget.take(50)
    taken = threading.Event()

    def second() -> None:
        budget.give_back(budget.take(50))
        taken.set()

    worker = threading.Thread(target=second)
    worker.start()
    assert not taken.wait(0.2)  # waits: 50 + 50 pixels would be over 60
    budget.give_back(first)
    assert taken.wait(5)
    worker.join()
    assert budget.used == 0
    assert budget.take(10**9) == 60  # one picture larger than the budget still gets through alone


def test_the_pixel_budget_fits_a_phone_photo_and_not_a_bomb() -> None:
    assert 8160 * 6120 <= fit.MAX_PHOTO_PIXELS < 13000 * 13000  # a 50 MP phone photo fits
    assert fit.MAX_PHOTO_PIXELS <= fit.DECODE_PIXELS_AT_ONCE
