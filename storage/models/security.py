"""What limits abuse needs to remember."""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.db import Base


class UploadUsage(Base):
    """Bytes one person sent the bot on one Taipei day, refused files included (the daily cap)."""

    __tablename__ = "upload_usage"

    # "student:<id>" for a student, "account:<id>" for anyone else bound: never a LINE user id.
    who: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)
