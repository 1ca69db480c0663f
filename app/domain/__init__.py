"""Domain model, state machine and projection (pure, no I/O)."""
