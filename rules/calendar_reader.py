"""Reading the calendar part of a rules file: holidays, each academic year with its semesters,
and their windows, checked against the national rules (upload within two weeks of closing,
certification after upload, enough days to confirm receipts).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date, datetime, timedelta

from rules.model import (
    GRADE12_WINDOWS,
    NATIONAL_MIN_RECEIPT_DAYS,
    NATIONAL_UPLOAD_DAYS_AFTER_CLOSING,
    AcademicYear,
    Semester,
    Window,
)
from rules.toml_tables import TableReader


def _read_holidays(top: TableReader) -> frozenset[date]:
    """`holidays = [2027-02-04, { start = 2027-02-04, end = 2027-02-10, name = "春節" }]`."""
    raw = top._raw("holidays", [])
    if not isinstance(raw, list):
        raise top.error("holidays", "holidays must be a list of dates or {start, end} tables")
    days: set[date] = set()
    for entry in raw:
        if isinstance(entry, date) and not isinstance(entry, datetime):
            days.add(entry)
            continue
        if isinstance(entry, dict):
            span = TableReader(entry, top.path + ("holidays",), top.ctx)
            first = span.get_date("start")
            last = span.get_date("end", first)
            span.get_str("name", "")
            span.finish()
            if last < first or (last - first).days > 60:
                raise top.error("holidays", f"holiday {first}..{last} is not a span of days")
            days.update(first + timedelta(days=i) for i in range((last - first).days + 1))
            continue
        raise top.error("holidays", f"holidays: {entry!r} is not a date like 2027-02-04")
    return frozenset(days)


def _working_day_after(holidays: frozenset[date]) -> Callable[[date], date]:
    def shift(day: date) -> date:
        while day.weekday() >= 5 or day in holidays:
            day += timedelta(days=1)
        return day

    return shift


def _read_window(
    table: TableReader, key: str, default_first: date, default_last: date
) -> tuple[date, date, bool]:
    """A window's days; either edge may be omitted and then takes the derived default."""
    if not table.has(key):
        table.asked.append(key)
        return default_first, default_last, False
    sub = table.table(key)
    first = sub.get_date("start", default_first)
    last = sub.get_date("end", default_last)
    sub.finish()
    if last < first:
        raise sub.error("end", f"the {key} window ends ({last}) before it starts ({first})")
    return first, last, True


def _read_year(
    reader: TableReader,
    upload_after: int,
    cert_after: int,
    picking_days: int,
    receipt_days: int,
    escalation_days: int,
    shift: Callable[[date], date] = lambda day: day,
) -> AcademicYear:
    number = reader.get_int("academic_year", minimum=100, maximum=999)
    first_day, last_day = date(number + 1911, 8, 1), date(number + 1912, 7, 31)
    semesters: dict[int, Semester] = {}
    for sem_reader in reader.tables("semesters"):
        semester = _read_semester(
            sem_reader,
            number,
            first_day,
            last_day,
            upload_after,
            cert_after,
            escalation_days,
            shift,
        )
        if semester.number in semesters:
            raise sem_reader.error("number", f"semester {semester.label} appears twice")
        semesters[semester.number] = semester
    if sorted(semesters) != [1, 2]:
        raise reader.error("semesters", f"academic year {number} needs semesters 1 and 2")
    if semesters[1].end >= semesters[2].start:
        raise reader.error(
            "semesters", f"semester {number}-1 ends ({semesters[1].end}) after {number}-2 starts"
        )
    # 附表二 六: students record 多元表現 all year; a semester's window (unless the file sets
    # one) runs from the year's first day to the eve of semester 2, then to the year's end.
    spans = {
        1: (first_day, semesters[2].start - timedelta(days=1)),
        2: (semesters[2].start, last_day),
    }
    for raw in reader.data.get("semesters") or []:
        table_data = raw.get("windows") if isinstance(raw, dict) else None
        sem_number = raw.get("number") if isinstance(raw, dict) else None
        if sem_number not in spans or (
            isinstance(table_data, dict) and "performance_upload" in table_data
        ):
            continue
        semester = semesters[sem_number]
        span_first, span_last = spans[sem_number]
        windows = dict(semester.windows)
        windows["performance_upload"] = Window(
            "performance_upload", number, sem_number, span_first, span_last
        )
        semesters[sem_number] = replace(semester, windows=windows)

    table = reader.table("windows")
    cert_last = semesters[2].windows["certification"].last_day
    pick_first, pick_last, _ = _read_window(
        table,
        "picking",
        shift(cert_last + timedelta(days=1)),
        shift(cert_last + timedelta(days=picking_days)),
    )
    windows = {"picking": Window("picking", number, None, pick_first, pick_last)}
    # The receipt confirmation opens when the 收訖明細 is imported (receipts import sets it),
    # and the submission date follows the agency's letter (staff set it): neither is derived.
    for kind in ("receipt_confirmation", "submission"):
        if not table.has(kind):
            table.asked.append(kind)
            continue
        first, last, _ = _read_window(table, kind, first_day, first_day)
        if kind == "receipt_confirmation" and (last - first).days + 1 < NATIONAL_MIN_RECEIPT_DAYS:
            raise table.error(
                kind,
                f"students must get at least {NATIONAL_MIN_RECEIPT_DAYS} days to confirm the "
                f"receipt list; {first}..{last} is shorter",
            )
        windows[kind] = Window(kind, number, None, first, last)
    # Grade 12 graduates in June: where semester 2 gives grade 12 its own certification window,
    # they pick (and their picks are submitted) before they leave.
    grade12: dict[str, Window] = {}
    g12_cert = semesters[2].grade12_windows.get("certification")
    if g12_cert is not None or table.has("grade12_picking"):
        base = g12_cert.last_day if g12_cert is not None else cert_last
        first, last, _ = _read_window(
            table,
            "grade12_picking",
            shift(base + timedelta(days=1)),
            shift(base + timedelta(days=picking_days)),
        )
        grade12["picking"] = Window("picking", number, None, first, last, grade12=True)
    else:
        table.asked.append("grade12_picking")
    if table.has("grade12_submission"):
        first, last, _ = _read_window(table, "grade12_submission", first_day, first_day)
        grade12["submission"] = Window("submission", number, None, first, last, grade12=True)
    else:
        table.asked.append("grade12_submission")
    table.finish()
    reader.finish()
    return AcademicYear(
        number=number, semesters=semesters, windows=windows, grade12_windows=grade12
    )


