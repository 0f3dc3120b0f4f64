"""`countersign sandbox`: the real service, a fake Slack with a web page to click in, and a demo agent."""

from bot.sandbox.runner import Sandbox, SandboxConfig, SandboxError

__all__ = ["Sandbox", "SandboxConfig", "SandboxError"]
