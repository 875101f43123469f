"""The records' part of the periodic tick: nothing falls due here.

Consultations, cadre and attendance imports and grade-12 documents are entered by people; their
reminders (附表二: record_consultation, enter_cadres, write_autobiography) are schedule rows that
jobs/reminders.py sends, and news of comments rides on the student's next reply for free.
"""

from __future__ import annotations

from runtime.services import Services


def run(svc: Services) -> dict[str, int]:
    return {}
