"""Typed dates: every accepted spelling, and clear refusals."""

from datetime import date

import pytest

from school.dates import DateFormatError, parse_date, show_date, show_minguo


@pytest.mark.parametrize(
    "raw",
    [
        "2026-12-01",
        "2026/12/01",
        "2026/12/1",
        "民國 115/12/01",
        "民國115/12/1",
        "115/12/01",
        "115-12-01",
        "２０２６／１２／０１",
        "115年12月1日",
        " 2026.12.01 ",
    ],
)
def test_every_spelling_reads_the_same_day(raw: str) -> None:
    assert parse_date(raw) == date(2026, 12, 1)


@pytest.mark.parametrize("raw", ["", "tomorrow", "2026/13/01", "2026/02/30", "12/01", "2026-12"])
def test_not_a_date_is_refused(raw: str) -> None:
    with pytest.raises(DateFormatError):
        parse_date(raw)


def test_shown_in_both_calendars() -> None:
    assert show_date(date(2026, 12, 5)) == "2026/12/05"
    assert show_minguo(date(2026, 12, 5)) == "民國 115/12/05"
