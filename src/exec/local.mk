# src/exec: see docs/architecture.md.
