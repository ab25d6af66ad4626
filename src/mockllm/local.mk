# src/mockllm: see docs/architecture.md.
