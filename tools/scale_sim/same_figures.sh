#!/usr/bin/env bash
# Runs scale-sim with the given flags on one thread and on two, and fails unless every figure
# but the wall time is the same.
# SPDX-License-Identifier: MIT
# Usage: same_figures.sh SCALE_SIM FLAGS...
set -euo pipefail
sim=$1
shift
figures() { "$sim" "$@" | grep -v 'wall time' | sed 's/, "wall_s": [0-9.]*}$/}/'; }
one=$(figures "$@" --threads 1)
two=$(figures "$@" --threads 2)
if [[ $one != "$two" ]]; then
  diff <(echo "$one") <(echo "$two")
  exit 1
fi
echo "$two"
grep -q '"exact": true' <<<"$two"
