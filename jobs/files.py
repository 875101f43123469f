"""Tick part: remove leftover temporary files, unreferenced stored files and old upload tallies."""

from __future__ import annotations

from typing import Any

from storage import file_sweep, upload_usage


def run(svc: Any) -> dict[str, int]:
    temp = 0
    sweep_temp = getattr(svc.files, "sweep_temp", None)
    if sweep_temp is not None:
        temp = sweep_temp(older_than=file_sweep.TEMP_MAX_AGE)
    system = file_sweep.sweep_system_temp()
    with svc.db.transaction() as session:
        orphans = file_sweep.sweep_orphans(session, svc.files)
        tallies = upload_usage.purge(session, svc.clock.now())
    return {"temp": temp, "system_temp": system, "orphans": orphans, "tallies": tallies}
