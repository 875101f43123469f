"""Sniffing files by their bytes and fitting photos, PDFs and video under the national caps."""

from __future__ import annotations

import functools
import io
import itertools
import os
import random
import shutil
import stat
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import img2pdf
import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFont
from pypdf import PdfReader, PdfWriter

from catalogue import TEXTS, text
from media import av, documents, photos
from media.av import fit_av
from media.documents import (
    MIN_LONG_SIDE,
    READABLE_LONG_SIDE,
    fit_image,
    heic_to_jpeg,
    images_to_pdf,
)
from media.fit import fit_upload
from media.kinds import (
    AV_TOO_LONG,
    COMPRESSED,
    CONVERTED,
    CONVERTER_FAILED,
    DOCUMENT_LIMIT,
    EXPECTED_AV,
    EXPECTED_PDF,
    EXPECTED_PHOTO,
    HEAD_BYTES,
    HEIC_UNSUPPORTED,
    KEPT,
    NO_CONVERTER,
    NO_CONVERTER_TOO_LARGE,
    PDF_LOCKED,
    PHOTOS_COMBINED,
    PHOTOS_TOO_LARGE,
    REASONS,
    TOO_LARGE,
    UNKNOWN_FORMAT,
    UNREADABLE,
    UNSUPPORTED,
    FitResult,
    Kind,
    classify_for_upload,
    mb,
)
from media.pdf_fit import fit_pdf
from media.photos import heic_supported
from media.sniff import sniff, sniff_bytes

# --- generated test data ----------------------------------------------------------------------


