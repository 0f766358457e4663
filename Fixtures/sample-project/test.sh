#!/bin/sh
# The sample project's tests: prints one line per failure, writes lcov-style coverage of the
# functions tested to coverage.info, exits 1 when a test fails.
. ./calc.sh
failures=0
check() { if [ "$2" != "$3" ]; then echo "FAIL: $1: expected $3, got $2" >&2; failures=$((failures + 1)); fi; }
check "add 2 3" "$(add 2 3)" 5
check "mul 3 4" "$(mul 3 4)" 12
tested=2
if grep -q "^sub()" calc.sh; then check "sub 5 3" "$(sub 5 3)" 2; tested=$((tested + 1)); fi
functions=$(grep -c "^[a-z]*()" calc.sh)
printf 'SF:calc.sh\nLH:%d\nLF:%d\nend_of_record\n' "$tested" "$functions" > coverage.info
[ "$failures" -eq 0 ]
