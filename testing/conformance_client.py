"""mcpctl's client as the client of the official conformance suite's client scenarios.

    scripts/conformance.sh            # runs every client scenario with this as the client

The runner appends the test server's URL as the last argument and names the scenario in
MCP_CONFORMANCE_SCENARIO. This client connects with mcpctl's defaults (probe, then handshake),
lists the tools and calls each one with arguments made from its input schema, answering
elicitations headlessly with the schema defaults. Exit 0 when every step worked.

Auth scenarios: an OAuth provider with the headless authorizer (the test AS redirects at once),
the fixed client-ID metadata document URL the suite expects, and the credentials the runner
passes in MCP_CONFORMANCE_CONTEXT (pre-registration, client credentials, cross-app access).
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import trio

from mcpctl import __version__
from mcpctl.errors import McpctlError
from mcpctl.mcp.auth import (
    ClientCredentials,
    ClientMetadata,
    HeadlessAuthorizer,
    IdentityAssertion,
    OAuthConfig,
    OAuthProvider,
)
from mcpctl.mcp.client import HttpTarget, open_client
from mcpctl.mcp.session import ClientOptions

CLIENT_METADATA_URL = "https://conformance-test.local/client-metadata.json"
SAMPLES: dict[str, Any] = {"number": 1, "integer": 2, "string": "test", "boolean": True}


def arguments(schema: Any) -> dict[str, Any]:
    props = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(props, dict):
        return {}
    return {
        name: SAMPLES.get(prop.get("type"), "test") for name, prop in props.items() if isinstance(prop, dict)
    }


def oauth_config(context: dict[str, Any]) -> OAuthConfig:
    """The auth setup a scenario's context calls for (authorization code by default)."""
    metadata = ClientMetadata(client_name="mcpctl-conformance", metadata_url=CLIENT_METADATA_URL)
    base = OAuthConfig(authorizer=HeadlessAuthorizer(), metadata=metadata)
    if "client_id" not in context:
        return base
    client = ClientCredentials(
        client_id=context["client_id"],
        client_secret=context.get("client_secret"),
        private_key_pem=context.get("private_key_pem"),
        signing_algorithm=context.get("signing_algorithm", "ES256"),
    )
    if "idp_id_token" in context:
        identity = IdentityAssertion(
            token_endpoint=context["idp_token_endpoint"],
            id_token=context["idp_id_token"],
            client_id=context.get("idp_client_id"),
        )
        return OAuthConfig(
            grant="identity_assertion", authorizer=base.authorizer, client=client, identity=identity
        )
    if str(context.get("name", "")).startswith("auth/client-credentials"):
        return OAuthConfig(grant="client_credentials", authorizer=base.authorizer, client=client)
    return OAuthConfig(authorizer=base.authorizer, client=client, metadata=metadata)


async def main(url: str) -> int:
    scenario = os.environ.get("MCP_CONFORMANCE_SCENARIO", "")
    options = ClientOptions(
        client_name="mcpctl-conformance", client_version=__version__, elicitation_reply="defaults"
    )
    context = json.loads(os.environ.get("MCP_CONFORMANCE_CONTEXT") or "{}")
    auth = OAuthProvider(url, oauth_config(context))
    async with open_client(HttpTarget(url=url, auth=auth), options=options) as client:
        print(f"{scenario}: negotiated {client.negotiated.protocol_version} ({client.negotiated.probe})")
        for tool in await client.list_tools():
            result = await client.call_tool(tool["name"], arguments(tool.get("inputSchema")), timeout=20)
            print(f"{scenario}: {tool['name']} -> {result.text[:200]!r} isError={result.is_error}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(trio.run(main, sys.argv[-1]))
    except McpctlError as exc:
        print(f"conformance client: {exc}", file=sys.stderr)
        sys.exit(1)
