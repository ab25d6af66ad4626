# src/web: see docs/architecture.md.
