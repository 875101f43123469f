"""Keeping LINE's rich menus in step with the menu table: each role's menu built, uploaded once per
content hash, aliased, and people moved to their role's menu."""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from linebot.v3.messaging import (
    ApiException,
    CreateRichMenuAliasRequest,
    MessagingApi,
    MessagingApiBlob,
    RichMenuBatchLinkOperation,
    RichMenuBatchProgressPhase,
    RichMenuBatchRequest,
    RichMenuRequest,
    UpdateRichMenuAliasRequest,
)

from bot.richmenu import (
    HASH_LENGTH,
    MAX_BATCH_OPERATIONS,
    MENU_NAME_PREFIX,
    ROLES,
    alias_id,
    menu_request,
    role_of_menu_name,
)
from bot.richmenu_drawing import image_content_type, render_menu_image
from runtime.line import link_menu_alias, menu_alias_target

# (connect, read) seconds; the image upload gets a longer read budget than JSON calls.
REQUEST_TIMEOUT: tuple[float, float] = (3.05, 10.0)

log = logging.getLogger(__name__)


UPLOAD_TIMEOUT: tuple[float, float] = (3.05, 30.0)


MIGRATION_TIMEOUT_SECONDS = 60.0


MIGRATION_POLL_SECONDS = 2.0


@dataclass(frozen=True)
class BuiltMenu:
    role: str
    name: str
    request: RichMenuRequest
    image: bytes

    @property
    def content_type(self) -> str:
        return image_content_type(self.image)


def build_menu(role: str, font_path: str | os.PathLike[str] | None = None) -> BuiltMenu:
    """A role's menu definition and image, named by a hash of both so changes get a new name."""
    image = render_menu_image(role, font_path)
    digest = hashlib.sha256(menu_request(role).to_json().encode())
    digest.update(image)
    name = f"{MENU_NAME_PREFIX}{role}-{digest.hexdigest()[:HASH_LENGTH]}"
    return BuiltMenu(role, name, menu_request(role, name), image)


def sync_rich_menus(
    api: MessagingApi,
    blob: MessagingApiBlob,
    font_path: str | os.PathLike[str] | None = None,
    *,
    migration_timeout: float = MIGRATION_TIMEOUT_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, str]:
    """Make LINE hold exactly the current menu of every role; returns role -> richMenuId.

    A menu whose name (content hash) already exists is reused, so a second run creates
    nothing. A new menu gets its image before its alias moves to it. Users still linked to an
    old menu of ours are moved to the new one in one batch; old menus are deleted only once that
    batch succeeded (otherwise the next run retries), so nobody is left without a menu.
    """
    built = {role: build_menu(role, font_path) for role in ROLES}
    existing = api.get_rich_menu_list(_request_timeout=REQUEST_TIMEOUT).richmenus
    current: dict[str, str] = {}
    for role, menu in built.items():
        alias = alias_id(role)
        aliased = menu_alias_target(api, alias)
        same_name = [m.rich_menu_id for m in existing if m.name == menu.name]
        if aliased is not None and aliased in same_name:
            current[role] = aliased
            continue
        if same_name:
            # Made by a run that stopped before moving the alias: finish it, image first.
            menu_id = same_name[0]
            if not _has_image(blob, menu_id):
                _upload_image(blob, menu_id, menu)
        else:
            menu_id = api.create_rich_menu(
                menu.request, _request_timeout=REQUEST_TIMEOUT
            ).rich_menu_id
            _upload_image(blob, menu_id, menu)
            log.info("created rich menu %s (%s)", menu.name, menu_id)
        if aliased is None:
            api.create_rich_menu_alias(
                CreateRichMenuAliasRequest(richMenuAliasId=alias, richMenuId=menu_id),
                _request_timeout=REQUEST_TIMEOUT,
            )
        else:
            api.update_rich_menu_alias(
                alias,
                UpdateRichMenuAliasRequest(richMenuId=menu_id),
                _request_timeout=REQUEST_TIMEOUT,
            )
        current[role] = menu_id

    # Every other menu of a role we manage is stale; menus of unknown roles are left alone.
    keep = set(current.values())
    stale: list[tuple[str, str]] = []
    for m in existing:
        owner = role_of_menu_name(m.name)
        if owner is not None and owner in current and m.rich_menu_id not in keep:
            stale.append((m.rich_menu_id, current[owner]))
    if stale and _move_users(api, stale, migration_timeout, sleep):
        for old_id, _ in stale:
            api.delete_rich_menu(old_id, _request_timeout=REQUEST_TIMEOUT)
            log.info("deleted stale rich menu %s", old_id)
    return current


def link_menu(api: MessagingApi, user_id: str, role: str) -> None:
    """Show a user the current menu of their role (looked up through the role's alias)."""
    link_menu_alias(api, user_id, alias_id(role))


def _has_image(blob: MessagingApiBlob, menu_id: str) -> bool:
    try:
        blob.get_rich_menu_image(menu_id, _request_timeout=UPLOAD_TIMEOUT)
    except ApiException as exc:
        if exc.status == 404:
            return False
        raise
    return True


def _upload_image(blob: MessagingApiBlob, menu_id: str, menu: BuiltMenu) -> None:
    # Without an explicit Content-Type the SDK would try to JSON-encode the bytes.
    blob.set_rich_menu_image(
        menu_id,
        menu.image,
        _headers={"Content-Type": menu.content_type},
        _request_timeout=UPLOAD_TIMEOUT,
    )


def _move_users(
    api: MessagingApi,
    moves: Iterable[tuple[str, str]],
    timeout: float,
    sleep: Callable[[float], None],
) -> bool:
    """Relink every user from old to new menus in one batch; True once LINE says it succeeded."""
    operations = [RichMenuBatchLinkOperation(var_from=old, to=new) for old, new in moves]
    if len(operations) > MAX_BATCH_OPERATIONS:
        raise ValueError("too many stale rich menus for one batch; delete some by hand")
    # The new menus are live by now; a failure here only postpones the clean-up to the next run.
    try:
        response = api.rich_menu_batch_with_http_info(
            RichMenuBatchRequest(operations=operations), _request_timeout=REQUEST_TIMEOUT
        )
        request_id = _header(response.headers, "X-Line-Request-Id")
        if request_id is None:
            log.warning("rich menu batch gave no request id; keeping stale menus for now")
            return False
        waited = 0.0
        while True:
            progress = api.get_rich_menu_batch_progress(
                request_id, _request_timeout=REQUEST_TIMEOUT
            )
            if progress.phase == RichMenuBatchProgressPhase.SUCCEEDED:
                return True
            if progress.phase == RichMenuBatchProgressPhase.FAILED or waited >= timeout:
                log.warning(
                    "moving users off stale rich menus ended as %s; keeping them for now",
                    progress.phase.value,
                )
                return False
            sleep(MIGRATION_POLL_SECONDS)
            waited += MIGRATION_POLL_SECONDS
    except ApiException as exc:
        log.warning("moving users off stale rich menus failed (HTTP %s); keeping them", exc.status)
        return False


def _header(headers: object, name: str) -> str | None:
    if not headers:
        return None
    getter = getattr(headers, "get", None)
    if getter is None:
        return None
    value = getter(name) or getter(name.lower())
    return str(value) if value else None
