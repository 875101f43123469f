"""The catalogue and the code agree: every key the code names exists, and every key is used.

A key is used when the code (or the packaged school rules) holds it as a whole string. A key the
code builds from parts (f"performance.type.{key}") is used when it matches a pattern below; each
pattern says where it is built, and a new way of building keys fails the test until it is listed.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from catalogue import load

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = (
    "dev",
    "bot",
    "jobs",
    "handlers",
    "flows",
    "school",
    "runtime",
    "rules",
    "storage",
    "media",
    "catalogue",
)

# Prefix (or regex, when it starts with ^) -> where and why the rest of the key is built.
DYNAMIC: dict[str, str] = {
    "certify.capacity.": "a certifier's capacity (school.proxy_chain capacities)",
    "console_office.": "the office pages' states, kinds and results, built from parts "
    "(bot/console/office*.py, their templates, school/jobs.py, school/exceptions.py)",
    "certify.card.": "rows of the certification card (flows/certify_cards.py)",
    "certify.reason.": "why an item cannot be decided (flows/certify.py)",
    "certify.verdict.": "approve / reject wording (flows/certify.py)",
    "cli.added.": "help of the commands other packages add, shown before they load "
    "(bot/added_commands.py)",
    "cli.certify.action.": "audit actions in `portfolio certify audit` (bot/certify_cli.py)",
    "cli.certify.audit.header.": "the audit table's columns (bot/certify_cli.py)",
    "cli.certify.away.kind.": "kinds of absence (bot/certify_cli.py)",
    "cli.codes.csv.": "the printed-codes CSV columns (bot/codes_cli.py)",
    "cli.error.date.": "why a typed date is refused, by school.dates DateFormatError.reason "
    "(bot/cli_base.py, dev/chat.py)",
    "cli.richmenu.role.": "a menu role's name in `portfolio richmenu` (bot/commands.py)",
    "cli.codes.role.": "student / staff / guardian (bot/codes_cli.py)",
    "cli.schedule.audience.": "who a schedule row reaches (bot/schedule_cli.py)",
    "lifecycle.change.": "kinds of status change (school/lifecycle.py)",
    "lifecycle.cli.": "lifecycle command lines (bot/lifecycle_cli.py, bot/retention_cli.py, "
    "bot/management_cli.py, bot/backup_cli.py)",
    "lifecycle.deletion_report.col.": "deletion report columns (school/lifecycle.py)",
    "lifecycle.error.": "lifecycle refusals by reason (bot/lifecycle_cli.py)",
    "lifecycle.export.": "the student export's sheets and columns (school/lifecycle.py)",
    "lifecycle.farewell.": "farewell message by kind of leaving (jobs/lifecycle.py)",
    "media.": "FitResult.reason, read by flows/intake.py (media/kinds.py)",
    "performance.field.": "a performance type's fields (flows/performance_types.py)",
    "performance.cannot_edit_": "why a saved performance cannot be edited "
    "(flows/performance_finish.py)",
    "performance.type.": "performance types (flows/submission.py type_label)",
    "picking.": "picking flow states, kinds, results and export problems (flows/picking*.py, "
    "bot/export_cli.py)",
    "portfolio.cannot_withdraw_": "why an item cannot be withdrawn (flows/my_portfolio.py)",
    "records.cli.": "records command lines (bot/records_cli.py)",
    "records.consult.": "consultation wording by kind, field and error (flows/consultation.py, "
    "school/consultation_export.py)",
    "records.export.": "consultation export columns (school/consultation_export.py)",
    "records.g12.": "grade-12 documents, sections, questions and errors (flows/grade12.py)",
    "roster.": "roster import problems by code (school/roster.py)",
    "menu.": "rich menu labels and hints by menu area (bot/richmenu.py)",
    "rules.label.": "labels of windows, priorities, events, states and anchors (rules/labels.py, "
    "rules/model.py, rules/table.py)",
    "rules.window.": "window names in `portfolio schedule` (bot/schedule_cli.py)",
    "rules.button.": "a notice's button by flow (jobs/notice_plan.py, bot/schedule_cli.py)",
    "schedule.event.": "school events and their kinds (jobs/event_notices.py, flows/events.py)",
    "school_rules.event.": "an office's missing per-semester event by kind (jobs/event_notices.py)",
    "school_rules.submission.": "why a submission date is refused (school/submission.py "
    "SubmissionError.reason, bot/school_rules_cli.py)",
    "help.": "help text by role (flows/account.py)",
    "upload.file_kind.": "a file's kind when it has no name (flows/submission.py)",
    "upload.item_name.": "course outcome / performance (flows/submission.py)",
    "upload.replace_": "why a replacement cannot start (flows/upload.py)",
    "upload.scope.": "which limit is full (flows/submission.py)",
    "upload.status.": "an item's status (flows/submission.py, flows/my_portfolio.py)",
    "upload.window_name.": "which window refuses (flows/submission.py)",
    "console.audit.": "audit columns and actions (bot/console/audit_view.py)",
    "console.gate.": "why a sign-in page says no, by reason (console/signed_out.html)",
    "console.list.": "the overview's lists and their columns (bot/console/overview.py)",
    "console.overview.series.": "the overview chart's series (bot/console/overview.py)",
    "console.people.item.": "course outcome / performance (console/person_student.html)",
    "console.people.kind.": "student / staff / guardian (console/people.html)",
    "console.status.": "an item's status in the console's lists (bot/console/overview.py)",
    r"^link\.(expired|forbidden|gone)\.(title|body)$": "a file link's error page: title and body "
    "from one stem (bot/files_view.py)",
}


TEMPLATE_KEY = r"[\"']([a-z0-9_]+(?:\.[a-z0-9_]+)+)[\"']"
TEMPLATE_PREFIX = r"[\"']([a-z0-9_]+(?:\.[a-z0-9_]+)*\.)[\"']\s*~"


def _strings_and_prefixes() -> tuple[set[str], set[str]]:
    strings: set[str] = set()
    prefixes: set[str] = set()
    for package in PACKAGES:
        base = ROOT / package
        if not base.is_dir():
            continue
        for path in base.rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    strings.add(node.value)
                elif isinstance(node, ast.JoinedStr) and node.values:
                    head = node.values[0]
                    if isinstance(head, ast.Constant) and isinstance(head.value, str):
                        prefixes.add(head.value)
                elif (
                    isinstance(node, ast.BinOp)
                    and isinstance(node.op, ast.Add)
                    and isinstance(node.left, ast.Constant)
                    and isinstance(node.left.value, str)
                ):
                    prefixes.add(node.left.value)
    for path in (ROOT / "rules").glob("*.toml"):
        strings |= set(re.findall(r'"([a-z0-9_]+(?:\.[a-z0-9_]+)+)"', path.read_text("utf-8")))
    # The console's Jinja templates name their keys in t("...") and build some with ~.
    for path in (ROOT / "bot" / "console" / "templates").rglob("*.html"):
        page = path.read_text("utf-8")
        strings |= set(re.findall(TEMPLATE_KEY, page))
        prefixes |= set(re.findall(TEMPLATE_PREFIX, page))
    return strings, prefixes


def _matches(key: str, pattern: str) -> bool:
    return bool(re.match(pattern, key)) if pattern.startswith("^") else key.startswith(pattern)


def _uses_catalogue_text(tree: ast.AST) -> bool:
    return any(
        isinstance(node, ast.ImportFrom)
        and node.module == "catalogue"
        and any(alias.name == "text" and alias.asname is None for alias in node.names)
        for node in ast.walk(tree)
    )


def _named_keys() -> set[str]:
    """Keys the code names whole: text("..."), TEXTS["..."] and `"..." in TEXTS`."""
    named: set[str] = set()
    for package in PACKAGES:
        base = ROOT / package
        if not base.is_dir():
            continue
        for path in base.rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            catalogue_text = _uses_catalogue_text(tree)
            for node in ast.walk(tree):
                arg: ast.AST | None = None
                if (
                    catalogue_text
                    and isinstance(node, ast.Call)
                    and getattr(node.func, "id", None) == "text"
                ):
                    arg = node.args[0] if node.args else None
                elif isinstance(node, ast.Subscript) and getattr(node.value, "id", None) == "TEXTS":
                    arg = node.slice
                elif isinstance(node, ast.Compare) and any(
                    getattr(c, "id", None) == "TEXTS" for c in node.comparators
                ):
                    arg = node.left
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    named.add(arg.value)
    return named


def test_every_key_the_code_names_exists() -> None:
    keys = set(load())
    assert sorted(_named_keys() - keys) == []


def test_every_key_is_used() -> None:
    strings, _ = _strings_and_prefixes()
    unused = {
        key for key in load() if key not in strings and not any(_matches(key, p) for p in DYNAMIC)
    }
    assert sorted(unused) == []


def test_every_key_built_from_parts_is_listed() -> None:
    """A prefix in code that starts catalogue keys must fall under a listed pattern."""
    _, prefixes = _strings_and_prefixes()
    keys = list(load())
    areas = {key.split(".")[0] + "." for key in keys}
    built = {
        p
        for p in prefixes
        if "." in p
        and any(p.startswith(area) for area in areas)
        and any(key.startswith(p) for key in keys)
    }
    plain = [p for p in DYNAMIC if not p.startswith("^")]
    assert sorted(p for p in built if not any(p.startswith(q) for q in plain)) == []


def test_the_patterns_are_all_needed() -> None:
    """A pattern no key matches is left over from code that is gone."""
    keys = list(load())
    assert [p for p in DYNAMIC if not any(_matches(k, p) for k in keys)] == []
