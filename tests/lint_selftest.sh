#!/bin/sh
# tests/lint_selftest.sh — prove the lint fires: a tree with each forbidden pattern must fail it.
set -u
src=${VR_SRCDIR:-.}
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fail=0
mk() { rm -rf "$t/tree"; mkdir -p "$t/tree/src/store" "$t/tree/src/web" "$t/tree/cgi-bin" "$t/tree/templates"; : > "$t/tree/templates/raw-allowlist.txt"; }
expect_fail() { # expect_fail LABEL
  if "$src/scripts/lint" "$t/tree" >"$t/out" 2>&1; then echo "lint did not catch: $1"; fail=1; else echo "caught: $1"; fi
}
mk; echo 'void f(void){ sqlite3_exec(0,0,0,0,0); }' > "$t/tree/src/web/x.c"; expect_fail "sqlite3_ outside src/store"
mk; printf '%s\n' 'void f(char *b){ snprintf(b, 9, "SELECT * FROM t WHERE id=%d", 1); }' > "$t/tree/src/store/x.c"; expect_fail "SQL built with snprintf"
mk; printf '%s\n' 'void f(Buf *b){ buf_printf(b, "UPDATE runs SET name=%s", "x"); }' > "$t/tree/src/store/y.c"; expect_fail "SQL built with buf_printf"
mk; echo '<p>{{{name}}}</p>' > "$t/tree/templates/page.mustache"; expect_fail "raw output not allow-listed"
mk; echo '<p>{{& name}}</p>' > "$t/tree/templates/page.mustache"; expect_fail "ampersand raw output"
mk; echo '<p>{{{chart}}}</p>' > "$t/tree/templates/page.mustache"; echo 'page:chart' > "$t/tree/templates/raw-allowlist.txt"
if "$src/scripts/lint" "$t/tree" >"$t/out" 2>&1; then echo "allowed: allow-listed raw output"; else echo "lint refused an allow-listed key"; cat "$t/out"; fail=1; fi
exit $fail
