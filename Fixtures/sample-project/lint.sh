#!/bin/sh
# The sample project's linter: one "warning:" line per TODO left in the code.
grep -n "TODO" calc.sh | sed 's/^\([0-9]*\):.*TODO: \(.*\)/calc.sh:\1: warning: \2/'
exit 0
