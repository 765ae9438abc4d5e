"""mcpctl: make MCP servers testable and operable from declarative specs."""

__version__ = "0.1.0"
