#!/bin/sh
# tests/lint.sh — `make check` runs the house-rule lint over the source tree.
exec "${VR_SRCDIR:-.}/scripts/lint" "${VR_SRCDIR:-.}"
