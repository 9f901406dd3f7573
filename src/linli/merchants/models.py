"""The merchant alliance on BNI chapter rules (SPEC.md capability 3)."""
