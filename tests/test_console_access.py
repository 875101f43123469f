"""The console's door: sign-in links, sessions, roles per route, CSRF, rate limits, audit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, select

from school import console_access as access
from storage.models.console import ConsoleAudit, ConsoleLink, ConsoleSession
from storage.models.line import LineAccount
from storage.models.school import Staff, StaffRole
from tests.console_support import BASE, Browser, link_for
from tests.school import REGISTRAR, School


@pytest.fixture
def office(db: Any, school: School) -> School:
    """The small school plus 教學組 (A002), bound to LINE as Uteach."""
    with db.transaction() as s:
        member = Staff(staff_no="A002", name="劉教學", roles=[StaffRole(role="教學組")])
        s.add(member)
        s.flush()
        s.add(LineAccount(line_user_id="Uteach", staff_id=member.id, created_at=access_now(s)))
        school.staff["A002"] = member.id
    return school


def access_now(_: Any) -> Any:
    from tests.conftest import SCHOOL_DAY

    return SCHOOL_DAY


def account_id(db: Any, line_user_id: str) -> int:
    with db.session() as s:
        return int(s.scalar(select(LineAccount.id).where(LineAccount.line_user_id == line_user_id)))


# --- the sign-in link's life cycle ---------------------------------------------------------------


def test_a_get_shows_one_button_and_uses_nothing(app: Any, school: School, db: Any) -> None:
    browser = Browser(app)
    url = link_for(app, "A001")
    assert url.startswith(f"{BASE}/console/signin/")
    for _ in range(3):  # LINE's previewer, a mail scanner, then the person
        page = browser.get(url)
        assert page.status_code == 200
    assert page.get_data(as_text=True).count('type="submit"') == 1
    # The POST must carry a same-site Referer (Flask-WTF checks it on https); nowhere else.
    assert page.headers["Referrer-Policy"] == "same-origin"
    assert "登入" in page.get_data(as_text=True)
    with db.session() as s:
        assert s.scalar(select(ConsoleLink.used_at)) is None
        assert s.scalar(select(ConsoleSession.id)) is None
    assert browser.get("/console/").status_code == 401


def test_the_post_signs_in_once_and_sets_a_safe_cookie(app: Any, school: School, db: Any) -> None:
    browser = Browser(app)
    url = link_for(app, "A001")
    browser.get(url)
    response = browser.post(url)
    assert response.status_code == 303 and response.headers["Location"].endswith("/console/")
    cookie = response.headers["Set-Cookie"]
    assert "console_session=" in cookie
    for flag in ("HttpOnly", "Secure", "SameSite=Lax", "Path=/console"):
        assert flag in cookie
    page = browser.get("/console/")
    assert page.status_code == 200 and "張雅婷" in browser.text() and "登出" in browser.text()
    # Used: a second browser (or the same one) gets a clear page, not a trace.
    again = Browser(app)
    again.get(url)
    assert again.last.status_code == 410 and "已經用過" in again.text()
    assert "Traceback" not in again.text()


def test_no_secure_flag_when_the_public_url_is_http(app: Any, school: School) -> None:
    svc = app.extensions["portfolio"]
    from bot import create_app

    plain = create_app(
        svc.settings.with_changes(public_base_url="http://school.local"),
        db=svc.db,
        queue="manual",
        clock=svc.clock,
        line=svc.line,
    )
    browser = Browser(plain)
    url = link_for(plain, "A001")
    browser.get(url)
    response = browser.post(url)
    assert "Secure" not in response.headers["Set-Cookie"]


def test_an_expired_or_forged_link_gets_a_clear_page(app: Any, school: School, clock: Any) -> None:
    browser = Browser(app)
    url = link_for(app, "A001")
    clock.advance(minutes=10, seconds=1)
    assert browser.get(url).status_code == 410 and "已過期" in browser.text()
    forged = f"{BASE}/console/signin/{'x' * 43}"
    assert browser.get(forged).status_code == 410 and "無法使用" in browser.text()
    browser.get(link_for(app, "A001"))  # a fresh page, for its CSRF token
    assert browser.post(url).status_code == 410
    assert browser.post(forged).status_code == 410
    assert browser.get("/console/").status_code == 401


def test_nothing_personal_in_the_link(app: Any, school: School) -> None:
    url = link_for(app, "A001")
    for personal in ("A001", "張雅婷", "Ureg", str(school.staff["A001"]) + "/"):
        assert personal not in url


def test_sessions_end_after_8_idle_hours_and_7_days(app: Any, school: School, clock: Any) -> None:
    browser = Browser(app)
    browser.sign_in("A001")
    clock.advance(hours=7, minutes=59)
    assert browser.get("/console/").status_code == 200
    clock.advance(hours=8)
    assert browser.get("/console/").status_code == 401
    busy = Browser(app)
    busy.sign_in("A001")
    for _ in range(7 * 4):  # used every 6 hours: never idle, but a week is the most
        clock.advance(hours=6)
        if busy.get("/console/").status_code != 200:
            break
    assert busy.last.status_code == 401
    assert clock.now() - timedelta(days=7) <= clock.now()


def test_sign_out_on_every_page_ends_the_session(app: Any, school: School, db: Any) -> None:
    browser = Browser(app)
    browser.sign_in("A001")
    for path in ("/console/", "/console/audit"):
        browser.get(path)
        assert 'action="/console/signout"' in browser.text()
    browser.post("/console/signout")
    assert "已登出" in browser.text()
    assert browser.get("/console/").status_code == 401
    with db.session() as s:
        assert s.scalar(select(ConsoleSession.end_reason)) == "signed_out"


def test_unbinding_ends_the_session_at_once(app: Any, school: School, chat: Any, db: Any) -> None:
    browser = Browser(app)
    browser.sign_in("A001", line_account=account_id(db, REGISTRAR))
    assert browser.get("/console/").status_code == 200
    chat.say(REGISTRAR, "解除綁定")
    chat.say(REGISTRAR, "確定解除")
    assert browser.get("/console/").status_code == 401
    with db.session() as s:
        assert s.scalar(select(ConsoleSession.end_reason)) in ("unbound", "signed_out")


def test_losing_the_role_ends_the_session(app: Any, school: School, db: Any) -> None:
    browser = Browser(app)
    browser.sign_in("A001")
    with db.transaction() as s:
        s.execute(delete(StaffRole).where(StaffRole.staff_id == school.staff["A001"]))
    assert browser.get("/console/").status_code == 401
    with db.session() as s:
        assert s.scalar(select(ConsoleSession.end_reason)) == "no_role"


# --- asking for a link in LINE, and from the CLI -------------------------------------------------


def test_staff_write_houtai_and_get_a_button_not_a_bare_url(
    app: Any, school: School, chat: Any
) -> None:
    messages = chat.say(REGISTRAR, "後台")
    assert len(messages) == 1 and messages[0]["type"] == "template"
    action = messages[0]["template"]["actions"][0]
    assert action["type"] == "uri" and action["uri"].startswith(f"{BASE}/console/signin/")
    assert "http" not in messages[0]["template"]["text"]
    browser = Browser(app)
    browser.get(action["uri"])
    assert browser.post(action["uri"]).status_code == 303


def test_the_staff_menu_tile_asks_for_a_link(app: Any, school: School, chat: Any) -> None:
    messages = chat.tap(REGISTRAR, "menu:console")
    assert messages[0]["template"]["actions"][0]["uri"].startswith(f"{BASE}/console/signin/")


def test_students_get_no_link(app: Any, school: School, chat: Any) -> None:
    messages = chat.say("Us10101", "後台")
    assert "/console/signin/" not in str(messages)


def test_link_requests_are_rate_limited(app: Any, school: School, chat: Any, clock: Any) -> None:
    for _ in range(access.LINK_LIMIT[0]):
        assert "/console/signin/" in str(chat.say(REGISTRAR, "後台"))
    refused = chat.say(REGISTRAR, "後台")
    assert "/console/signin/" not in str(refused) and "分鐘後再試" in chat.texts(refused)
    clock.advance(hours=1, seconds=1)
    assert "/console/signin/" in str(chat.say(REGISTRAR, "後台"))


def test_cli_prints_a_link_for_the_first_sign_in(app: Any, school: School) -> None:
    result = app.test_cli_runner().invoke(args=["console", "link", "--staff", "T004"])
    assert result.exit_code == 0, result.output
    url = result.output.splitlines()[0]
    browser = Browser(app)
    browser.get(url)
    assert browser.post(url).status_code == 303
    assert "黃淑芬" in browser.get("/console/").get_data(as_text=True)
    unknown = app.test_cli_runner().invoke(args=["console", "link", "--staff", "X999"])
    assert unknown.exit_code != 0 and "X999" in unknown.output
    assert isinstance(CliRunner, type)


# --- roles on every route ------------------------------------------------------------------------

# (method, path) → the staff numbers allowed; everyone else of ALL_STAFF gets 403.
ALL_STAFF = ("A001", "A002", "T001", "T003", "T004")
ROUTES: dict[tuple[str, str], set[str]] = {
    ("GET", "/console/"): set(ALL_STAFF),
    ("GET", "/console/audit"): {"A001", "A002"},
    ("GET", "/console/list/pending"): set(ALL_STAFF),  # each sees their own scope's
    ("GET", "/console/list/silent"): {"A001", "A002", "T001"},
    ("GET", "/console/list/nonsense"): set(),
    ("GET", "/console/list/pending?format=xlsx"): set(ALL_STAFF),
    ("GET", "/console/roster"): {"A001", "A002"},
    ("POST", "/console/roster/preview"): set(),  # allowed ones get 400 (no file) — see below
    ("POST", "/console/roster/confirm"): set(),
    ("GET", "/console/codes"): {"A001"},
    ("GET", "/console/codes/class/1"): {"A001"},
    ("POST", "/console/codes/issue"): set(),
    ("POST", "/console/codes/reissue"): set(),
    ("GET", "/console/people"): {"A001", "A002", "T001"},
    ("POST", "/console/people"): {"A001", "A002", "T001"},
    ("GET", "/console/people/student/1"): {"A001", "A002", "T001"},
    ("GET", "/console/people/staff/1"): {"A001", "A002"},
}
# POSTs that the allowed roles reach but whose empty form is answered 400/410, not 200.
REACHED = {
    ("POST", "/console/roster/preview"): {"A001", "A002"},
    ("POST", "/console/roster/confirm"): {"A001", "A002"},
    ("POST", "/console/codes/issue"): {"A001"},
    ("POST", "/console/codes/reissue"): {"A001"},
}


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_every_route_checks_roles_on_the_server(
    app: Any, office: School, route: tuple[str, str]
) -> None:
    method, path = route
    for staff_no in ALL_STAFF:
        browser = Browser(app)
        browser.sign_in(staff_no)
        response = browser.get(path) if method == "GET" else browser.post(path)
        expected = 200 if staff_no in ROUTES[route] else 403
        if staff_no in REACHED.get(route, ()):
            assert response.status_code in (400, 410), (staff_no, path, response.status_code)
            continue
        assert response.status_code == expected, (staff_no, path, response.status_code)
        if expected == 403:
            assert "沒有這一頁的權限" in browser.text()
        unsigned = Browser(app)
        assert (unsigned.get(path) if method == "GET" else unsigned.post(path)).status_code in (
            401,
            400,
        )


def test_a_homeroom_teacher_sees_only_their_class(app: Any, school: School) -> None:
    browser = Browser(app)
    browser.sign_in("T001")  # 王美玲, homeroom of 101
    assert browser.get(f"/console/list/silent?class={school.classes['101']}").status_code == 200
    assert browser.get(f"/console/list/silent?class={school.classes['102']}").status_code == 403
    assert (
        browser.get(f"/console/list/pending?course={school.courses['102-英語文']}").status_code
        == 403
    )
    overview = browser.get("/console/").get_data(as_text=True)
    assert "102" not in overview.split('id="class-table"')[1].split("</table>")[0]


def test_a_teacher_sees_their_own_courses_only(app: Any, school: School) -> None:
    browser = Browser(app)
    browser.sign_in("T003")  # 陳建宏 teaches 數學
    assert (
        browser.get(f"/console/list/pending?course={school.courses['101-數學']}").status_code == 200
    )
    assert (
        browser.get(f"/console/list/pending?course={school.courses['101-國語文']}").status_code
        == 403
    )
    assert browser.get(f"/console/list/silent?class={school.classes['101']}").status_code == 403


# --- CSRF ---------------------------------------------------------------------------------------


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(
    app: Any, school: School, db: Any
) -> None:
    browser = Browser(app)
    url = link_for(app, "A001")
    browser.get(url)
    refused = browser.post(url, csrf=False)
    assert refused.status_code == 400 and "表單已過期" in browser.text()
    wrong = browser.post(url, {"csrf_token": "forged"})
    assert wrong.status_code == 400
    with db.session() as s:
        assert s.scalar(select(ConsoleLink.used_at)) is None
    browser.sign_in("A001")
    assert browser.post("/console/signout", csrf=False).status_code == 400
    assert browser.get("/console/").status_code == 200


# --- the audit log ------------------------------------------------------------------------------


def test_the_audit_log_shows_who_what_when_to_the_owning_office(
    app: Any, office: School, db: Any, clock: Any
) -> None:
    with db.transaction() as s:
        access.audit(
            s,
            school_staff(office, "A001"),
            "註冊組",
            "roster_import",
            clock.now(),
            "學生名冊 新增 3 筆",
            before=9,
            after=12,
        )
        access.audit(
            s,
            school_staff(office, "A002"),
            "教學組",
            "roster_import",
            clock.now(),
            "課程 新增 1 筆",
            before=12,
            after=13,
        )
    registrar = Browser(app)
    registrar.sign_in("A001")
    page = registrar.get("/console/audit").get_data(as_text=True)
    assert "張雅婷" in page and "學生名冊 新增 3 筆" in page and "2026/10/15 10:00" in page
    assert "課程 新增 1 筆" not in page  # 教學組's own
    filtered = registrar.get("/console/audit?since=民國 115/10/16").get_data(as_text=True)
    assert "學生名冊 新增 3 筆" not in filtered
    same_day = registrar.get("/console/audit?since=2026/10/15&until=115/10/15")
    assert "學生名冊 新增 3 筆" in same_day.get_data(as_text=True)
    bad = registrar.get("/console/audit?since=someday").get_data(as_text=True)
    assert "2026/12/05" in bad and "民國 115/12/05" in bad
    sheet = registrar.get("/console/audit?format=xlsx")
    assert sheet.mimetype.endswith("spreadsheetml.sheet")
    with db.session() as s:
        assert (
            s.scalar(select(ConsoleAudit.before_count).where(ConsoleAudit.office == "註冊組")) == 9
        )


def school_staff(school: School, staff_no: str) -> int:
    return school.staff[staff_no]


def test_the_chart_library_is_served_by_the_app_with_its_licence(app: Any) -> None:
    client = app.test_client()
    script = client.get("/console/assets/chart.umd.min.js")
    assert script.status_code == 200 and b"Chart" in script.data
    assert script.mimetype == "text/javascript"
    licence = client.get("/console/assets/chart.js-LICENSE.md")
    assert licence.status_code == 200 and b"MIT" in licence.data
    assert client.get("/console/assets/kurkle-color-LICENSE.md").status_code == 200
    assert client.get("/console/assets/..%2Fpackage.json").status_code == 404
