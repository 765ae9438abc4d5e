"""Helpers for tests of a spec kind: load a directory of specs, break one field of a document, and the
spec_hash a document should get."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import yaml

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


def expected_spec_hash(document: str) -> str:
    """The ``spec_hash`` of a one-document YAML text, computed here and not by mcpctl: the sha256 of its
    canonical JSON (sorted keys, no spaces, UTF-8)."""
    canonical = json.dumps(
        yaml.safe_load(document), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
