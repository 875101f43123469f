"""Rich menus: the table against LINE's limits, the images, and sync idempotence on a fake LINE."""

from __future__ import annotations

import io
import os
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from linebot.v3.messaging import (
    ApiException,
    ApiResponse,
    CreateRichMenuAliasRequest,
    RichMenuAliasResponse,
    RichMenuBatchProgressResponse,
    RichMenuBatchRequest,
    RichMenuIdResponse,
    RichMenuListResponse,
    RichMenuRequest,
    RichMenuResponse,
    UpdateRichMenuAliasRequest,
)
from PIL import Image

import catalogue as texts
from bot import richmenu, richmenu_drawing, richmenu_sync
from bot.richmenu import (
    MENU_ITEMS,
    alias_id,
    keyword_for_postback,
    layout,
    menu_request,
    role_of_menu_name,
)
from bot.richmenu_drawing import FontNotFound, find_cjk_font, render_menu_image
from bot.richmenu_sync import link_menu, sync_rich_menus
from runtime.line import RichMenuMissing, unlink_menu

# The keywords each role must reach from its menu (the same actions work when typed).
REQUIRED_KEYWORDS = {
    "student": {"上傳", "多元表現", "我的歷程", "勾選", "說明", "帳號"},
    "teacher": {"待認證", "諮詢紀錄", "說明"},
    "homeroom": {"待認證", "班級進度", "諮詢紀錄", "說明"},
    "guardian": {"孩子進度", "說明會", "說明"},
    "staff": {"待辦", "公告", "後台", "說明"},
    "staff_teacher": {"待辦", "公告", "後台", "待認證", "諮詢紀錄", "說明"},
    "staff_homeroom": {"待辦", "公告", "後台", "待認證", "班級進度", "諮詢紀錄", "說明"},
}


@pytest.fixture(scope="session")
def cjk_font() -> Path:
    try:
        return find_cjk_font()
    except FontNotFound as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must have a CJK font installed: {exc}")
        pytest.skip(f"no CJK font on this machine ({exc})")


# --- the table --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(MENU_ITEMS))
def test_request_is_valid_for_the_sdk_and_line_limits(role: str) -> None:
    name = f"{richmenu.MENU_NAME_PREFIX}{role}-0123456789"
    request = menu_request(role, name)
    # Round trip through the SDK model validates every field's type and constraint.
    again = RichMenuRequest.from_dict(request.to_dict())
    assert again == request
    body = request.to_dict()
    width, height = body["size"]["width"], body["size"]["height"]
    assert width == 2500 and height in (1686, 843)
    assert 1 <= len(body["areas"]) <= richmenu.MAX_AREAS
    assert len(body["chatBarText"]) <= richmenu.MAX_CHAT_BAR_TEXT
    assert len(body["name"]) <= 300
    for area in body["areas"]:
        b = area["bounds"]
        assert b["x"] >= 0 and b["y"] >= 0
        assert b["x"] + b["width"] <= width and b["y"] + b["height"] <= height
        action = area["action"]
        assert action["type"] == "postback"
        assert 1 <= len(action["label"]) <= richmenu.MAX_ACTION_LABEL
        assert len(action["data"]) <= richmenu.MAX_POSTBACK_DATA
        assert action["data"].startswith(richmenu.POSTBACK_PREFIX)
        assert 1 <= len(action["displayText"]) <= 300
        assert action.get("inputOption") in (None, "closeRichMenu")


@pytest.mark.parametrize("role", list(MENU_ITEMS))
def test_tiles_cover_the_menu_exactly_once(role: str) -> None:
    tiles = layout(role)
    height = richmenu.menu_height(role)
    covered = sum(t.width * t.height for t in tiles)
    assert covered == richmenu.MENU_WIDTH * height
    for i, a in enumerate(tiles):
        for b in tiles[i + 1 :]:
            overlap_x = min(a.x + a.width, b.x + b.width) - max(a.x, b.x)
            overlap_y = min(a.y + a.height, b.y + b.height) - max(a.y, b.y)
            assert overlap_x <= 0 or overlap_y <= 0, (a.item.name, b.item.name)


