"""Rules over the words of a tool: what a model reads and a human reviewer may not see.

The phrase lists are deliberately narrow (sentences addressed to the model, not every use of "send"):
a clean catalogue such as the bundled mocks must pass without errors, and each pattern is named after
a published tool-poisoning example (Invariant Labs' "<IMPORTANT>" side-note, hidden "do not tell the
user" asides, ~/.ssh and mcp.json reads, forwarding to an attacker's address).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

Problem = tuple[str, str]
"""(rule ID, message)."""

_INJECTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+|the\s+)?(?:previous|prior|above|earlier|"
    r"other|existing|system)\s+(?:instructions|rules|prompts?|directions|guidelines)"
    r"|\b(?:do\s+not|don't|never)\s+(?:tell|inform|mention|reveal|show|notify|alert|disclose)"
    r"(?:\s+(?:this|it|that|anything))?\s+(?:to\s+)?(?:the\s+)?user"
    r"|\bwithout\s+(?:telling|informing|notifying|asking|alerting)\s+the\s+user"
    r"|\bthe\s+user\s+(?:must|should|will)\s+(?:not|never)\s+(?:know|see|notice|be\s+told)"
    r"|\b(?:you\s+are\s+now|new\s+instructions\s*:|(?:reveal|print|repeat|ignore|override|disclose)\s+"
    r"(?:the\s+|your\s+)?system\s+prompt)"
    r"|\binstead\s+of\s+(?:using|calling|the)\s+[`'\"]?[\w.-]+[`'\"]?\s+tool"
    r"|\bbefore\s+(?:using|calling|running)\s+(?:this|any)\s+tool,?\s+(?:you\s+)?(?:must|need\s+to)\s+"
    r"(?:read|send|pass|include|provide)",
    re.IGNORECASE,
)
_TAG = re.compile(
    r"<\s*/?\s*(?:important|system|instructions?|hidden|secret|admin|critical|assistant|"
    r"note[_ -]?to[_ -]?(?:ai|model|assistant)|system[_ -]prompt)\b[^>]*>|\[/?INST\]|<<\s*/?SYS\s*>>|<\|im_start\|>",
    re.IGNORECASE,
)
_INVISIBLE = re.compile(
    "[\u00ad\u061c\u115f\u1160\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\u3164\ufeff"
    "\U000e0000-\U000e007f]"
)
_URL = re.compile(r"\b(?:https?|ftp|wss?)://[^\s\"'<>)]+|\bwww\.[a-z0-9-]+\.[a-z]{2,}\S*", re.IGNORECASE)
_SENSITIVE = re.compile(
    r"~/\.ssh|\.ssh/|\bid_(?:rsa|ed25519|ecdsa|dsa)\b|\.aws/credentials|/etc/(?:passwd|shadow)|\.netrc\b"
    r"|(?<![\w.])\.env\b|\bmcp\.json\b|claude_desktop_config\.json|\.npmrc\b|\.pypirc\b|\.git-credentials\b"
    r"|\.kube/config\b|\.docker/config\.json",
    re.IGNORECASE,
)
_CREDENTIAL = re.compile(
    r"\b(?:api[ _-]?keys?|secret[ _-]?keys?|passwords?|passphrases?|private[ _-]keys?|access[ _-]tokens?"
    r"|bearer[ _-]tokens?|session[ _-](?:cookies?|tokens?)|seed[ _-]phrases?|credentials?)\b",
    re.IGNORECASE,
)
_SECRET_PARAM = re.compile(
    r"^(?:.*[_-])?(?:password|passwd|secret|api[_-]?key|apikey|token|private[_-]?key|credentials?)$",
    re.IGNORECASE,
)
_SEND_TO = re.compile(
    r"\b(?:send|forward|upload|transmit|email|copy|leak|exfiltrate|share|post)\b[^.\n]{0,80}?\bto\s+"
    r"(?:https?://|[\w.+-]+@[\w-]+\.[\w.]+|(?:an?\s+|the\s+)?(?:external|remote|following|this|my|our)\s+"
    r"(?:url|address|server|endpoint|e-?mail|webhook|host))",
    re.IGNORECASE,
)
_DESTRUCTIVE_WORDS = frozenset(
    [
        "delete",
        "remove",
        "rm",
        "drop",
        "destroy",
        "kill",
        "terminate",
        "purge",
        "wipe",
        "erase",
        "overwrite",
        "truncate",
        "reset",
        "send",
        "pay",
        "transfer",
        "execute",
        "exec",
        "shutdown",
        "revoke",
        "uninstall",
        "unlink",
        "rmdir",
    ]
)
_DESTRUCTIVE_TEXT = re.compile(
    r"\b(?:deletes?|removes?|drops?|destroys?|kills?|terminates?|purges?|wipes?|erases?|overwrites?"
    r"|truncates?|permanently|irreversibl[ey]|sends?\s+(?:an?\s+)?(?:e-?mail|money|payment)|pays?|"
    r"transfers?\s+(?:funds|money))\b",
    re.IGNORECASE,
)
_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


def phrasing(where: str, text: str) -> Iterator[Problem]:
    """Injection phrasing, model-directed tags, URLs, sensitive paths, credential and send-to asks."""
    if (found := _INJECTION.search(text)) is not None:
        yield "MCP001", f"{where}: instruction aimed at the model: {_excerpt(text, found)}"
    if (found := _TAG.search(text)) is not None:
        yield "MCP002", f"{where}: model-directed tag {found.group()!r}"
    if (found := _URL.search(text)) is not None:
        yield "MCP004", f"{where}: URL {found.group()!r}"
    if (found := _SENSITIVE.search(text)) is not None:
        yield "MCP005", f"{where}: mentions {found.group()!r}"
    if (found := _CREDENTIAL.search(text)) is not None:
        yield "MCP006", f"{where}: asks about {found.group()!r}"
    if (found := _SEND_TO.search(text)) is not None:
        yield "MCP007", f"{where}: {_excerpt(text, found)}"


def invisible(where: str, text: str) -> Iterator[Problem]:
    """Zero-width, bidirectional-control and tag characters in ``text``."""
    found: list[str] = _INVISIBLE.findall(text)
    if found:
        names = sorted({f"U+{ord(c):04X} {unicodedata.name(c, 'UNNAMED')}" for c in found})
        # tag characters mirror ASCII ("ASCII smuggling"): show the sentence they hide
        hidden = "".join(chr(ord(c) - 0xE0000) for c in found if 0xE0020 <= ord(c) <= 0xE007E)
        shown = f"; they spell {hidden!r}" if hidden else ""
        listed = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
        yield "MCP003", f"{where}: {len(found)} invisible character(s): {listed}{shown}"


def secret_parameter(where: str, name: str) -> Iterator[Problem]:
    """A parameter whose name asks the model for a secret (``password``, ``api_key``)."""
    if _SECRET_PARAM.match(name):
        yield "MCP006", f"{where}: parameter {name!r} asks the model for a secret"


def sounds_destructive(name: str, description: str) -> str | None:
    """The word that makes a tool sound destructive (``delete`` in ``delete_file``), if any."""
    words: list[str] = _WORDS.findall(name)
    for word in words:
        if word.lower() in _DESTRUCTIVE_WORDS:
            return word.lower()
    found = _DESTRUCTIVE_TEXT.search(description)
    return str(found.group()).lower() if found else None


def _excerpt(text: str, found: re.Match[str]) -> str:
    start, end = max(0, found.start() - 20), min(len(text), found.end() + 20)
    snippet = " ".join(text[start:end].split())
    return repr(("…" if start else "") + snippet + ("…" if end < len(text) else ""))
