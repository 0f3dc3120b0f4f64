"""`countersign sandbox`: the real service, a fake Slack with a web page to click in, and a demo agent."""

from bot.sandbox.runner import EXAMPLE_POLICIES, Sandbox, SandboxConfig, SandboxError

__all__ = ["EXAMPLE_POLICIES", "Sandbox", "SandboxConfig", "SandboxError"]
