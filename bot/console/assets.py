"""Front-end packages served by the app itself (no CDN), each with its licence.

The files come from the npm registry at the versions pinned in package.json / package-lock.json
(`make install` runs `npm ci`); only the files named here are served.
"""

from __future__ import annotations

from pathlib import Path

from flask import Response, abort, send_file

from bot.console.core import bp

NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"

ASSETS: dict[str, tuple[str, str]] = {
    "chart.umd.min.js": ("chart.js/dist/chart.umd.min.js", "text/javascript"),
    "chart.js-LICENSE.md": ("chart.js/LICENSE.md", "text/plain"),
    "kurkle-color-LICENSE.md": ("@kurkle/color/LICENSE.md", "text/plain"),
}


@bp.get("/assets/<name>")
def asset(name: str) -> Response:
    if name not in ASSETS:
        abort(404)
    relative, mime = ASSETS[name]
    path = NODE_MODULES / relative
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=mime, max_age=86400, conditional=True)
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
