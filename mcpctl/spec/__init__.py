"""Spec files: YAML loading with positions, validation and typed records (DESIGN.md §3)."""
