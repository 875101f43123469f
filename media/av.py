"""Audio and video under the national 10 MB cap, converted with ffmpeg where it is installed."""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from media.kinds import (
    AV_LIMIT,
    AV_TOO_LARGE,
    AV_TOO_LONG,
    COMPRESSED,
    CONVERTED,
    CONVERTER_FAILED,
    EXPECTED_AV,
    FORMAT_NAMES,
    KEPT,
    NO_CONVERTER,
    NO_CONVERTER_TOO_LARGE,
    FitResult,
    Kind,
    _write_atomically,
    mb,
)
from media.sniff import refuse, sniff

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


AV_KINDS = (Kind.MP4, Kind.MOV, Kind.MP3, Kind.M4A)


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
    if kind not in AV_KINDS:
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
