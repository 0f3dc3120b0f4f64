"""Client fixtures: the real service on a real port, and a person deciding on another thread."""

from tests.live import human, live

__all__ = ["human", "live"]
