"""The test suite depends on nothing beside the checkout (a clean clone must be enough)."""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def test_no_test_reads_files_beside_the_checkout() -> None:
    outside = re.compile(r"parents\[[2-9]\]|\.\./shared|/work/shared|shared/line-reference")
    offenders = [
        f"{path.name}:{number}"
        for path in sorted(TESTS.glob("*.py"))
        if path.name != Path(__file__).name
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if outside.search(line)
    ]
    assert offenders == []


def test_the_webhook_sample_travels_with_its_licence() -> None:
    folder = TESTS / "fixtures" / "line-reference"
    assert (folder / "sdk-webhook-sample.json").is_file()
    assert "Apache License" in (folder / "LICENSE-line-bot-sdk-python").read_text(encoding="utf-8")
