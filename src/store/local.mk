# src/store: see docs/architecture.md.
