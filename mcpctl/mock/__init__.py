"""Mock MCP servers from YAML (``kind: MockServer``): the dispatcher and its transports."""
