"""Bench: memory used while a 100 MB video streams into LocalFileStore in 64 KiB chunks."""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import struct
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from storage.files import LocalFileStore

MIB = 1024 * 1024
CHUNK = 64 * 1024
MEMORY_BUDGET = 25 * MIB


def synthetic_video(total: int, expected: hashlib._Hash) -> Iterator[bytes]:
    """An mp4 of `total` bytes (ftyp box, then one mdat of random bytes), produced chunk by
    chunk the way LINE's content response arrives; never whole in memory."""
    header = struct.pack(">I4s4sI", 24, b"ftyp", b"isom", 0x200) + b"isomiso2avc1mp41"
    header += struct.pack(">I4s", total - len(header), b"mdat")
    expected.update(header)
    yield header
    left = total - len(header)
    while left:
        chunk = os.urandom(min(CHUNK, left))
        expected.update(chunk)
        left -= len(chunk)
        yield chunk


def max_rss() -> int:
    """Peak resident memory of this process so far, in bytes (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def current_rss() -> int:
    """Resident memory right now, in bytes (Linux)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def sampled(chunks: Iterator[bytes], samples: list[int], every: int = 16) -> Iterator[bytes]:
    """The same chunks, noting resident memory every `every` chunks (1 MiB), because
    ru_maxrss is a high-water mark that imports may already have set higher."""
    for count, chunk in enumerate(chunks):
        if count % every == 0:
            samples.append(current_rss())
        yield chunk


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--megabytes", type=int, default=100, help="size in MiB (default 100)")
    args = parser.parse_args()
    total = args.megabytes * MIB

    with tempfile.TemporaryDirectory(prefix="upload-memory-") as root:
        store = LocalFileStore(Path(root))
        expected = hashlib.sha256()
        samples: list[int] = []
        rss_before, max_rss_before = current_rss(), max_rss()
        tracemalloc.start()
        started = time.perf_counter()
        stored = store.put_stream(sampled(synthetic_video(total, expected), samples))
        took = time.perf_counter() - started
        _, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss_growth = max(samples + [current_rss()]) - rss_before
        max_rss_growth = max_rss() - max_rss_before

        print(f"streamed:          {stored.size / MIB:.1f} MiB in {CHUNK // 1024} KiB chunks")
        print(f"time:              {took:.2f} s ({stored.size / took / MIB:.0f} MiB/s)")
        print(f"stored as:         {stored.sha256[:16]}... mime={stored.mime}")
        print(f"tracemalloc peak:  {traced_peak / MIB:.2f} MiB")
        print(f"ru_maxrss delta:   {max_rss_growth / MIB:.2f} MiB")
        print(f"VmRSS growth:      {rss_growth / MIB:.2f} MiB (peak of {len(samples)} samples)")
        print(f"budget:            {MEMORY_BUDGET / MIB:.0f} MiB")
        right = stored.sha256 == expected.hexdigest() and stored.size == total
        right = right and store.path(stored.sha256).stat().st_size == total
        if not right:
            print("FAILED: the stored file is not the streamed bytes")
            return 1
        if max(traced_peak, rss_growth, max_rss_growth) >= MEMORY_BUDGET:
            print("FAILED: memory grew past the budget")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
