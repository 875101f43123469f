"""What a file really is, by its first bytes, whatever its name says; and why a file is refused,
naming its format whenever it has one."""

from __future__ import annotations

from pathlib import Path

from media.kinds import (
    FORMAT_NAMES,
    HEAD_BYTES,
    UNKNOWN_FORMAT,
    UNSUPPORTED,
    FitResult,
    Kind,
)

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