@pytest.mark.parametrize("role", list(MENU_ITEMS))
def test_every_required_keyword_is_on_the_menu(role: str) -> None:
    assert {item.keyword for item in MENU_ITEMS[role]} == REQUIRED_KEYWORDS[role]


def test_postback_data_maps_back_to_its_keyword() -> None:
    for items in MENU_ITEMS.values():
        for item in items:
            assert keyword_for_postback(item.data) == item.keyword
    assert keyword_for_postback("menu:nope") is None
    assert keyword_for_postback("") is None
    assert keyword_for_postback("上傳") is None


def test_one_postback_data_means_one_keyword_everywhere() -> None:
    by_data: dict[str, set[str]] = {}
    for items in MENU_ITEMS.values():
        for item in items:
            by_data.setdefault(item.data, set()).add(item.keyword)
    assert all(len(keywords) == 1 for keywords in by_data.values())
    by_keyword: dict[str, set[str]] = {}
    for items in MENU_ITEMS.values():
        for item in items:
            by_keyword.setdefault(item.keyword, set()).add(item.data)
    assert all(len(data) == 1 for data in by_keyword.values())


def test_labels_and_hints_come_from_the_catalogue() -> None:
    assert "menu.chat_bar" in texts.TEXTS
    for items in MENU_ITEMS.values():
        for item in items:
            assert texts.TEXTS[f"menu.{item.name}.label"] == item.label
            assert texts.TEXTS[f"menu.{item.name}.hint"] == item.hint
            assert item.glyph in richmenu_drawing._GLYPHS


def test_aliases_fit_lines_limit_and_unknown_roles_are_refused() -> None:
    for role in MENU_ITEMS:
        assert len(alias_id(role)) <= richmenu.MAX_ALIAS_ID
        assert role_of_menu_name(f"{richmenu.MENU_NAME_PREFIX}{role}-abcdef0123") == role
    assert role_of_menu_name("someone-elses-menu") is None
    assert role_of_menu_name(f"{richmenu.MENU_NAME_PREFIX}student") is None
    with pytest.raises(ValueError):
        alias_id("principal")


# --- fonts and images -------------------------------------------------------------------------


def test_a_missing_font_file_says_how_to_install_one(tmp_path: Path) -> None:
    with pytest.raises(FontNotFound, match="apt-get install fonts-"):
        find_cjk_font(tmp_path / "nope.ttf")


def test_the_env_var_overrides_the_search(cjk_font: Path) -> None:
    from runtime.config import load_settings

    settings = load_settings(
        {
            "LINE_CHANNEL_SECRET": "s",
            "LINE_CHANNEL_ACCESS_TOKEN": "t",
            "SECRET_KEY": secrets.token_urlsafe(32),
            richmenu_drawing.FONT_ENV_VAR: str(cjk_font),
        }
    )
    assert settings.cjk_font == cjk_font
    assert find_cjk_font(settings.cjk_font) == cjk_font


def test_a_font_without_chinese_is_refused() -> None:
    latin = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if not latin.is_file():
        pytest.skip("DejaVu Sans is not installed")
    assert richmenu_drawing.missing_glyphs(latin, "上傳A") == "上傳"
    with pytest.raises(FontNotFound, match="cannot draw"):
        render_menu_image("student", latin)


@pytest.mark.parametrize("role", list(MENU_ITEMS))
def test_image_fits_the_menu_and_lines_size_limit(role: str, cjk_font: Path) -> None:
    assert (
        richmenu_drawing.missing_glyphs(cjk_font, "".join(richmenu_drawing._menu_texts(role))) == ""
    )
    data = render_menu_image(role, cjk_font)
    assert len(data) < richmenu.MAX_IMAGE_BYTES
    with Image.open(io.BytesIO(data)) as image:
        assert image.format in ("PNG", "JPEG")
        assert image.size == (richmenu.MENU_WIDTH, richmenu.menu_height(role))
    assert richmenu_drawing.image_content_type(data) == f"image/{image.format.lower()}"


