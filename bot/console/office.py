"""The office year's pages (期程, 認證, 年末, 系統, and the jobs they start): their rows in the one
page → roles table, then their views. Each view calls one operation in school/, as the CLI does."""

from __future__ import annotations

import importlib

from bot.console.core import PAGES, Page, user

CALENDAR_ROLES = frozenset({"工作小組", "註冊組", "註冊組長", "教學組", "教學組長", "教務主任",
                            "校長"})
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
# Teachers, and whoever certifies as a proxy (a convener or the teacher a convener names).
TEACHING_ROLES = frozenset({"任課教師", "導師", "科召集人"})
# Anyone who may start a job may come back for its result (only their own: checked per job).
JOB_ROLES = YEAREND_ROLES | SYSTEM_ROLES

for _page in (
    Page("console.calendar", "console_office.nav.calendar", CALENDAR_ROLES),
    Page("console.calendar_change", "console_office.nav.calendar", CALENDAR_ROLES, in_menu=False),
    Page("console.calendar_next", "console_office.nav.calendar", CALENDAR_ROLES, in_menu=False),
    Page("console.certification", "console_office.nav.certification", CERTIFY_ROLES),
    Page("console.certification_audit", "console_office.nav.certification", CERTIFY_ROLES,
         in_menu=False),
    Page("console.proxy_change", "console_office.nav.certification",
         frozenset({"教學組", "教學組長", "教務主任"}), in_menu=False),
    Page("console.exceptions", "console_office.nav.exceptions", EXCEPTION_ROLES),
    Page("console.exception_change", "console_office.nav.exceptions", EXCEPTION_ROLES,
         in_menu=False),
    Page("console.yearend", "console_office.nav.yearend", YEAREND_ROLES),
    Page("console.yearend_export", "console_office.nav.yearend", YEAREND_ROLES, in_menu=False),
    Page("console.receipts", "console_office.nav.receipts", YEAREND_ROLES),
    Page("console.receipts_import", "console_office.nav.receipts", YEAREND_ROLES,
         in_menu=False),
    Page("console.system", "console_office.nav.system", SYSTEM_ROLES),
    Page("console.system_action", "console_office.nav.system", SYSTEM_ROLES, in_menu=False),
    Page("console.teaching", "console_office.nav.teaching", TEACHING_ROLES),
    Page("console.teaching_decide", "console_office.nav.teaching", TEACHING_ROLES,
         in_menu=False),
    Page("console.job", "console_office.nav.jobs", JOB_ROLES, in_menu=False),
    Page("console.job_download", "console_office.nav.jobs", JOB_ROLES, in_menu=False),
):
    PAGES[_page.endpoint] = _page


def office_of(roles: frozenset[str]) -> str:
    """The office the audit log files a change under: the first of the user's roles that fits."""
    mine = sorted(user().roles & roles)
    return mine[0] if mine else "—"


for _name in ("bot.console.office_calendar", "bot.console.office_certify",
              "bot.console.office_yearend", "bot.console.office_system",
              "bot.console.office_jobs", "bot.console.office_teaching"):
    importlib.import_module(_name)
