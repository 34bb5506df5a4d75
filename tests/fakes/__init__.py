"""Fakes of the outside services the server talks to: real servers on 127.0.0.1 that
tests can read and steer, in place of mocks."""

from tests.fakes.image_server import FakeImageServer, fake_image_server
from tests.fakes.openai_server import (
    HANG,
    FakeOpenAIServer,
    Recorded,
    default_respond,
    fake_openai_server,
    openai_translator,
)

__all__ = [
    "HANG",
    "FakeImageServer",
    "FakeOpenAIServer",
    "Recorded",
    "default_respond",
    "fake_image_server",
    "fake_openai_server",
    "openai_translator",
]
