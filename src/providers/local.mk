# src/providers: see docs/architecture.md.
