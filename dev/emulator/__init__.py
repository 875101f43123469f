"""A local LINE platform the real line-bot-sdk client talks to: for tests, demos, benchmarks."""

from dev.emulator.errors import PlatformError
from dev.emulator.platform import (
    DEFAULT_CHANNEL_ACCESS_TOKEN,
    DEFAULT_QUOTA,
    Delivery,
    Platform,
    RequestRecord,
)
from dev.emulator.server import EmulatorServer, serve

__all__ = [
    "DEFAULT_CHANNEL_ACCESS_TOKEN",
    "DEFAULT_QUOTA",
    "Delivery",
    "EmulatorServer",
    "Platform",
    "PlatformError",
    "RequestRecord",
    "serve",
]
