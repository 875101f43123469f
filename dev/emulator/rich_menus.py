"""Rich menus on the local LINE platform: definitions and images checked as LINE checks them,
per-user links, the default menu and aliases."""

from __future__ import annotations

import copy
import io
import re
import secrets
import threading
from dataclasses import dataclass
from typing import Any

from PIL import Image, UnidentifiedImageError

from dev.emulator.errors import PlatformError

RICH_MENU_MIN_WIDTH = 800
RICH_MENU_MAX_WIDTH = 2500
RICH_MENU_MIN_HEIGHT = 250
RICH_MENU_MIN_ASPECT_RATIO = 1.45
RICH_MENU_MAX_AREAS = 20
RICH_MENU_IMAGE_MAX_BYTES = 1024 * 1024
RICH_MENU_IMAGE_TYPES = {"image/png": "PNG", "image/jpeg": "JPEG"}
RICH_MENU_ALIAS_PATTERN = re.compile(r"^[a-z0-9_-]{1,32}$")


@dataclass
class RichMenu:
    rich_menu_id: str
    definition: dict[str, Any]
    image: bytes | None = None
    image_type: str | None = None

    def as_json(self) -> dict[str, Any]:
        body = {"richMenuId": self.rich_menu_id, "selected": False, "name": "", "chatBarText": ""}
        body.update(copy.deepcopy(self.definition))
        body.setdefault("areas", [])
        return body


class RichMenus:
    """The rich-menu part of the platform; Platform holds the state and the lock."""

    _lock: threading.RLock
    _rich_menus: dict[str, RichMenu]
    _user_rich_menus: dict[str, str]
    _default_rich_menu: str | None
    _aliases: dict[str, str]

    def create_rich_menu(self, definition: dict[str, Any]) -> str:
        _check_rich_menu_definition(definition)
        rich_menu_id = f"richmenu-{secrets.token_hex(16)}"
        with self._lock:
            self._rich_menus[rich_menu_id] = RichMenu(rich_menu_id, copy.deepcopy(definition))
        return rich_menu_id

    def _rich_menu(self, rich_menu_id: str) -> RichMenu:
        menu = self._rich_menus.get(rich_menu_id)
        if menu is None:
            raise PlatformError(404, "Not found")
        return menu

    def rich_menu_json(self, rich_menu_id: str) -> dict[str, Any]:
        with self._lock:
            return self._rich_menu(rich_menu_id).as_json()

    def rich_menu_list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [menu.as_json() for menu in self._rich_menus.values()]

    def delete_rich_menu(self, rich_menu_id: str) -> None:
        with self._lock:
            self._rich_menu(rich_menu_id)
            del self._rich_menus[rich_menu_id]
            self._user_rich_menus = {
                user: menu for user, menu in self._user_rich_menus.items() if menu != rich_menu_id
            }
            if self._default_rich_menu == rich_menu_id:
                self._default_rich_menu = None

    def set_rich_menu_image(self, rich_menu_id: str, data: bytes, content_type: str) -> None:
        media_type = content_type.split(";")[0].strip().lower()
        if media_type not in RICH_MENU_IMAGE_TYPES:
            raise PlatformError(415, "Unsupported Media Type: use image/png or image/jpeg")
        if len(data) > RICH_MENU_IMAGE_MAX_BYTES:
            raise PlatformError(413, "Request Entity Too Large: the image must be 1 MB or less")
        _check_rich_menu_image(data, RICH_MENU_IMAGE_TYPES[media_type])
        with self._lock:
            menu = self._rich_menu(rich_menu_id)
            if menu.image is not None:
                raise PlatformError(400, "An image has already been uploaded to the richmenu")
            menu.image = data
            menu.image_type = media_type

    def rich_menu_image(self, rich_menu_id: str) -> tuple[bytes, str]:
        with self._lock:
            menu = self._rich_menu(rich_menu_id)
            if menu.image is None or menu.image_type is None:
                raise PlatformError(404, "Not found")
            return menu.image, menu.image_type

    def _linkable(self, rich_menu_id: str) -> None:
        if self._rich_menu(rich_menu_id).image is None:
            raise PlatformError(400, "must upload richmenu image before applying it to user")

    def link_rich_menu(self, user_id: str, rich_menu_id: str) -> None:
        with self._lock:
            self._linkable(rich_menu_id)
            self._user_rich_menus[user_id] = rich_menu_id

    def link_rich_menu_to_users(self, user_ids: list[str], rich_menu_id: str) -> None:
        with self._lock:
            self._linkable(rich_menu_id)
            for user_id in user_ids:
                self._user_rich_menus[user_id] = rich_menu_id

    def unlink_rich_menu(self, user_id: str) -> None:
        with self._lock:
            self._user_rich_menus.pop(user_id, None)

    def unlink_rich_menus(self, user_ids: list[str]) -> None:
        with self._lock:
            for user_id in user_ids:
                self._user_rich_menus.pop(user_id, None)

    def linked_rich_menu(self, user_id: str) -> str | None:
        """The menu linked to this user alone (the default menu does not count, as on LINE)."""
        with self._lock:
            return self._user_rich_menus.get(user_id)

    def set_default_rich_menu(self, rich_menu_id: str) -> None:
        with self._lock:
            self._linkable(rich_menu_id)
            self._default_rich_menu = rich_menu_id

    def cancel_default_rich_menu(self) -> None:
        with self._lock:
            self._default_rich_menu = None

    @property
    def default_rich_menu(self) -> str | None:
        with self._lock:
            return self._default_rich_menu

    def create_alias(self, alias_id: str, rich_menu_id: str) -> None:
        if not RICH_MENU_ALIAS_PATTERN.match(alias_id):
            raise PlatformError(
                400,
                "The request body has 1 error(s)",
                [{"message": "must match ^[a-z0-9_-]{1,32}$", "property": "richMenuAliasId"}],
            )
        with self._lock:
            if alias_id in self._aliases:
                raise PlatformError(400, "conflict richmenu alias id")
            if rich_menu_id not in self._rich_menus:
                raise PlatformError(400, "richmenu not found")
            self._aliases[alias_id] = rich_menu_id

    def update_alias(self, alias_id: str, rich_menu_id: str) -> None:
        with self._lock:
            if alias_id not in self._aliases:
                raise PlatformError(400, "richmenu alias not found")
            if rich_menu_id not in self._rich_menus:
                raise PlatformError(400, "richmenu not found")
            self._aliases[alias_id] = rich_menu_id

    def delete_alias(self, alias_id: str) -> None:
        with self._lock:
            if self._aliases.pop(alias_id, None) is None:
                raise PlatformError(400, "richmenu alias not found")

    def alias_json(self, alias_id: str) -> dict[str, str]:
        with self._lock:
            rich_menu_id = self._aliases.get(alias_id)
            if rich_menu_id is None:
                raise PlatformError(404, "Not found")
            return {"richMenuAliasId": alias_id, "richMenuId": rich_menu_id}

    def alias_list(self) -> list[dict[str, str]]:
        with self._lock:
            return [
                {"richMenuAliasId": alias, "richMenuId": menu}
                for alias, menu in self._aliases.items()
            ]


