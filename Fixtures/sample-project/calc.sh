#!/bin/sh
# A tiny calculator the example loop improves (Tools/cook-loop.sh).
add() { echo $(($1 + $2)); }
# TODO: mul is wrong for negative numbers
mul() { echo $(($1 * $2 + 0)); }
# TODO: div by zero is not handled
div() { echo $(($1 / $2)); }
