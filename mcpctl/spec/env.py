"""``${env:NAME}`` substitution in spec strings, and the registry that redacts what it substituted.

Secrets enter specs only through ``${env:NAME}`` (DESIGN.md §3). Every value substituted is recorded
in a :class:`Secrets` registry so that reports, logs and error messages can replace it with ``***``.
``$${env:NAME}`` is an escape for the literal text ``${env:NAME}``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_REFERENCE = re.compile(r"\$(\$?)\{env:([^}]*)\}")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
HEAD = 12
"""Characters of a secret's head that, found in a text, are hidden with what follows of the secret."""
REDACTED = "***"


class EnvError(Exception):
    """A ``${env:...}`` reference could not be substituted; the loader adds the position."""


class Secrets:
    """Values substituted from the environment; :meth:`redact` hides every one of them."""

    __slots__ = ("_values",)

    def __init__(self) -> None:
        self._values: set[str] = set()

    def add(self, value: str) -> None:
        """Record ``value`` as secret (empty values are ignored: they cannot be redacted)."""
        if value:
            self._values.add(value)

    def redact(self, text: str) -> str:
        """Return ``text`` with every recorded secret replaced by ``***``, and the head of a long secret
        that was cut short (an answer trimmed for display ends in the middle of a token) too."""
        # longest first, so that a secret containing another is hidden whole
        for value in sorted(self._values, key=len, reverse=True):
            text = text.replace(value, REDACTED)
            if len(value) >= HEAD and value[:HEAD] in text:
                text = _cut_heads(text, value)
        return text

    def __len__(self) -> int:
        return len(self._values)


def _cut_heads(text: str, secret: str) -> str:
    """``text`` with every run that starts like ``secret`` (its first :data:`HEAD` characters at least)
    and follows it until text and secret differ replaced by ``***``."""
    parts: list[str] = []
    start = 0
    while (found := text.find(secret[:HEAD], start)) != -1:
        end = found + HEAD
        while end < len(text) and end - found < len(secret) and text[end] == secret[end - found]:
            end += 1
        parts += [text[start:found], REDACTED]
        start = end
    return "".join(parts) + text[start:]


def substitute(text: str, *, environ: Mapping[str, str], secrets: Secrets) -> str:
    """Replace each ``${env:NAME}`` in ``text`` by the variable's value, recording it in ``secrets``.

    Raises :class:`EnvError` for an unset variable or a malformed name.
    """
    if "${" not in text:
        return text

    def replace(match: re.Match[str]) -> str:
        escaped, name = match.group(1), match.group(2)
        if escaped:
            return match.group(0)[1:]
        if not _NAME.match(name):
            raise EnvError(f"invalid environment variable name {name!r} in ${{env:{name}}}")
        if name not in environ:
            raise EnvError(f"environment variable {name} is not set")
        value = environ[name]
        secrets.add(value)
        return value

    return _REFERENCE.sub(replace, text)
