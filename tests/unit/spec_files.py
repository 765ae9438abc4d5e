"""Helpers for tests of a spec kind: load a directory of specs, and break one field of a document."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcpctl.errors import InvalidSpecs
from mcpctl.spec.build import load_specs


def errors_in(directory: Path, path: Path) -> list[str]:
    """The problems loading ``directory`` reports, each without the ``path:`` of the file it is in."""
    with pytest.raises(InvalidSpecs) as caught:
        load_specs([str(directory)], environ={})
    return [str(error).removeprefix(f"{path}:") for error in caught.value.errors]


def broken(text: str, old: str, new: str) -> str:
    """``text`` with its one ``old`` replaced by ``new`` (a test that matches twice is a bug)."""
    assert text.count(old) == 1, old
    return text.replace(old, new)
