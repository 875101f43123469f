"""The catalogue, as flows and handlers import it; it lives in storage/texts.py, the lowest layer,
so that staff commands and storage-level reports use the very same one."""

from storage.texts import TEXTS, MissingText, text

__all__ = ["TEXTS", "MissingText", "text"]
