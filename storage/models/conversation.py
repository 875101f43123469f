"""Where each LINE user is in a conversation, stored durably (never in process memory)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from storage.db import Base, UtcDateTime


class ConversationRow(Base):
    __tablename__ = "conversations"

    line_user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    flow: Mapped[str] = mapped_column(String(48))
    state: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
