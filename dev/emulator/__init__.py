"""A local LINE platform that the real line-bot-sdk client talks to, for tests, demos and benchmarks."""

from dev.emulator.platform import (
    DEFAULT_CHANNEL_ACCESS_TOKEN,
    DEFAULT_QUOTA,
    Delivery,
    Platform,
    PlatformError,
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