def test_rendering_is_deterministic(cjk_font: Path) -> None:
    # Names hash the image bytes: a byte that changes by itself would make sync churn menus.
    first = richmenu_drawing._render.__wrapped__(
        "guardian", cjk_font, 0, richmenu_drawing._menu_texts("guardian")
    )
    assert first == render_menu_image("guardian", cjk_font)


# --- a fake LINE platform ---------------------------------------------------------------------


def _not_found() -> ApiException:
    return ApiException(status=404, reason="Not Found")


@dataclass
class FakeLine:
    """Just enough of LINE's rich menu endpoints, holding their rules, to check sync's calls."""

    menus: dict[str, RichMenuRequest] = field(default_factory=dict)
    images: dict[str, bytes] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)
    batches: dict[str, str] = field(default_factory=dict)
    batch_phase: str = "succeeded"
    batch_error: int | None = None
    calls: list[str] = field(default_factory=list)

    def _record(self, name: str, kwargs: dict[str, Any]) -> None:
        assert kwargs.get("_request_timeout"), f"{name} was called without _request_timeout"
        self.calls.append(name)

    def count(self, name: str) -> int:
        return self.calls.count(name)


class FakeMessagingApi:
    def __init__(self, line: FakeLine) -> None:
        self.line = line

    def get_rich_menu_list(self, **kw: Any) -> RichMenuListResponse:
        self.line._record("get_rich_menu_list", kw)
        return RichMenuListResponse(
            richmenus=[
                RichMenuResponse.from_dict({**menu.to_dict(), "richMenuId": menu_id})
                for menu_id, menu in self.line.menus.items()
            ]
        )

    def create_rich_menu(self, request: RichMenuRequest, **kw: Any) -> RichMenuIdResponse:
        self.line._record("create_rich_menu", kw)
        menu_id = f"richmenu-{uuid.uuid4().hex}"
        self.line.menus[menu_id] = request
        return RichMenuIdResponse(richMenuId=menu_id)

    def delete_rich_menu(self, menu_id: str, **kw: Any) -> None:
        self.line._record("delete_rich_menu", kw)
        if menu_id not in self.line.menus:
            raise _not_found()
        del self.line.menus[menu_id]
        self.line.images.pop(menu_id, None)
        # LINE unlinks users of a deleted menu.
        self.line.links = {u: m for u, m in self.line.links.items() if m != menu_id}

    def get_rich_menu_alias(self, alias: str, **kw: Any) -> RichMenuAliasResponse:
        self.line._record("get_rich_menu_alias", kw)
        if alias not in self.line.aliases:
            raise _not_found()
        return RichMenuAliasResponse(richMenuAliasId=alias, richMenuId=self.line.aliases[alias])

    def _check_aliasable(self, menu_id: str) -> None:
        if menu_id not in self.line.menus or menu_id not in self.line.images:
            raise ApiException(status=400, reason="rich menu has no image")

    def create_rich_menu_alias(self, request: CreateRichMenuAliasRequest, **kw: Any) -> None:
        self.line._record("create_rich_menu_alias", kw)
        if request.rich_menu_alias_id in self.line.aliases:
            raise ApiException(status=400, reason="conflict richmenu alias id")
        self._check_aliasable(request.rich_menu_id)
        self.line.aliases[request.rich_menu_alias_id] = request.rich_menu_id

    def update_rich_menu_alias(
        self, alias: str, request: UpdateRichMenuAliasRequest, **kw: Any
    ) -> None:
        self.line._record("update_rich_menu_alias", kw)
        if alias not in self.line.aliases:
            raise _not_found()
        self._check_aliasable(request.rich_menu_id)
        self.line.aliases[alias] = request.rich_menu_id

    def link_rich_menu_id_to_user(self, user_id: str, menu_id: str, **kw: Any) -> None:
        self.line._record("link_rich_menu_id_to_user", kw)
        self._check_aliasable(menu_id)
        self.line.links[user_id] = menu_id

    def unlink_rich_menu_id_from_user(self, user_id: str, **kw: Any) -> None:
        self.line._record("unlink_rich_menu_id_from_user", kw)
        self.line.links.pop(user_id, None)

    def rich_menu_batch_with_http_info(self, request: RichMenuBatchRequest, **kw: Any) -> Any:
        self.line._record("rich_menu_batch", kw)
        if self.line.batch_error is not None:
            raise ApiException(status=self.line.batch_error, reason="batch refused")
        if self.line.batch_phase == "succeeded":
            for op in request.operations:
                body = op.to_dict()
                for user, menu_id in list(self.line.links.items()):
                    if menu_id == body["from"]:
                        self.line.links[user] = body["to"]
        request_id = uuid.uuid4().hex
        self.line.batches[request_id] = self.line.batch_phase
        return ApiResponse(status_code=202, headers={"x-line-request-id": request_id})

    def get_rich_menu_batch_progress(
        self, request_id: str, **kw: Any
    ) -> RichMenuBatchProgressResponse:
        self.line._record("get_rich_menu_batch_progress", kw)
        return RichMenuBatchProgressResponse.from_dict(
            {"phase": self.line.batches[request_id], "acceptedTime": "2026-09-01T00:00:00Z"}
        )


