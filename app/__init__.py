"""dispatch120 core: no Qt here (enforced by import-linter)."""
