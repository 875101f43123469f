"""人員: find a student, staff member or guardian; their roles, binding and items with files.

The search words travel in a POST body, never in the URL (names are personal data).
"""

from __future__ import annotations

from flask import Response, request

from bot.console.core import OFFICE_STAFF, bp, now, page, reading, render, require, svc, user
from flows.links import file_link
from school import people
from school.file_access import VIEWER_STAFF

# Files shown inline: an iframe for PDFs, an image or a video player for media.
INLINE = {
    "application/pdf": "frame",
    "image/jpeg": "image",
    "image/png": "image",
    "image/webp": "image",
    "video/mp4": "video",
    "video/quicktime": "video",
}


def _class_scope() -> frozenset[int] | None:
    """None for offices (everyone); a homeroom teacher's classes otherwise."""
    who = user()
    return None if who.has(*OFFICE_STAFF) else who.homeroom_class_ids


@bp.get("/people")
@page("people")
def people_page() -> Response:
    return render("people.html", found=None, words="")


@bp.post("/people")
@page("people")
def people_search() -> Response:
    words = request.form.get("q", "").strip()[:40]
    with reading() as session:
        found = people.find(session, words, _class_scope())
    return render("people.html", found=found, words=words)


def _link(file_id: int) -> str:
    settings = svc().settings
    return file_link(
        settings.secret_key,
        settings.public_base_url,
        file_id,
        (VIEWER_STAFF, user().staff_id),
        now(),
    )


@bp.get("/people/<kind>/<int:person_id>")
@page("people")
def person(kind: str, person_id: int) -> Response:
    require(kind in people.KINDS)
    scope = _class_scope()
    with reading() as session:
        if kind == people.STUDENT:
            card = people.student_card(session, person_id)
            require(card is not None)
            assert card is not None
            require(scope is None or card.student.class_id in scope)
            return render("person_student.html", card=card, link=_link, inline=INLINE)
        if kind == people.GUARDIAN:
            require(
                scope is None or bool(people.guardian_class_ids(session, person_id) & set(scope))
            )
            guardian = people.guardian_card(session, person_id)
            require(guardian is not None)
            return render("person_guardian.html", card=guardian)
        require(scope is None)
        member = people.staff_card(session, person_id)
        require(member is not None)
        return render("person_staff.html", card=member)
