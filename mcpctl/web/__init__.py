"""The HTTP face of a running mcpctl: the live web dashboard (pages, JSON API, WebSocket events)."""
