"""A browser for console tests: signs in through a real link, posts forms with their CSRF token."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from school import console_access as access
from storage.models.school import Staff

BASE = "https://portfolio.example.edu.tw"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def link_for(app: Any, staff_no: str, *, line_account: int | None = None) -> str:
    svc = app.extensions["portfolio"]
    with svc.db.transaction() as session:
        staff_id = session.scalar(select(Staff.id).where(Staff.staff_no == staff_no))
        return access.issue_link(
            session, staff_id, svc.clock.now(), BASE, line_account_id=line_account, limited=False
        )


class Browser:
    """One browser: a cookie jar, and the CSRF token of the last page that carried one."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.client = app.test_client()
        self.csrf = ""
        self.last: Any = None

    def _path(self, url: str) -> str:
        return url[len(BASE) :] if url.startswith(BASE) else url

    def get(self, url: str, **kwargs: Any) -> Any:
        response = self.client.get(self._path(url), base_url=BASE, **kwargs)
        found = (
            _CSRF.search(response.get_data(as_text=True))
            if response.mimetype == "text/html"
            else None
        )
        if found:
            self.csrf = found.group(1)
        self.last = response
        return response

    def post(
        self, url: str, data: dict[str, Any] | None = None, *, csrf: bool = True, **kwargs: Any
    ) -> Any:
        form = dict(data or {})
        if csrf:
            form.setdefault("csrf_token", self.csrf)
        headers = {"Referer": f"{BASE}/console/"}
        response = self.client.post(
            self._path(url), data=form, base_url=BASE, headers=headers, **kwargs
        )
        found = (
            _CSRF.search(response.get_data(as_text=True))
            if response.mimetype == "text/html"
            else None
        )
        if found:
            self.csrf = found.group(1)
        self.last = response
        return response

    def sign_in(self, staff_no: str, *, line_account: int | None = None) -> Any:
        url = link_for(self.app, staff_no, line_account=line_account)
        page = self.get(url)
        assert page.status_code == 200, page.get_data(as_text=True)
        response = self.post(url)
        assert response.status_code == 303, response.get_data(as_text=True)
        return self.get("/console/")

    def text(self) -> str:
        return str(self.last.get_data(as_text=True))
