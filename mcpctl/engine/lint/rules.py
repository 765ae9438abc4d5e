"""The rule catalogue: every rule's ID, default severity, title and fix hint (docs in docs/lint/ID.md)."""

from __future__ import annotations

from mcpctl.engine.lint.model import Rule, Severity

_TABLE: tuple[tuple[str, str, Severity, str, str], ...] = (
    # id, name, severity, title, fix
    (
        "MCP001",
        "hidden-instruction",
        "error",
        "Description carries instructions aimed at the model (prompt injection)",
        "Describe what the tool does; remove sentences that tell the model what to do or hide from the user.",
    ),
    (
        "MCP002",
        "model-directed-tag",
        "error",
        "Description uses <IMPORTANT>/<SYSTEM>-style tags that address the model",
        "Remove the tag and its hidden content; put real usage notes in plain prose.",
    ),
    (
        "MCP003",
        "invisible-unicode",
        "error",
        "Invisible or bidirectional Unicode in a name, description or schema text",
        "Delete the zero-width, bidi-control or tag characters; they hide text from human reviewers.",
    ),
    (
        "MCP004",
        "url-in-description",
        "warning",
        "Description or schema text contains a URL",
        "Keep URLs out of tool descriptions: a model may fetch or send data to them.",
    ),
    (
        "MCP005",
        "sensitive-path",
        "error",
        "Description mentions credential or configuration files (~/.ssh, .env, id_rsa...)",
        "Remove references to files unrelated to the tool; a tool must not ask for keys or configs.",
    ),
    (
        "MCP006",
        "credential-request",
        "warning",
        "Description or parameter asks for secrets (API key, password, token, private key)",
        "Take credentials from the server's configuration, never from the model's arguments.",
    ),
    (
        "MCP007",
        "send-to-external",
        "warning",
        "Description asks to send or forward data to an address or URL",
        "Remove the instruction; a tool that sends data should say so only in its own purpose.",
    ),
    (
        "MCP008",
        "tool-name-collision",
        "error",
        "Two servers of one configuration offer a tool of the same name",
        "Rename one tool or disable one server; the client picks one of them unpredictably.",
    ),
    (
        "MCP009",
        "cross-server-shadowing",
        "warning",
        "Description refers to a tool of another server by name",
        "A tool's description should describe itself, not change how another server's tools are used.",
    ),
    (
        "MCP010",
        "input-schema-not-object",
        "error",
        'inputSchema is missing or not {"type": "object"}',
        'Give inputSchema "type": "object" (an object schema, even when the tool takes no arguments).',
    ),
    (
        "MCP011",
        "property-without-type",
        "warning",
        "A property of inputSchema has no type",
        'Add "type" (or enum/const/$ref) to the property so the model knows what to send.',
    ),
    (
        "MCP012",
        "open-object",
        "note",
        "An object parameter accepts any keys (no properties, no additionalProperties schema)",
        "List the object's properties, or give additionalProperties a schema.",
    ),
    (
        "MCP013",
        "required-undefined",
        "error",
        "required names a property the schema does not define",
        "Define the property under properties, or remove it from required.",
    ),
    (
        "MCP014",
        "missing-required",
        "note",
        "inputSchema has properties but no required list",
        'Add "required": [...] with the parameters the tool cannot do without (an empty list if none).',
    ),
    (
        "MCP015",
        "tool-without-description",
        "warning",
        "Tool has no description",
        "Add a one-sentence description of what the tool does and returns.",
    ),
    (
        "MCP016",
        "property-without-description",
        "note",
        "A parameter has no description",
        "Describe each parameter: its meaning, unit and an example value.",
    ),
    (
        "MCP017",
        "over-token-budget",
        "warning",
        "Description and schema exceed the token budget (--budget; tokens ~ characters / 4)",
        "Shorten the description and parameter descriptions; move long documentation to a resource.",
    ),
    (
        "MCP018",
        "top-level-combinator",
        "error",
        "inputSchema uses oneOf/anyOf/allOf/not/enum at the top level (rejected by the Claude and OpenAI APIs)",
        "Use one object schema at the top level; move alternatives into a property.",
    ),
    (
        "MCP019",
        "external-ref",
        "error",
        "$ref points outside the schema (clients do not fetch remote schemas)",
        "Inline the referenced schema or move it under $defs and use a local #/$defs/... reference.",
    ),
    (
        "MCP020",
        "client-unsupported-format",
        "note",
        "A string format that Gemini function declarations reject",
        "Drop the format (describe it in words) or use date-time, which every client accepts.",
    ),
    (
        "MCP021",
        "destructive-unannotated",
        "warning",
        "Destructive-sounding tool without readOnlyHint/destructiveHint annotations",
        'Annotate it: "annotations": {"readOnlyHint": false, "destructiveHint": true}.',
    ),
    (
        "MCP022",
        "contradictory-annotations",
        "error",
        "Annotations contradict each other or are not booleans",
        "A read-only tool cannot be destructive: set readOnlyHint or destructiveHint to false.",
    ),
    (
        "MCP023",
        "invalid-tool-name",
        "error",
        "Tool name breaks the MCP name rule (1-128 of A-Z a-z 0-9 _ - .)",
        "Rename the tool with letters, digits, '_', '-' and '.' only, at most 128 characters.",
    ),
    (
        "MCP024",
        "http-without-tls",
        "error",
        "HTTP server reached over plain http:// on a non-loopback host",
        "Serve the MCP endpoint over https://; plain HTTP exposes tokens and tool traffic.",
    ),
    (
        "MCP025",
        "http-without-auth",
        "warning",
        "HTTP server configured without credentials (no auth, Authorization or API-key header)",
        "Configure auth (OAuth, bearer token or an API-key header) or restrict the server to loopback.",
    ),
)

RULES: dict[str, Rule] = {
    rule_id: Rule(id=rule_id, name=name, severity=severity, title=title, fix=fix)
    for rule_id, name, severity, title, fix in _TABLE
}
"""Every rule by ID, in ID order."""
