# src/domain: see docs/architecture.md.
include src/domain/definition.mk
include src/domain/analysis.mk
include src/domain/advisor.mk
