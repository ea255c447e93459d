"""The ``izquvar`` command: one click group; each subcommand lives in its own module beside this one.

Errors are mapped to exit codes here and nowhere else: a person sees what was wrong, never a traceback.
"""

from __future__ import annotations

import sys

import click

from izquvar import __version__
from izquvar.errors import IzquvarError


class _Group(click.Group):
    """A click group that turns any ``IzquvarError`` into a one-line message and its exit code."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except IzquvarError as exc:
            click.echo(f"izquvar: {exc}", err=True)
            sys.exit(exc.exit_code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="izquvar")
def main() -> None:
    """izquvar: outbreak investigation and contact tracing: where a case was and who they met."""


def _register() -> None:
    from izquvar.cli import (
        audit,
        demo,
        evaluate,
        import_,
        ingest,
        serve,
        simulate,
        spark,
        stays,
        store,
        trace,
        trace_all,
        user,
    )

    for module in (
        simulate,
        ingest,
        import_,
        store,
        stays,
        trace,
        trace_all,
        evaluate,
        demo,
        serve,
        user,
        audit,
        spark,
    ):
        module.register(main)


_register()
