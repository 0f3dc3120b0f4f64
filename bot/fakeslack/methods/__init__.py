"""Fake Web API methods; importing this package registers them all in METHODS."""

from bot.fakeslack.methods import chat, directory, files, views  # noqa: F401  (registration side effect)
from bot.fakeslack.methods.base import METHODS, Ctx, Method

__all__ = ["METHODS", "Ctx", "Method"]
