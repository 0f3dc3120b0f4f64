"""Help screens as people expect from a CLI: `countersign audit show [OPTIONS] PROPOSAL_ID`, flags without a type.

Typer prints a required argument as `{proposal_id}` on the usage line and every flag as `<bool>`. Commands and
groups made with these classes print the conventional forms instead; every command in bot/cli uses them
(tests/cli/test_help.py walks the whole app to keep it so).
"""

from __future__ import annotations

from typer._click.core import Context, Parameter  # typer ships its own copy of click; these are its types
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption


def _tidy(params: list[Parameter]) -> list[Parameter]:
    for param in params:
        if isinstance(param, TyperOption) and param.is_flag and param.metavar is None:
            param.metavar = ""  # a flag takes no value: nothing to show in the type column
        elif isinstance(param, TyperArgument) and param.metavar is None and param.name:
            param.metavar = param.name.upper()
    return params


class Command(TyperCommand):
    """A command whose usage line reads `[OPTIONS] NAME [OPTIONAL]...` and whose flags show no type."""

    def get_params(self, ctx: Context) -> list[Parameter]:
        return _tidy(super().get_params(ctx))

    def collect_usage_pieces(self, ctx: Context) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if isinstance(param, TyperArgument):
                name = param.metavar or (param.name or "").upper()
                name = name if param.required else f"[{name}]"
                pieces.append(name + ("..." if param.nargs != 1 else ""))
        return pieces


class Group(TyperGroup):
    """A command group whose flags (--help, --version) show no type."""

    def get_params(self, ctx: Context) -> list[Parameter]:
        return _tidy(super().get_params(ctx))