def _check_rich_menu_definition(definition: dict[str, Any]) -> None:
    size = definition.get("size") or {}
    width, height = size.get("width"), size.get("height")
    details: list[dict[str, str]] = []
    if isinstance(width, int) and isinstance(height, int):
        if not RICH_MENU_MIN_WIDTH <= width <= RICH_MENU_MAX_WIDTH:
            details.append(
                {
                    "message": f"must be between {RICH_MENU_MIN_WIDTH} and {RICH_MENU_MAX_WIDTH}",
                    "property": "size.width",
                }
            )
        if height < RICH_MENU_MIN_HEIGHT:
            details.append(
                {"message": f"must be at least {RICH_MENU_MIN_HEIGHT}", "property": "size.height"}
            )
        elif width / height < RICH_MENU_MIN_ASPECT_RATIO:
            details.append(
                {
                    "message": f"width/height must be at least {RICH_MENU_MIN_ASPECT_RATIO}",
                    "property": "size",
                }
            )
    else:
        details.append({"message": "must have integer width and height", "property": "size"})
    areas = definition.get("areas") or []
    if len(areas) > RICH_MENU_MAX_AREAS:
        details.append(
            {"message": f"Size must be between 0 and {RICH_MENU_MAX_AREAS}", "property": "areas"}
        )
    if isinstance(width, int) and isinstance(height, int):
        for index, area in enumerate(areas):
            bounds = (area or {}).get("bounds") or {}
            right = bounds.get("x", 0) + bounds.get("width", 0)
            bottom = bounds.get("y", 0) + bounds.get("height", 0)
            if right > width or bottom > height:
                details.append(
                    {
                        "message": "area must lie inside the rich menu",
                        "property": f"areas[{index}].bounds",
                    }
                )
    if details:
        raise PlatformError(400, f"The request body has {len(details)} error(s)", details)


def _check_rich_menu_image(data: bytes, expected_format: str) -> None:
    try:
        with Image.open(io.BytesIO(data)) as image:
            image_format, (width, height) = image.format, image.size
    except (UnidentifiedImageError, OSError) as error:
        raise PlatformError(400, "The image could not be read") from error
    if image_format != expected_format:
        raise PlatformError(400, f"The image is {image_format}, not {expected_format}")
    if not RICH_MENU_MIN_WIDTH <= width <= RICH_MENU_MAX_WIDTH or height < RICH_MENU_MIN_HEIGHT:
        raise PlatformError(
            400,
            f"The image is {width}x{height}; it must be {RICH_MENU_MIN_WIDTH}-"
            f"{RICH_MENU_MAX_WIDTH} wide and at least {RICH_MENU_MIN_HEIGHT} high",
        )
    if width / height < RICH_MENU_MIN_ASPECT_RATIO:
        raise PlatformError(
            400, f"The image's width/height must be at least {RICH_MENU_MIN_ASPECT_RATIO}"
        )
