"""Bench: ten 12-megapixel phone photos fitted into one PDF under the 4 MB national cap, then a
13000x13000 PNG (519 KB, just under Pillow's bomb limit), in a worker process whose peak
resident memory is reported (goal: under 400 MiB, from about 190 MiB at rest)."""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pypdf import PdfReader

from media.documents import images_to_pdf
from media.kinds import DOCUMENT_LIMIT

BOMB_SIDE = 13000
RSS_GOAL_MIB = 400
PHONE_SIZE = (4032, 3024)  # 12 MP, the usual main-camera output
PHONE_QUALITY = 92
GRAIN = 10  # ± levels of sensor noise; sets the photos' weight (about 4.5 MB at quality 92)


def phone_photo(seed: int, size: tuple[int, int] = PHONE_SIZE) -> Image.Image:
    """A photo-like picture of a worksheet on a desk: uneven light, surface texture, paper with
    text, sensor grain. At quality 92 it weighs what a phone's 12 MP JPEG does (3-5 MB)."""
    rng = random.Random(seed)
    width, height = size
    light = Image.frombytes("RGB", (8, 6), rng.randbytes(8 * 6 * 3))
    light = light.resize(size, Image.Resampling.BICUBIC)
    small = (width // 6, height // 6)
    texture = Image.frombytes("L", small, rng.randbytes(small[0] * small[1]))
    texture = texture.resize(size, Image.Resampling.BICUBIC).point(
        lambda v: 128 + (v - 128) * 3 // 8
    )
    image = ImageChops.add(light, Image.merge("RGB", (texture,) * 3), offset=-128)
    draw = ImageDraw.Draw(image)
    left, top = width // 8 + rng.randrange(-80, 80), height // 8 + rng.randrange(-80, 80)
    draw.rectangle((left, top, width - left, height - top), fill=(236, 232, 222))
    font = ImageFont.load_default(size=height // 40)
    for line in range(14):
        words = f"第 {seed + 1} 頁 line {line + 1}: learning portfolio 學習歷程 0123456789"
        draw.text((left + 40, top + 40 + line * height // 22), words, fill=(20, 20, 30), font=font)
    # Sensor grain: uniform, seeded noise (Image.effect_noise is 10x slower and unseeded).
    grain = Image.frombytes("L", size, rng.randbytes(width * height))
    grain = grain.point(lambda v: 128 + (v - 128) * GRAIN // 128)
    return ImageChops.add(image, Image.merge("RGB", (grain,) * 3), offset=-128)


def _rss_mib(field: str) -> float:
    """VmRSS (now) or VmHWM (peak) of this process, from /proc, in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def worker(folder: Path, count: int) -> int:
    """What a worker does: fit the photos into a PDF, then the huge PNG; report memory as JSON."""
    import jobs.inbox  # noqa: F401  - the worker's own imports, for a realistic resting size

    report: dict[str, object] = {"rest_mib": _rss_mib("VmRSS")}
    paths = [folder / f"IMG_{seed + 1:04d}.JPG" for seed in range(count)]
    started = time.perf_counter()
    result = images_to_pdf(paths, folder / "outcome.pdf")
    report["photos"] = {
        "ok": result.ok,
        "size": result.size,
        "reason": result.reason,
        "seconds": time.perf_counter() - started,
        "long_side": result.long_side,
        "quality": result.quality,
        "values": dict(result.values),
    }
    report["after_photos_peak_mib"] = _rss_mib("VmHWM")
    started = time.perf_counter()
    # Sent as a photo: it would become a page of the student's PDF, like the photos above.
    bomb = images_to_pdf([folder / "bomb.png"], folder / "bomb.pdf")
    report["bomb"] = {
        "ok": bomb.ok,
        "reason": bomb.reason,
        "seconds": time.perf_counter() - started,
    }
    report["peak_mib"] = _rss_mib("VmHWM")
    print(json.dumps(report))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10, help="how many photos (default 10)")
    parser.add_argument("--keep", type=Path, help="write the photos and the PDF here")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker, args.count)

    with tempfile.TemporaryDirectory(prefix="photo-fit-") as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        paths = []
        for seed in range(args.count):
            path = folder / f"IMG_{seed + 1:04d}.JPG"
            phone_photo(seed).save(path, "JPEG", quality=PHONE_QUALITY)
            paths.append(path)
        made = time.perf_counter() - started
        sizes = [p.stat().st_size for p in paths]
        print(
            f"photos:        {len(paths)} x {PHONE_SIZE[0]}x{PHONE_SIZE[1]} JPEG q{PHONE_QUALITY}"
        )
        print(
            f"  each:        {min(sizes) / 1e6:.2f}-{max(sizes) / 1e6:.2f} MB "
            f"(made in {made:.1f} s)"
        )
        print(f"input total:   {sum(sizes) / 1e6:.1f} MB ({sum(sizes):,} bytes)")

        # 13000 x 13000 pixels of one colour: about 0.5 MB as PNG, 169 MP once decoded.
        Image.new("RGB", (BOMB_SIDE, BOMB_SIDE), (250, 250, 250)).save(folder / "bomb.png")
        bomb_bytes = (folder / "bomb.png").stat().st_size
        print(f"bomb PNG:      {BOMB_SIDE}x{BOMB_SIDE}, {bomb_bytes:,} bytes")

        out = folder / "outcome.pdf"
        child = subprocess.run(
            [sys.executable, __file__, "--worker", str(folder), "--count", str(len(paths))],
            capture_output=True,
            text=True,
            check=False,
        )
        if child.returncode != 0:
            print(child.stderr)
            return 1
        report = json.loads(child.stdout.strip().splitlines()[-1])
        result = report["photos"]
        print(f"fit time:      {result['seconds']:.2f} s")
        if not result["ok"]:
            print(f"FAILED:        {result['reason']} {result['values']} size={result['size']:,}")
            return 1
        size = int(result["size"])
        pages = len(PdfReader(out).pages)
        print(f"output:        {size / 1e6:.2f} MB ({size:,} bytes), {pages} pages")
        print(f"cap:           {DOCUMENT_LIMIT:,} bytes; headroom {DOCUMENT_LIMIT - size:,}")
        print(f"long side:     {result['long_side']} px at JPEG quality {result['quality']}")
        bomb = report["bomb"]
        print(
            f"bomb PNG:      {'fitted' if bomb['ok'] else 'refused'} ({bomb['reason']}) "
            f"in {bomb['seconds']:.2f} s"
        )
        print(
            f"worker RSS:    {report['rest_mib']:.0f} MiB at rest, peak "
            f"{report['after_photos_peak_mib']:.0f} MiB after the photos, "
            f"{report['peak_mib']:.0f} MiB after the PNG (goal < {RSS_GOAL_MIB} MiB)"
        )
        fits = size <= DOCUMENT_LIMIT and pages == len(paths)
        return 0 if fits and report["peak_mib"] < RSS_GOAL_MIB else 1


if __name__ == "__main__":
    sys.exit(main())