@functools.cache
def _scene(width: int, height: int) -> Image.Image:
    """A landscape photo-like scene: uneven light, surface texture, paper, sensor grain.

    Made once per size; each photo is a shifted crop of it with its own text, which keeps ten
    photos cheap to make while each still compresses like a phone photo.
    """
    rng = random.Random(width * 7919 + height)
    size = (width + 64, height + 64)
    light = Image.frombytes("RGB", (8, 6), rng.randbytes(8 * 6 * 3))
    light = light.resize(size, Image.Resampling.BICUBIC)
    small = (size[0] // 6, size[1] // 6)
    texture = Image.frombytes("L", small, rng.randbytes(small[0] * small[1]))
    texture = texture.resize(size, Image.Resampling.BICUBIC).point(lambda v: 128 + (v - 128) // 3)
    scene = ImageChops.add(light, Image.merge("RGB", (texture,) * 3), offset=-128)
    paper = (size[0] // 8, size[1] // 8, size[0] * 7 // 8, size[1] * 7 // 8)
    ImageDraw.Draw(scene).rectangle(paper, fill=(236, 232, 222))
    grain = Image.frombytes("L", size, rng.randbytes(size[0] * size[1]))
    grain = grain.point(lambda v: 128 + (v - 128) * 16 // 128)
    return ImageChops.add(scene, Image.merge("RGB", (grain,) * 3), offset=-128)


def make_photo(
    path: Path,
    size: tuple[int, int] = (2000, 1500),
    label: str = "photo",
    quality: int = 92,
    orientation: int | None = None,
) -> Path:
    """A phone-like JPEG (noise + text) of the given stored size, optionally with EXIF rotation."""
    width, height = size
    shift = sum(label.encode()) % 64
    scene = _scene(max(size), min(size))
    if height > width:
        scene = scene.transpose(Image.Transpose.ROTATE_90)
    image = scene.crop((shift, shift, shift + width, shift + height))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=max(16, height // 30))
    for line in range(8):
        top = height // 6 + line * height // 14
        words = f"{label} line {line}: 學習歷程 0123456789"
        draw.text((width // 6, top), words, fill=(20, 20, 30), font=font)
    options: dict[str, object] = {"quality": quality}
    if orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = orientation
        options["exif"] = exif.tobytes()
    image.save(path, "JPEG", **options)
    return path


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    box = struct.pack(">I4s4sI", 16 + 4 * len(compatible), b"ftyp", major, 0)
    return box + b"".join(compatible)


def fake_mp4(path: Path, size: int = 50_000, major: bytes = b"isom", *compat: bytes) -> Path:
    """An ISO media file header followed by filler: enough for sniffing and size rules."""
    header = ftyp(major, *(compat or (b"isom", b"mp41")))
    filler = os.urandom(max(0, size - len(header) - 8))
    path.write_bytes(header + struct.pack(">I4s", len(filler) + 8, b"mdat") + filler)
    return path


def mp3_frames(count: int = 6) -> bytes:
    # MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, no padding: 417-byte frames.
    frame = b"\xff\xfb\x90\x64" + bytes(413)
    return frame * count


def id3_tag(body_size: int) -> bytes:
    size = bytes((body_size >> shift) & 0x7F for shift in (21, 14, 7, 0))
    return b"ID3\x04\x00\x00" + size + bytes(body_size)


def photo_pdf(path: Path, photos: list[Path]) -> Path:
    path.write_bytes(img2pdf.convert(*[str(p) for p in photos]))
    return path


def assert_explained(result: FitResult) -> str:
    """The result's reason is in the catalogue and its values fill every placeholder."""
    assert result.reason in TEXTS
    sentence = text(result.reason, **result.values)
    assert "{" not in sentence and "}" not in sentence
    return sentence


@pytest.fixture(scope="module")
def big_photo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One 4000x3000 phone photo over the 4 MB cap."""
    path = make_photo(tmp_path_factory.mktemp("big") / "IMG_0001.JPG", (4000, 3000), quality=95)
    assert path.stat().st_size > DOCUMENT_LIMIT
    return path


# --- sniffing ---------------------------------------------------------------------------------


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, "PNG")
    return buffer.getvalue()


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, "JPEG")
    return buffer.getvalue()


def _pdf() -> bytes:
    return bytes(img2pdf.convert(_jpeg()))


SAMPLES: list[tuple[str, bytes, Kind]] = [
    ("photo.pdf", _jpeg(), Kind.JPEG),
    ("scan.jpg", _png(), Kind.PNG),
    ("video.mp4", _pdf(), Kind.PDF),
    ("junk-then-pdf.txt", b"\r\n\r\n" + _pdf(), Kind.PDF),
    ("song.mp3", ftyp(b"isom", b"isom", b"avc1") + bytes(64), Kind.MP4),
    ("clip.mov", ftyp(b"mp42", b"mp42", b"isom") + bytes(64), Kind.MP4),
    ("clip.mp4", ftyp(b"qt  ", b"qt  ") + bytes(64), Kind.MOV),
    ("old.mp4", struct.pack(">I4s", 100, b"moov") + bytes(92), Kind.MOV),
    ("voice.mp4", ftyp(b"M4A ", b"M4A ", b"mp42", b"isom") + bytes(64), Kind.M4A),
    ("IMG_1234.jpg", ftyp(b"heic", b"mif1", b"heic") + bytes(64), Kind.HEIC),
    ("IMG_1235.jpg", ftyp(b"mif1", b"mif1", b"heic") + bytes(64), Kind.HEIC),
    ("picture.heic", ftyp(b"avif", b"avif", b"mif1") + bytes(64), Kind.OTHER),
    ("phone.mp4", ftyp(b"3gp4", b"3gp4") + bytes(64), Kind.OTHER),
    ("talk.m4a", mp3_frames(), Kind.MP3),
    ("tagged.wav", id3_tag(300) + mp3_frames(), Kind.MP3),
    ("fake.mp3", id3_tag(300) + os.urandom(2000), Kind.OTHER),
    ("report.pdf", b"Dear teacher, here is my report.", Kind.OTHER),
    ("archive.pdf", b"PK\x03\x04" + bytes(100), Kind.OTHER),
    ("empty.jpg", b"", Kind.OTHER),
]


@pytest.mark.parametrize(("name", "content", "expected"), SAMPLES, ids=[s[0] for s in SAMPLES])
def test_sniff_goes_by_bytes_not_names(
    tmp_path: Path, name: str, content: bytes, expected: Kind
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert sniff(path) is expected


def test_sniff_reads_past_a_long_id3_tag(tmp_path: Path) -> None:
    # Album art makes the tag longer than the head the store keeps while streaming.
    content = id3_tag(20_000) + mp3_frames()
    (tmp_path / "a").write_bytes(content)
    assert sniff(tmp_path / "a") is Kind.MP3
    assert sniff_bytes(content[:HEAD_BYTES]) is Kind.MP3


def test_random_bytes_are_not_taken_for_mp3() -> None:
    rng = random.Random(7)
    kinds = {sniff_bytes(rng.randbytes(HEAD_BYTES)) for _ in range(300)}
    assert kinds == {Kind.OTHER}


def test_real_heic_is_sniffed(tmp_path: Path) -> None:
    pytest.importorskip("pillow_heif")
    assert heic_supported()
    path = tmp_path / "IMG_0002.jpg"
    Image.new("RGB", (64, 48), "red").save(path, format="HEIF")
    assert sniff(path) is Kind.HEIC


@pytest.mark.parametrize(
    ("kind", "slot"),
    [
        (Kind.JPEG, "document"),
        (Kind.PNG, "document"),
        (Kind.HEIC, "document"),
        (Kind.PDF, "document"),
        (Kind.MP4, "av"),
        (Kind.MOV, "av"),
        (Kind.MP3, "av"),
        (Kind.M4A, "av"),
        (Kind.OTHER, None),
    ],
)
def test_classify_for_upload(kind: Kind, slot: str | None) -> None:
    assert classify_for_upload(kind) == slot


def test_every_reason_is_in_the_catalogue() -> None:
    assert [key for key in REASONS if key not in TEXTS] == []


@pytest.mark.parametrize(
    ("size", "shown"),
    [
        (DOCUMENT_LIMIT, "4"),
        (DOCUMENT_LIMIT + 1, "4.1"),
        (int(3.45 * 1024 * 1024), "3.5"),
        (1, "0.1"),
    ],
)
def test_sizes_read_as_people_read_them(size: int, shown: str) -> None:
    assert mb(size) == shown


# --- photos -----------------------------------------------------------------------------------


def test_ladder_keeps_text_readable_and_never_goes_below_1000px() -> None:
    rungs = documents._ladder(4032)
    assert rungs[0] == (4032, 85)
    assert min(side for side, _ in rungs) == MIN_LONG_SIDE
    # Every step is worse than the one before: smaller, or the same size at lower quality.
    assert all(a > b for a, b in itertools.pairwise(rungs))
    # At the readable size quality goes down a long way before the size does.
    assert min(q for side, q in rungs if side == READABLE_LONG_SIDE) <= 45
    # Small photos are never scaled up.
    assert {side for side, _ in documents._ladder(900)} == {900}


def test_small_jpeg_is_kept_byte_for_byte(tmp_path: Path) -> None:
    source = make_photo(tmp_path / "small.png", (1200, 900))  # the name lies; the bytes decide
    out = tmp_path / "out"
    result = fit_image(source, out)
    assert result.ok and not result.changed
    assert result.kind is Kind.JPEG
    assert result.reason == KEPT
    assert out.read_bytes() == source.read_bytes()
    assert_explained(result)


def test_small_png_is_kept_as_png(tmp_path: Path) -> None:
    source = tmp_path / "screenshot.png"
    Image.new("RGB", (600, 1300), (250, 250, 250)).save(source)
    result = fit_image(source, tmp_path / "out")
    assert result.ok and result.kind is Kind.PNG and not result.changed
    assert (tmp_path / "out").read_bytes() == source.read_bytes()


def test_big_photo_is_fitted_under_the_cap(big_photo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.jpg"
    result = fit_image(big_photo, out)
    assert result.ok and result.changed
    assert result.reason == COMPRESSED
    assert result.kind is Kind.JPEG
    assert out.stat().st_size == result.size <= DOCUMENT_LIMIT
    assert result.long_side is not None and result.long_side >= READABLE_LONG_SIDE
    with Image.open(out) as fitted:
        assert fitted.format == "JPEG" and max(fitted.size) == result.long_side
        assert 0x8825 not in fitted.getexif()  # no GPS block survives re-encoding
    assert "壓縮" in assert_explained(result)


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    # Stored landscape, displayed portrait (EXIF 6 = rotate 90° clockwise), as phones do.
    source = make_photo(tmp_path / "rotated.jpg", (1200, 900), orientation=6)
    result = fit_image(source, tmp_path / "out.jpg", limit=source.stat().st_size - 1)
    assert result.ok and result.changed
    with Image.open(tmp_path / "out.jpg") as fitted:
        assert fitted.size == (900, 1200)

    pdf = tmp_path / "rotated.pdf"
    assert images_to_pdf([source], pdf).ok
    page = PdfReader(pdf).pages[0]
    assert page.mediabox.height > page.mediabox.width  # a portrait page for a portrait photo


def test_transparent_png_goes_onto_white(tmp_path: Path) -> None:
    source = tmp_path / "sticker.png"
    image = Image.frombytes("RGBA", (800, 600), random.Random(3).randbytes(800 * 600 * 4))
    image.putalpha(0)
    image.save(source)
    result = fit_image(source, tmp_path / "out", limit=source.stat().st_size // 4)
    assert result.ok and result.kind is Kind.JPEG
    with Image.open(tmp_path / "out") as fitted:
        assert fitted.getpixel((10, 10)) == (255, 255, 255)


def test_ten_photos_become_one_pdf_under_4mb(tmp_path: Path) -> None:
    landscape = [True, False, False, True, True, True, False, True, False, False]
    photos = [
        make_photo(tmp_path / f"IMG_{i:04d}.jpg", (2000, 1500) if wide else (1500, 2000), f"p{i}")
        for i, wide in enumerate(landscape)
    ]
    total_in = sum(p.stat().st_size for p in photos)
    assert total_in > 2 * DOCUMENT_LIMIT
    out = tmp_path / "outcome.pdf"
    result = images_to_pdf(photos, out)
    assert result.ok, result
    assert result.reason == PHOTOS_COMBINED
    assert out.stat().st_size == result.size <= DOCUMENT_LIMIT
    assert result.long_side is not None and result.long_side >= READABLE_LONG_SIDE
    reader = PdfReader(out)
    assert len(reader.pages) == 10
    # Pages come in the order given: each page is turned the way its photo was.
    turned = [page.mediabox.width > page.mediabox.height for page in reader.pages]
    assert turned == landscape
    sentence = assert_explained(result)
    assert "10 張照片" in sentence


def test_hopeless_photo_set_says_why(tmp_path: Path) -> None:
    photos = [make_photo(tmp_path / f"p{i}.jpg", (1600, 1200), f"h{i}") for i in range(3)]
    out = tmp_path / "never.pdf"
    result = images_to_pdf(photos, out, limit=60_000)
    assert not result.ok
    assert result.reason == PHOTOS_TOO_LARGE
    assert result.size > 60_000
    assert result.values["count"] == 3
    assert not out.exists()
    assert "分成兩件" in assert_explained(result)


def test_a_video_among_photos_is_refused(tmp_path: Path) -> None:
    photo = make_photo(tmp_path / "p.jpg", (800, 600))
    clip = fake_mp4(tmp_path / "p2.jpg")
    result = images_to_pdf([photo, clip], tmp_path / "out.pdf")
    assert not result.ok and result.reason == EXPECTED_PHOTO
    assert result.values == {"kind": "mp4"}
    assert_explained(result)


def test_broken_photo_is_reported(tmp_path: Path) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(5000))
    result = fit_image(broken, tmp_path / "out")
    assert not result.ok and result.reason == UNREADABLE
    assert_explained(result)


def test_heic_becomes_jpeg(tmp_path: Path) -> None:
    pytest.importorskip("pillow_heif")
    assert heic_supported()
    source = tmp_path / "IMG_0003.HEIC"
    Image.new("RGB", (640, 480), (30, 120, 200)).save(source, format="HEIF")
    result = heic_to_jpeg(source, tmp_path / "out")
    assert result.ok and result.kind is Kind.JPEG and result.reason == CONVERTED
    with Image.open(tmp_path / "out") as converted:
        assert converted.format == "JPEG" and converted.size == (640, 480)
    assert "HEIC" in assert_explained(result)


def test_heic_without_pillow_heif_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(photos, "_heif_state", [False])
    source = tmp_path / "IMG_0004.HEIC"
    source.write_bytes(ftyp(b"heic", b"mif1", b"heic") + bytes(200))
    result = heic_to_jpeg(source, tmp_path / "out")
    assert not result.ok and result.reason == HEIC_UNSUPPORTED
    assert "最相容" in assert_explained(result)


# --- PDFs -------------------------------------------------------------------------------------


def test_small_pdf_is_kept_byte_for_byte(tmp_path: Path) -> None:
    source = photo_pdf(tmp_path / "a.pdf", [make_photo(tmp_path / "p.jpg", (800, 600))])
    result = fit_pdf(source, tmp_path / "out.pdf")
    assert result.ok and not result.changed and result.reason == KEPT
    assert (tmp_path / "out.pdf").read_bytes() == source.read_bytes()


def test_pdf_with_big_photos_is_recompressed(tmp_path: Path) -> None:
    photos = [
        make_photo(tmp_path / f"p{i}.jpg", (2400, 1800), f"s{i}", quality=97) for i in range(2)
    ]
    source = photo_pdf(tmp_path / "scan.pdf", photos)
    limit = source.stat().st_size // 3
    out = tmp_path / "out.pdf"
    result = fit_pdf(source, out, limit=limit)
    assert result.ok, result
    assert result.reason == COMPRESSED
    assert out.stat().st_size == result.size <= limit
    assert len(PdfReader(out).pages) == 2
    assert_explained(result)


def test_incompressible_pdf_reports_too_large(tmp_path: Path) -> None:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_attachment("data.bin", os.urandom(300_000))
    source = tmp_path / "dense.pdf"
    with open(source, "wb") as sink:
        writer.write(sink)
    out = tmp_path / "out.pdf"
    result = fit_pdf(source, out, limit=100_000)
    assert not result.ok
    assert result.reason == TOO_LARGE
    assert result.values["size"] == mb(source.stat().st_size)
    assert not out.exists()
    assert "分成兩件" in assert_explained(result)


def test_password_protected_pdf(tmp_path: Path) -> None:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.encrypt(user_password="secret", algorithm="AES-128")
    source = tmp_path / "locked.pdf"
    with open(source, "wb") as sink:
        writer.write(sink)
    result = fit_pdf(source, tmp_path / "out.pdf")
    assert not result.ok and result.reason == PDF_LOCKED
    assert_explained(result)


def test_fit_pdf_refuses_other_kinds(tmp_path: Path) -> None:
    photo = make_photo(tmp_path / "scan.pdf", (400, 300))
    result = fit_pdf(photo, tmp_path / "out.pdf")
    assert not result.ok and result.reason == EXPECTED_PDF
    assert result.values == {"kind": "jpg"}


# --- audio and video --------------------------------------------------------------------------


@pytest.fixture
def no_ffmpeg(monkeypatch: pytest.MonkeyPatch) -> None:
    real_which = shutil.which
    monkeypatch.setattr(
        shutil,
        "which",
        lambda name, *a, **k: None if name == "ffmpeg" else real_which(name, *a, **k),
    )
    # Nor the one the imageio-ffmpeg package ships.
    monkeypatch.setattr(av, "bundled_ffmpeg", lambda: None)


def test_small_mp4_is_kept_without_any_converter(tmp_path: Path, no_ffmpeg: None) -> None:
    source = fake_mp4(tmp_path / "clip.mov")
    result = fit_av(source, tmp_path / "out", Kind.MP4)
    assert result.ok and not result.changed and result.kind is Kind.MP4
    assert (tmp_path / "out").read_bytes() == source.read_bytes()


def test_small_mp3_is_kept(tmp_path: Path, no_ffmpeg: None) -> None:
    source = tmp_path / "talk.mp3"
    source.write_bytes(id3_tag(100) + mp3_frames(50))
    result = fit_av(source, tmp_path / "out", None)
    assert result.ok and result.kind is Kind.MP3 and not result.changed


def test_mov_without_ffmpeg_needs_a_converter(tmp_path: Path, no_ffmpeg: None) -> None:
    source = fake_mp4(tmp_path / "IMG_0005.MOV", 80_000, b"qt  ", b"qt  ")
    out = tmp_path / "out"
    result = fit_av(source, out, Kind.MOV)
    assert not result.ok
    assert result.reason == NO_CONVERTER
    assert result.values["kind"] == "mov" and result.values["target"] == "mp4"
    assert not out.exists()
    assert "轉檔工具" in assert_explained(result)


def test_m4a_without_ffmpeg_needs_a_converter(tmp_path: Path, no_ffmpeg: None) -> None:
    source = fake_mp4(tmp_path / "voice.m4a", 20_000, b"M4A ", b"M4A ", b"isom")
    result = fit_av(source, tmp_path / "out", Kind.M4A)
    assert not result.ok and result.reason == NO_CONVERTER
    assert result.values["target"] == "mp3"


def test_big_mp4_without_ffmpeg_cannot_be_compressed(tmp_path: Path, no_ffmpeg: None) -> None:
    source = fake_mp4(tmp_path / "long.mp4", 300_000)
    result = fit_av(source, tmp_path / "out", Kind.MP4, limit=100_000)
    assert not result.ok and result.reason == NO_CONVERTER_TOO_LARGE
    assert "壓縮工具" in assert_explained(result)


def test_fit_av_refuses_photos(tmp_path: Path) -> None:
    photo = make_photo(tmp_path / "video.mp4", (400, 300))
    result = fit_av(photo, tmp_path / "out")
    assert not result.ok and result.reason == EXPECTED_AV
    assert_explained(result)


FAKE_FFMPEG = """\
import os, sys
args = sys.argv[1:]
with open(os.environ["FAKE_FFMPEG_LOG"], "a") as log:
    log.write(" ".join(args) + "\\n")
if "-y" not in args:
    sys.stderr.write(
        "Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'x':\\n"
        "  Duration: " + os.environ["FAKE_FFMPEG_DURATION"]
        + ", start: 0.000000, bitrate: 9000 kb/s\\n"
        "  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p, 1920x1080\\n"
        "  Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, stereo\\n"
        "At least one output file must be specified\\n"
    )
    sys.exit(1)
with open(args[-1], "wb") as out:
    header = b"\\x00\\x00\\x00\\x10ftypisom\\x00\\x00\\x00\\x00"
    out.write(header + bytes(int(os.environ["FAKE_FFMPEG_BYTES"])))
"""


@pytest.fixture
def fake_ffmpeg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in ffmpeg that reports a 1080p H.264 clip and writes a small mp4; it logs its
    arguments so tests can check what the product asked for."""
    script = tmp_path / "ffmpeg"
    script.write_text(f"#!{sys.executable}\n{FAKE_FFMPEG}")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    log = tmp_path / "ffmpeg.log"
    monkeypatch.setenv("FAKE_FFMPEG_LOG", str(log))
    monkeypatch.setenv("FAKE_FFMPEG_DURATION", "00:00:30.00")
    monkeypatch.setenv("FAKE_FFMPEG_BYTES", "5000")
    monkeypatch.setattr(
        shutil, "which", lambda name, *a, **k: str(script) if name == "ffmpeg" else None
    )
    return log


def test_mov_is_rewrapped_as_mp4_with_ffmpeg(tmp_path: Path, fake_ffmpeg: Path) -> None:
    source = fake_mp4(tmp_path / "IMG_0006.MOV", 80_000, b"qt  ", b"qt  ")
    out = tmp_path / "out.mp4"
    result = fit_av(source, out, Kind.MOV)
    assert result.ok and result.kind is Kind.MP4 and result.reason == CONVERTED
    assert sniff(out) is Kind.MP4
    calls = fake_ffmpeg.read_text().splitlines()
    convert = calls[-1].split()
    # H.264 under the cap needs no new encoding; the input format is forced (no playlists,
    # no URLs) and location metadata is dropped.
    assert convert[convert.index("-c") + 1] == "copy"
    assert convert[convert.index("-f") + 1] == "mov"
    assert convert[convert.index("-map_metadata") + 1] == "-1"
    assert "mp4" in assert_explained(result)


def test_big_video_is_compressed_with_ffmpeg(
    tmp_path: Path, fake_ffmpeg: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_FFMPEG_DURATION", "00:00:02.00")
    source = fake_mp4(tmp_path / "long.mp4", 300_000)
    result = fit_av(source, tmp_path / "out.mp4", Kind.MP4, limit=200_000)
    assert result.ok and result.reason == COMPRESSED
    convert = fake_ffmpeg.read_text().splitlines()[-1]
    assert "libx264" in convert and "-b:v" in convert


def test_a_video_too_long_for_the_cap_asks_for_a_shorter_one(
    tmp_path: Path, fake_ffmpeg: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_FFMPEG_DURATION", "00:45:00.00")
    source = fake_mp4(tmp_path / "concert.mp4", 300_000)
    result = fit_av(source, tmp_path / "out.mp4", Kind.MP4, limit=200_000)
    assert not result.ok and result.reason == AV_TOO_LONG
    assert result.values["minutes"] == 45
    assert len(fake_ffmpeg.read_text().splitlines()) == 1  # only the probe ran
    assert_explained(result)


def test_m4a_becomes_mp3_with_ffmpeg(tmp_path: Path, fake_ffmpeg: Path) -> None:
    source = fake_mp4(tmp_path / "voice.m4a", 20_000, b"M4A ", b"M4A ")
    result = fit_av(source, tmp_path / "out.mp3", Kind.M4A)
    assert result.ok and result.kind is Kind.MP3 and result.reason == CONVERTED
    assert "libmp3lame" in fake_ffmpeg.read_text()


def test_a_stuck_converter_is_reported(
    tmp_path: Path, fake_ffmpeg: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def stuck(*args: object, **kwargs: object) -> None:
        raise subprocess.TimeoutExpired(cmd="ffmpeg", timeout=5.0)

    monkeypatch.setattr(subprocess, "run", stuck)
    source = fake_mp4(tmp_path / "IMG_0007.MOV", 80_000, b"qt  ", b"qt  ")
    result = fit_av(source, tmp_path / "out.mp4", Kind.MOV, timeout=5)
    assert not result.ok and result.reason == CONVERTER_FAILED
    assert "mp4" in assert_explained(result)


def test_a_fresh_install_has_an_ffmpeg_and_prefers_the_machines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundled = av.bundled_ffmpeg()
    assert bundled is not None and Path(bundled).is_file()  # from the imageio-ffmpeg package
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    assert av.find_ffmpeg() == bundled
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: "/usr/bin/ffmpeg")
    assert av.find_ffmpeg() == "/usr/bin/ffmpeg"


def _real_clip(tmp_path: Path, name: str, fmt: str, video: bool = True) -> Path:
    source = tmp_path / name
    inputs = ["-f", "lavfi", "-i", "sine=duration=2"]
    if video:
        inputs = ["-f", "lavfi", "-i", "testsrc=duration=2:size=320x240:rate=15", *inputs]
    codecs = ["-c:v", "mpeg4", "-c:a", "aac"] if video else ["-c:a", "aac"]
    subprocess.run(
        [str(av.find_ffmpeg()), "-v", "error", *inputs, *codecs, "-f", fmt, str(source)],
        check=True,
        timeout=60,
    )
    return source


def test_real_ffmpeg_turns_m4a_into_mp3(tmp_path: Path) -> None:
    source = _real_clip(tmp_path, "voice.m4a", "ipod", video=False)
    assert sniff(source) is Kind.M4A
    result = fit_av(source, tmp_path / "out.mp3", Kind.M4A)
    assert result.ok and result.kind is Kind.MP3
    assert sniff(tmp_path / "out.mp3") is Kind.MP3


def test_real_ffmpeg_turns_mov_into_mp4(tmp_path: Path) -> None:
    source = tmp_path / "clip.mov"
    subprocess.run(
        [str(av.find_ffmpeg()), "-v", "error"]
        + ["-f", "lavfi", "-i", "testsrc=duration=2:size=320x240:rate=15"]
        + ["-f", "lavfi", "-i", "sine=duration=2", "-c:v", "mpeg4", "-c:a", "aac", "-f", "mov"]
        + [str(source)],
        check=True,
        timeout=60,
    )
    assert sniff(source) is Kind.MOV
    result = fit_av(source, tmp_path / "out.mp4", Kind.MOV)
    assert result.ok and result.kind is Kind.MP4
    assert sniff(tmp_path / "out.mp4") is Kind.MP4


# --- any upload -------------------------------------------------------------------------------


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("_rels/.rels", "<Relationships/>")
        archive.writestr("word/document.xml", "<w:document>心得報告</w:document>")
    return buffer.getvalue()


def _gif() -> bytes:
    buffer = io.BytesIO()
    Image.new("P", (8, 8)).save(buffer, "GIF")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "shown"),
    [
        ("心得.pdf", _docx(), "docx"),
        ("sticker.jpg", _gif(), "gif"),
        ("voice.mp3", b"#!AMR\n" + bytes(100), "amr"),
        ("clip.mp4", ftyp(b"3gp5", b"3gp5") + bytes(64), "3gp"),
        ("old.pdf", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "doc/ppt/xls"),
    ],
)
def test_refusals_name_the_format_sent(
    tmp_path: Path, name: str, content: bytes, shown: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    result = fit_upload(path, tmp_path / "out")
    assert not result.ok and result.reason == UNSUPPORTED
    assert result.values == {"kind": shown}
    assert f"這個檔案是 {shown}" in assert_explained(result)
    # The same file sent where a photo was asked for gets the same answer.
    assert images_to_pdf([path], tmp_path / "out.pdf").values == {"kind": shown}


def test_fit_upload_dispatches_by_bytes(tmp_path: Path, no_ffmpeg: None) -> None:
    photo = make_photo(tmp_path / "a.mp4", (800, 600))
    assert fit_upload(photo, tmp_path / "o1").kind is Kind.JPEG
    clip = fake_mp4(tmp_path / "b.jpg")
    assert fit_upload(clip, tmp_path / "o2").kind is Kind.MP4
    pdf = photo_pdf(tmp_path / "c.png", [photo])
    assert fit_upload(pdf, tmp_path / "o3").kind is Kind.PDF
    other = tmp_path / "d.pdf"
    other.write_bytes(b"just text")
    result = fit_upload(other, tmp_path / "o4")
    assert not result.ok and result.reason == UNKNOWN_FORMAT
    assert_explained(result)


def test_real_ffmpeg_compresses_a_video_over_the_limit(tmp_path: Path) -> None:
    source = tmp_path / "big.mp4"
    subprocess.run(
        [
            str(av.find_ffmpeg()),
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=duration=8:size=640x480:rate=25",
            "-c:v",
            "mpeg4",
            "-q:v",
            "1",
            str(source),
        ],
        check=True,
        timeout=120,
    )
    size = source.stat().st_size
    result = fit_av(source, tmp_path / "out.mp4", Kind.MP4, limit=size // 2)
    assert result.ok, result
    assert (tmp_path / "out.mp4").stat().st_size <= size // 2
    assert sniff(tmp_path / "out.mp4") is Kind.MP4
