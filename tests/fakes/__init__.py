"""Fakes of the OpenAI API served on 127.0.0.1 (see :mod:`tests.fakes.server`)."""

from .openai_today import TodayAPI
from .server import FakeResponse, FakeServer, RecordedRequest, Router

__all__ = ["FakeResponse", "FakeServer", "RecordedRequest", "Router", "TodayAPI"]
