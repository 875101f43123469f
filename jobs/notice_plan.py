"""One tick's notices: each person's items, the notice card with its button, and the sending of
what is due in as few LINE calls as possible (identical pushes share a multicast)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from catalogue import TEXTS, text
from flows import messages as m
from rules.model import LAST_GRADE, NotConfigured, Occurrence, Window
from rules.school_rules import SchoolRules
from school import delivery_log
from school.recipients import Recipient
from storage.clock import TAIPEI
from storage.outbox import Outbox

# How far back a tick looks for occurrences it has not delivered (an outage over a long weekend).
CATCH_UP = timedelta(days=3)
# A notice not tied to a window is no use held back longer than this.
STALE_AFTER = timedelta(days=14)

# What the button under a notice starts: the front desk's menu action for each flow a schedule
# row names. `portfolio rules check` refuses rows naming a flow missing here.
FLOW_ACTIONS: dict[str, str] = {
    "upload_course_outcome": "upload",
    "upload_performance": "performance",
    "class_progress": "class_progress",
    "record_consultation": "consult",
    "certify": "certify",
    "pick": "pick",
    "confirm_receipt": "confirm_receipt",
    "write_autobiography": "write_autobiography",
    "export_picks": "export_picks",
    "subject_progress": "subject_progress",
    "group_consultation": "group_consultation",
    # Office work done outside the bot (the registrar's system, the national platform): the
    # button opens the office's 待辦 list instead.
    "check_basic_data": "todo",
    "check_courses": "todo",
    "enter_cadres": "todo",
}
PRIORITY_RANK = {"urgent": 0, "normal": 1, "low": 2}


@dataclass
class Item:
    """One notice for one person; the person's items of one tick are sent together."""

    rule: str
    period: str
    due: datetime
    priority: str
    messages: list[dict[str, Any]]
    stale_after: datetime | None


@dataclass
class Plan:
    """Everything due this tick, per person, then grouped into as few LINE calls as possible."""

    people: dict[str, Recipient] = field(default_factory=dict)
    items: dict[str, list[Item]] = field(default_factory=lambda: defaultdict(list))

    def add(self, person: Recipient, item: Item) -> None:
        self.people.setdefault(person.key, person)
        self.items[person.key].append(item)

    def __len__(self) -> int:
        return sum(len(v) for v in self.items.values())

    def send(self, session: Any, outbox: Outbox, now: datetime) -> Counter[str]:
        counts: Counter[str] = Counter()
        groups: dict[tuple[str, str], list[str]] = defaultdict(list)
        for key, items in self.items.items():
            items.sort(key=lambda i: (i.due, i.rule))
            messages = [msg for item in items for msg in item.messages]
            priority = min((i.priority for i in items), key=PRIORITY_RANK.__getitem__)
            groups[(json.dumps(messages, ensure_ascii=False, sort_keys=True), priority)].append(key)
        for (payload, priority), keys in groups.items():
            messages = json.loads(payload)
            first = self.items[keys[0]][0]
            accounts = [a for k in keys for a in self.people[k].line_user_ids]
            rows = outbox.multicast(
                accounts, messages, purpose=purpose(first.rule), priority=priority
            )
            row_of: dict[str, int] = {}
            for row in rows:
                for account in row.recipients:
                    row_of.setdefault(account, row.id)
            for key in keys:
                person = self.people[key]
                for item in self.items[key]:
                    delivery_log.record_delivery(
                        session,
                        item.rule,
                        item.period,
                        key,
                        item.due,
                        now,
                        row_of.get(person.line_user_ids[0]),
                        item.stale_after,
                    )
                    counts[item.rule.split(":")[0]] += 1
            counts["line_calls"] += len(rows)
        counts["people"] = len(self.items)
        return counts


def purpose(rule: str) -> str:
    return f"schedule:{rule}"[:48]


def period_of(occurrence: Occurrence) -> str:
    """The occurrence's identity: it stays the same if a window change moves its date."""
    if occurrence.row.when.scope == "dates":
        return f"{occurrence.academic_year}@{occurrence.due.astimezone(TAIPEI):%m-%d}"
    if occurrence.semester is not None:
        return f"{occurrence.academic_year}-{occurrence.semester}"
    return str(occurrence.academic_year)


class Notice:
    """Builds one occurrence's items: the rules text, the person's standing, the button."""

    def __init__(self, rules: SchoolRules, occurrence: Occurrence) -> None:
        self.rules = rules
        self.occurrence = occurrence
        self._values: dict[int | None, dict[str, str]] = {}

    def values(self, grade: int | None) -> dict[str, str]:
        if grade is None:
            grade = row_grade(self.occurrence)
        if grade not in self._values:
            o = self.occurrence
            self._values[grade] = self.rules.notice_values(o.academic_year, o.semester, grade=grade)
        return self._values[grade]

    def item(
        self, lines: list[str], *, grade: int | None = None, stale_after: datetime | None = None
    ) -> Item:
        o = self.occurrence
        body = text(o.row.text_key, **self.values(grade))
        return Item(
            rule=f"row:{o.row.id}",
            period=period_of(o),
            due=o.due,
            priority=o.row.priority,
            messages=[notice_message(body, lines, o.row.flow)],
            stale_after=stale_after if stale_after is not None else o.due + STALE_AFTER,
        )


def notice_message(body: str, lines: list[str], flow: str | None) -> dict[str, Any]:
    """A notice card: the text, where the person stands (bold), and a button into the flow."""
    contents: list[dict[str, Any]] = [{"type": "text", "text": body, "wrap": True}]
    contents += [{"type": "text", "text": line, "wrap": True, "weight": "bold"} for line in lines]
    bubble: dict[str, Any] = {
        "type": "bubble",
        "body": {"type": "box", "layout": "vertical", "spacing": "md", "contents": contents},
    }
    button = button_for(flow)
    if button is not None:
        bubble["footer"] = {
            "type": "box",
            "layout": "vertical",
            "contents": [{"type": "button", "style": "primary", "height": "sm", "action": button}],
        }
    alt = "\n".join([body, *lines])
    return m.flex(alt[:400], bubble)


def button_for(flow: str | None) -> dict[str, Any] | None:
    if flow is None or flow not in FLOW_ACTIONS:
        return None
    action = FLOW_ACTIONS[flow]
    key = "schedule.button.todo" if action == "todo" else f"rules.button.{flow}"
    label = TEXTS[key] if key in TEXTS else text("schedule.button.open")
    return m.postback_action(label, f"menu:{action}", label)


def row_grade(o: Occurrence) -> int | None:
    """Grade 12 for a row that only concerns grade 12 (its windows are grade 12's own)."""
    return LAST_GRADE if o.row.grades == (LAST_GRADE,) else None


def window_of(rules: SchoolRules, kind: str, o: Occurrence, grade: int | None) -> Window | None:
    try:
        return rules.window(kind, o.academic_year, o.semester, grade=grade)
    except (NotConfigured, ValueError):
        return None
