"""The rules' words as people read them: audiences (role names, matched against staff roles) and
the operator's labels for windows, priorities, events, states and anchors (rules.label.*).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from catalogue import text

# Audiences are role names (data: matched against staff roles). The other labels are for the
# operator CLI (`portfolio rules show`) and come from the catalogue (rules.label.*).
AUDIENCES: Final[Mapping[str, str]] = {
    "student": "學生",
    "parent": "家長",
    "certifier": "任課教師",
    "teacher": "任課教師",
    "homeroom": "導師",
    "consultant": "課程諮詢教師",
    "convener": "科召集人",
    "registrar": "註冊組",
    "teaching": "教學組",
    "activities": "訓育組",
    "clubs": "社團組",
    "conduct": "生輔組",
    "counselling": "輔導室",
    "library_it": "資媒組",
    "working_group": "工作小組",
    "executive_secretary": "執行秘書",
}


def _labels(group: str, keys: Sequence[str]) -> Mapping[str, str]:
    return {key: text(f"rules.label.{group}.{key}") for key in keys}


WINDOW_LABELS: Final[Mapping[str, str]] = _labels(
    "window",
    (
        "upload",
        "performance_upload",
        "certification",
        "picking",
        "receipt_confirmation",
        "submission",
    ),
)
PRIORITY_LABELS: Final[Mapping[str, str]] = _labels("priority", ("urgent", "normal", "low"))
EVENT_LABELS: Final[Mapping[str, str]] = _labels(
    "event", ("student_training", "teacher_workshop", "parent_briefing")
)
STATE_LABELS: Final[Mapping[str, str]] = _labels(
    "state", ("draft", "pending", "certified", "rejected")
)
ANCHOR_LABELS: Final[Mapping[str, str]] = _labels(
    "anchor", ("semester.start", "semester.closing_ceremony", "semester.end")
)
