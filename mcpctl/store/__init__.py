"""The state store (DESIGN.md §5): runs, suites and cases in SQLite under ``.mcpctl/``."""

from __future__ import annotations

from mcpctl.store.db import RunSummary, Store, new_run_id, open_store, state_dir

__all__ = ["RunSummary", "Store", "new_run_id", "open_store", "state_dir"]
