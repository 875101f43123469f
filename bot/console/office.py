"""The office year's pages (期程, 認證, 年末, 系統, and the jobs they start): their rows in the one
page → roles table, then their views. Each view calls one operation in school/, as the CLI does."""

from __future__ import annotations

import importlib

from bot.console.core import PAGES, ROSTER_KIND_ROLES, Page, user

CALENDAR_ROLES = frozenset(
    {"工作小組", "註冊組", "註冊組長", "教學組", "教學組長", "教務主任", "校長"}
)
CERTIFY_ROLES = frozenset({"教學組", "教學組長", "科召集人", "教務主任"})
# Reopening a window for one student is an office's decision, not a convener's.
EXCEPTION_ROLES = frozenset({"教學組", "教學組長", "註冊組", "註冊組長", "教務主任"})
# Year end: 教學組 sends 課程學習成果, 訓育組 sends 多元表現 (each only their own kind).
YEAREND_KIND_ROLES = {
    "course_outcome": frozenset({"教學組", "教學組長"}),
    "performance": frozenset({"訓育組", "社團組"}),
}
YEAREND_ROLES = frozenset().union(*YEAREND_KIND_ROLES.values()) | {"教務主任"}
# 資媒組 keeps the system; the management proxy chain (rule 七) stands in for it.
SYSTEM_ROLES = frozenset({"資媒組", "資媒組長", "註冊組長", "教學組長"})
# Trainings, workshops and briefings (rule 六): 教學組, 輔導室, 學務處.
EVENT_ROLES = frozenset({"教學組", "教學組長", "輔導室", "訓育組", "社團組", "生輔組", "註冊組"})
# 學生異動 (rule 五) is the registrar's.
STUDENT_ROLES = frozenset({"註冊組", "註冊組長"})
# Teachers, and whoever certifies as a proxy (a convener or the teacher a convener names).
TEACHING_ROLES = frozenset({"任課教師", "導師", "科召集人"})
# 紀錄: cadres (訓育組, 社團組), attendance (生輔組), consultants and their records (教學組).
RECORD_KIND_ROLES = {
    "cadres": frozenset({"訓育組", "社團組"}),
    "attendance": frozenset({"生輔組"}),
}
CONSULTANT_ROLES = frozenset({"教學組", "教學組長"})
RECORDS_ROLES = frozenset().union(*RECORD_KIND_ROLES.values()) | CONSULTANT_ROLES
# Anyone who may start a job (an import's confirm starts one too) may come back for its result
# (only their own: checked per job).
JOB_ROLES = (
    YEAREND_ROLES
    | SYSTEM_ROLES
    | STUDENT_ROLES
    | CONSULTANT_ROLES
    | frozenset().union(*RECORD_KIND_ROLES.values(), *ROSTER_KIND_ROLES.values())
)

PROXY_ROLES = frozenset({"教學組", "教學組長", "教務主任"})
# Each page's name is its landing endpoint: (name, menu title, roles, in the menu).
_OFFICE_PAGES = (
    ("console.calendar", "calendar", CALENDAR_ROLES, True),
    ("console.calendar_change", "calendar", CALENDAR_ROLES, False),
    ("console.calendar_next", "calendar", CALENDAR_ROLES, False),
    ("console.certification", "certification", CERTIFY_ROLES, True),
    ("console.certification_audit", "certification", CERTIFY_ROLES, False),
    # A convener may name their own subject's designee (checked in the view); the rest is the
    # offices'.
    ("console.proxy_change", "certification", PROXY_ROLES | {"科召集人"}, False),
    ("console.exceptions", "exceptions", EXCEPTION_ROLES, True),
    ("console.exception_change", "exceptions", EXCEPTION_ROLES, False),
    ("console.students", "students", STUDENT_ROLES, True),
    ("console.students_change", "students", STUDENT_ROLES, False),
    ("console.events", "events", EVENT_ROLES, True),
    ("console.events_change", "events", EVENT_ROLES, False),
    ("console.yearend", "yearend", YEAREND_ROLES, True),
    ("console.yearend_export", "yearend", YEAREND_ROLES, False),
    ("console.receipts", "receipts", YEAREND_ROLES, True),
    ("console.receipts_import", "receipts", YEAREND_ROLES, False),
    ("console.system", "system", SYSTEM_ROLES, True),
    ("console.system_action", "system", SYSTEM_ROLES, False),
    ("console.teaching", "teaching", TEACHING_ROLES, True),
    ("console.teaching_decide", "teaching", TEACHING_ROLES, False),
    ("console.records", "records", RECORDS_ROLES, True),
    ("console.records_import", "records", frozenset().union(*RECORD_KIND_ROLES.values()), False),
    ("console.consultants_change", "records", CONSULTANT_ROLES, False),
    ("console.consultation_export", "records", CONSULTANT_ROLES, False),
    ("console.job", "jobs", JOB_ROLES, False),
    ("console.job_download", "jobs", JOB_ROLES, False),
)
for _name, _title, _roles, _in_menu in _OFFICE_PAGES:
    PAGES[_name] = Page(_name, _name, f"console_office.nav.{_title}", _roles, _in_menu)


def office_of(roles: frozenset[str]) -> str:
    """The office the audit log files a change under: the first of the user's roles that fits."""
    mine = sorted(user().roles & roles)
    return mine[0] if mine else "—"


for _name in (
    "bot.console.office_calendar",
    "bot.console.office_certify",
    "bot.console.office_yearend",
    "bot.console.office_system",
    "bot.console.office_jobs",
    "bot.console.office_teaching",
    "bot.console.office_students",
    "bot.console.office_events",
    "bot.console.office_records",
):
    importlib.import_module(_name)