def _read_semester(
    reader: TableReader,
    year: int,
    year_first: date,
    year_last: date,
    upload_after: int,
    cert_after: int,
    escalation_days: int,
    shift: Callable[[date], date] = lambda day: day,
) -> Semester:
    number = reader.get_int("number", minimum=1, maximum=2)
    label = f"{year}-{number}"
    start = reader.get_date("start")
    closing = reader.get_date("closing_ceremony")
    end = reader.get_date("end")
    for key, day in (("start", start), ("closing_ceremony", closing), ("end", end)):
        if not year_first <= day <= year_last:
            raise reader.error(
                key,
                f"{label} {key} {day} is outside academic year {year} ({year_first}..{year_last})",
            )
    if not start < closing <= end:
        raise reader.error(
            "closing_ceremony",
            f"{label}: expected start < closing ceremony <= end, got {start}, {closing}, {end}",
        )

    table = reader.table("windows")
    closing_floor = closing + timedelta(days=NATIONAL_UPLOAD_DAYS_AFTER_CLOSING)
    windows: dict[str, Window] = {}
    grade12: dict[str, Window] = {}

    up_first, up_last, explicit = _read_window(
        table, "upload", start, shift(closing + timedelta(days=upload_after))
    )
    if up_last < closing_floor:
        reason = (
            f"{label} upload window ends {up_last}, but the national rule keeps it open until at "
            f"least {closing_floor} (14 days after the closing ceremony {closing}); "
            f"only grade 12's last semester may end earlier (grade12_upload)"
        )
        if explicit:
            raise table.error("upload", reason)
        raise reader.ctx.error(("window_defaults", "upload_days_after_closing"), reason)
    windows["upload"] = Window("upload", year, number, up_first, up_last)
    pf_first, pf_last, _ = _read_window(table, "performance_upload", up_first, up_last)
    windows["performance_upload"] = Window("performance_upload", year, number, pf_first, pf_last)
    cert_first, cert_last, _ = _read_window(
        table, "certification", up_first, shift(up_last + timedelta(days=cert_after))
    )
    windows["certification"] = Window("certification", year, number, cert_first, cert_last)
    _check_certification(table, "certification", label, windows, escalation_days)

    for kind in GRADE12_WINDOWS:
        key = f"grade12_{kind}"
        if not table.has(key):
            table.asked.append(key)
            continue
        if number != 2:
            raise table.error(key, f"{key} belongs to semester 2 only (grade 12's last semester)")
        base = grade12.get("upload", windows["upload"])
        if kind == "upload":
            first, last, _ = _read_window(table, key, base.first_day, base.last_day)
        else:
            first, last, _ = _read_window(
                table, key, base.first_day, shift(base.last_day + timedelta(days=cert_after))
            )
        grade12[kind] = Window(kind, year, number, first, last, grade12=True)
    if grade12:
        # A grade-12 upload window alone still needs a certification window that follows it.
        if "certification" not in grade12:
            up = grade12["upload"]
            grade12["certification"] = Window(
                "certification",
                year,
                number,
                up.first_day,
                shift(up.last_day + timedelta(days=cert_after)),
                grade12=True,
            )
        both = {"upload": grade12.get("upload", windows["upload"]), **grade12}
        _check_certification(table, "grade12_certification", label, both, escalation_days)
    table.finish()
    reader.finish()
    return Semester(year, number, start, closing, end, windows, grade12)


def _check_certification(
    table: TableReader, key: str, label: str, windows: Mapping[str, Window], escalation_days: int
) -> None:
    upload, cert = windows["upload"], windows["certification"]
    if cert.last_day < upload.last_day:
        raise table.error(
            key,
            f"{label} certification ends {cert.last_day}, before uploads close on "
            f"{upload.last_day}: items uploaded last could never be certified",
        )
    if escalation_days >= cert.days:
        raise table.error(
            key,
            f"{label} certification window ({cert.days} days) is not longer than the "
            f"escalation lead time ({escalation_days} days)",
        )
