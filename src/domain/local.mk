# src/domain: see docs/architecture.md.