class FakeMessagingApiBlob:
    def __init__(self, line: FakeLine) -> None:
        self.line = line

    def set_rich_menu_image(self, menu_id: str, body: bytes, **kw: Any) -> None:
        self.line._record("set_rich_menu_image", kw)
        content_type = kw.get("_headers", {}).get("Content-Type")
        assert content_type in ("image/png", "image/jpeg"), content_type
        if menu_id not in self.line.menus:
            raise _not_found()
        if menu_id in self.line.images:
            raise ApiException(status=400, reason="An image has already been uploaded")
        self.line.images[menu_id] = bytes(body)

    def get_rich_menu_image(self, menu_id: str, **kw: Any) -> bytearray:
        self.line._record("get_rich_menu_image", kw)
        if menu_id not in self.line.images:
            raise _not_found()
        return bytearray(self.line.images[menu_id])


@pytest.fixture
def line() -> FakeLine:
    return FakeLine()


@pytest.fixture
def fake_api(line: FakeLine) -> Iterator[tuple[FakeMessagingApi, FakeMessagingApiBlob]]:
    yield FakeMessagingApi(line), FakeMessagingApiBlob(line)


def _sync(fake_api: tuple[Any, Any], font: Path, **kw: Any) -> dict[str, str]:
    api, blob = fake_api
    return sync_rich_menus(api, blob, font, sleep=lambda _s: None, **kw)


# --- sync -------------------------------------------------------------------------------------


def test_first_sync_creates_one_menu_per_role_with_image_and_alias(
    line: FakeLine, fake_api: tuple[Any, Any], cjk_font: Path
) -> None:
    ids = _sync(fake_api, cjk_font)
    assert set(ids) == set(MENU_ITEMS)
    assert len(line.menus) == len(MENU_ITEMS)
    for role, menu_id in ids.items():
        assert line.aliases[alias_id(role)] == menu_id
        assert line.images[menu_id] == render_menu_image(role, cjk_font)
        assert role_of_menu_name(line.menus[menu_id].name or "") == role


def test_second_sync_creates_nothing(
    line: FakeLine, fake_api: tuple[Any, Any], cjk_font: Path
) -> None:
    first = _sync(fake_api, cjk_font)
    line.calls.clear()
    second = _sync(fake_api, cjk_font)
    assert second == first
    for write in (
        "create_rich_menu",
        "set_rich_menu_image",
        "create_rich_menu_alias",
        "update_rich_menu_alias",
        "delete_rich_menu",
        "rich_menu_batch",
    ):
        assert line.count(write) == 0, write


