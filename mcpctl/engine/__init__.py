"""Runners: one per spec kind, under trio (DESIGN.md §4)."""
