"""The command line. ``main`` answers ``--version`` before importing typer (start-up time is a
feature: scripts call ``mcpctl`` in loops)."""

from __future__ import annotations

import sys


def main() -> None:
    """The ``mcpctl`` console script."""
    if sys.argv[1:] in (["--version"], ["-V"]):
        from mcpctl import __version__

        print(f"mcpctl {__version__}")
        return
    from mcpctl.cli.app import main as app_main

    app_main()
