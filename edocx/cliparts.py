"""Parts the ``edocx`` subcommands that read one file share.

``copy check``, ``duplicate check``, ``edxml check`` and ``audit verify``
each add a group of actions, take a FILE and say on standard error, in
the same words, why that file cannot be read.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def command_group(commands: Any, name: str, help: str) -> Any:
    """Add ``edocx NAME ACTION`` and return the parser of its actions.

    The chosen action lands in ``NAME_command`` (``copy_command``, ...).
    """
    group = commands.add_parser(name, help=help)
    return group.add_subparsers(dest=f"{name}_command", required=True)


def file_action(
    actions: Any, name: str, help: str, doc: str | None
) -> argparse.ArgumentParser:
    """Add an action on one FILE, with the module's docstring as its help."""
    action: argparse.ArgumentParser = actions.add_parser(
        name, help=help, description=doc,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    action.add_argument("file", type=Path)
    return action


def read_input(path: Path) -> bytes | None:
    """Return the bytes of ``path``, or None once standard error says why not."""
    try:
        return Path(path).read_bytes()
    except OSError as e:
        print(f"edocx: {cannot_read(e, path)}", file=sys.stderr)
        return None


def cannot_read(error: OSError, path: Path | None = None) -> str:
    """Say why a file could not be read: its name, then the system's reason."""
    name = path if path is not None else error.filename
    return f"cannot read {name}: {error.strerror}"
