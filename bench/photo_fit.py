"""Bench: ten 12-megapixel phone photos fitted into one PDF under the 4 MB national cap."""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pypdf import PdfReader

from media.documents import images_to_pdf
from media.kinds import DOCUMENT_LIMIT

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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10, help="how many photos (default 10)")
    parser.add_argument("--keep", type=Path, help="write the photos and the PDF here")
    args = parser.parse_args()

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
            f"  each:        {min(sizes) / 1e6:.2f}-{max(sizes) / 1e6:.2f} MB (made in {made:.1f} s)"
        )
        print(f"input total:   {sum(sizes) / 1e6:.1f} MB ({sum(sizes):,} bytes)")

        out = folder / "outcome.pdf"
        started = time.perf_counter()
        result = images_to_pdf(paths, out)
        took = time.perf_counter() - started
        print(f"fit time:      {took:.2f} s")
        if not result.ok:
            print(f"FAILED:        {result.reason} {dict(result.values)} size={result.size:,}")
            return 1
        pages = len(PdfReader(out).pages)
        print(f"output:        {result.size / 1e6:.2f} MB ({result.size:,} bytes), {pages} pages")
        print(f"cap:           {DOCUMENT_LIMIT:,} bytes; headroom {DOCUMENT_LIMIT - result.size:,}")
        print(f"long side:     {result.long_side} px at JPEG quality {result.quality}")
        return 0 if result.size <= DOCUMENT_LIMIT and pages == len(paths) else 1


if __name__ == "__main__":
    sys.exit(main())