def test_a_changed_menu_moves_alias_and_users_then_deletes_the_old_one(
    line: FakeLine, fake_api: tuple[Any, Any], cjk_font: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    api, _ = fake_api
    old = _sync(fake_api, cjk_font)
    link_menu(api, "U-guardian", "guardian")
    link_menu(api, "U-student", "student")
    monkeypatch.setitem(texts.load(), "menu.briefing.hint", "說明會通知")
    line.calls.clear()

    new = _sync(fake_api, cjk_font)

    assert new["guardian"] != old["guardian"]
    assert {r: i for r, i in new.items() if r != "guardian"} == {
        r: i for r, i in old.items() if r != "guardian"
    }
    assert line.aliases[alias_id("guardian")] == new["guardian"]
    assert old["guardian"] not in line.menus
    assert line.links == {"U-guardian": new["guardian"], "U-student": old["student"]}
    assert line.count("create_rich_menu") == 1
    # The alias moved before anything was deleted, and users were moved before the delete.
    assert line.calls.index("update_rich_menu_alias") < line.calls.index("rich_menu_batch")
    assert line.calls.index("rich_menu_batch") < line.calls.index("delete_rich_menu")


def test_stale_menus_stay_while_moving_users_fails_and_go_on_the_next_run(
    line: FakeLine, fake_api: tuple[Any, Any], cjk_font: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    api, _ = fake_api
    old = _sync(fake_api, cjk_font)
    link_menu(api, "U-1", "staff")
    monkeypatch.setitem(texts.load(), "menu.notice.hint", "公告通知")
    line.batch_phase = "failed"

    new = _sync(fake_api, cjk_font)
    assert old["staff"] in line.menus and line.links["U-1"] == old["staff"]
    assert line.aliases[alias_id("staff")] == new["staff"]

    line.batch_phase = "succeeded"
    assert _sync(fake_api, cjk_font) == new
    assert old["staff"] not in line.menus and line.links["U-1"] == new["staff"]


def test_a_slow_batch_is_waited_for_only_so_long(
    line: FakeLine, fake_api: tuple[Any, Any], cjk_font: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = _sync(fake_api, cjk_font)
    monkeypatch.setitem(texts.load(), "menu.todo.hint", "通知進度")
    line.batch_phase = "ongoing"
    _sync(fake_api, cjk_font, migration_timeout=6)
    assert old["staff"] in line.menus
    assert 1 < line.count("get_rich_menu_batch_progress") <= 5


def test_a_refused_batch_keeps_the_new_menus_live_and_the_old_ones_for_later(
    line: FakeLine, fake_api: tuple[Any, Any], cjk_font: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = _sync(fake_api, cjk_font)
    monkeypatch.setitem(texts.load(), "menu.help.hint", "使用說明")
    line.batch_error = 500
    new = _sync(fake_api, cjk_font)
    assert all(line.aliases[alias_id(role)] == new[role] for role in MENU_ITEMS)
    assert set(old.values()) <= set(line.menus)
    assert line.count("delete_rich_menu") == 0


def test_a_run_that_stopped_half_way_is_finished_not_duplicated(
    line: FakeLine, fake_api: tuple[Any, Any], cjk_font: Path
) -> None:
    api, _ = fake_api
    # As if an earlier run died after create_rich_menu, before the image and the alias.
    built = richmenu_sync.build_menu("teacher", cjk_font)
    orphan = api.create_rich_menu(built.request, _request_timeout=1).rich_menu_id

    ids = _sync(fake_api, cjk_font)

    assert ids["teacher"] == orphan
    assert line.images[orphan] == built.image
    assert line.aliases[alias_id("teacher")] == orphan
    assert len(line.menus) == len(MENU_ITEMS)


def test_menus_that_are_not_ours_are_left_alone(
    line: FakeLine, fake_api: tuple[Any, Any], cjk_font: Path
) -> None:
    api, _ = fake_api
    theirs = menu_request("staff", "campaign-2026")
    their_id = api.create_rich_menu(theirs, _request_timeout=1).rich_menu_id
    _sync(fake_api, cjk_font)
    assert their_id in line.menus


def test_link_and_unlink_go_through_the_alias(
    line: FakeLine, fake_api: tuple[Any, Any], cjk_font: Path
) -> None:
    api, _ = fake_api
    with pytest.raises(RichMenuMissing):
        link_menu(api, "U-1", "homeroom")
    ids = _sync(fake_api, cjk_font)
    link_menu(api, "U-1", "homeroom")
    assert line.links["U-1"] == ids["homeroom"]
    unlink_menu(api, "U-1")
    assert "U-1" not in line.links
    with pytest.raises(ValueError):
        link_menu(api, "U-1", "principal")


# --- through the real SDK client, against the local LINE emulator -----------------------------


def test_sync_and_link_through_the_sdk_against_the_emulator(
    cjk_font: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from linebot.v3.messaging import ApiClient, MessagingApi, MessagingApiBlob

    from dev.emulator.server import EmulatorServer

    with EmulatorServer() as emulator, ApiClient(emulator.configuration()) as client:
        platform = emulator.platform
        api, blob = MessagingApi(client), MessagingApiBlob(client)

        first = sync_rich_menus(api, blob, cjk_font, sleep=lambda _s: None)
        assert {m["richMenuId"] for m in platform.rich_menu_list()} == set(first.values())
        for role, menu_id in first.items():
            assert platform.alias_json(alias_id(role))["richMenuId"] == menu_id
            image, content_type = platform.rich_menu_image(menu_id)
            assert image == render_menu_image(role, cjk_font) and content_type == "image/png"

        writes_before = [r for r in platform.requests if r.method != "GET"]
        assert sync_rich_menus(api, blob, cjk_font, sleep=lambda _s: None) == first
        assert [r for r in platform.requests if r.method != "GET"] == writes_before

        link_menu(api, "U1234567890abcdef1234567890abcdef", "student")
        assert platform.linked_rich_menu("U1234567890abcdef1234567890abcdef") == first["student"]
        unlink_menu(api, "U1234567890abcdef1234567890abcdef")
        assert platform.linked_rich_menu("U1234567890abcdef1234567890abcdef") is None

        # A changed menu gets a new id behind the same alias, whatever the batch endpoint does.
        monkeypatch.setitem(texts.load(), "menu.briefing.label", "親師說明會")
        changed = sync_rich_menus(api, blob, cjk_font, sleep=lambda _s: None)
        assert changed["guardian"] != first["guardian"]
        assert platform.alias_json(alias_id("guardian"))["richMenuId"] == changed["guardian"]


# --- the font that ships with the bot ---------------------------------------------------------


def test_the_bundled_font_draws_every_menu_text() -> None:
    """A changed label or hint needs scripts/subset_menu_font.py run again."""
    assert richmenu_drawing.BUNDLED_FONT.is_file()
    assert (
        richmenu_drawing.missing_glyphs(
            richmenu_drawing.BUNDLED_FONT, richmenu_drawing._all_menu_texts()
        )
        == ""
    )
    assert "SIL OPEN FONT LICENSE" in (richmenu_drawing.BUNDLED_FONT.parent / "OFL.txt").read_text(
        encoding="utf-8"
    )


def test_menus_need_no_font_on_the_machine_and_look_the_same_either_way(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(richmenu_drawing.FONT_ENV_VAR, raising=False)
    with_fonts = render_menu_image("student")
    assert find_cjk_font() == richmenu_drawing.BUNDLED_FONT
    monkeypatch.setattr(richmenu_drawing, "_FONT_ROOTS", ())
    monkeypatch.setattr(richmenu_drawing, "_fc_list_font", lambda: None)
    richmenu_drawing._render.cache_clear()
    assert find_cjk_font() == richmenu_drawing.BUNDLED_FONT
    assert render_menu_image("student") == with_fonts
