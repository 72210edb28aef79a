#!/bin/sh
# model/check.sh -- check model/view.pml with spin (`make model-check`).
#
# Works in a temporary directory (never in the tree), two runs at a time.
# Fails when any run finds an error, or when the model as designed before
# the fix of docs/membership.md "The model" stops failing (so a change that
# makes the model blind is noticed). Prints the states explored per run.
#
#   MODEL_MINUTES  time budget of each bitstate run (default 2)
#   MODEL_KEEP=1   keep the temporary directory (trails, pan output)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
model="$here/view.pml"
minutes=${MODEL_MINUTES:-2}
for tool in spin gcc; do
    command -v "$tool" >/dev/null || { echo "model-check: $tool not found (scripts/install-deps)" >&2; exit 1; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vigil-model.XXXXXX")
[ "${MODEL_KEEP:-0}" = 1 ] && echo "model-check: working in $tmp" || trap 'rm -rf "$tmp"' EXIT

# run NAME EXPECT KIND SPIN-DEFINES -- CC-FLAGS -- PAN-FLAGS
#   EXPECT: pass | fail (the run must find an error)
#   KIND: exhaustive | bitstate | liveness
run() {
    name=$1 expect=$2 kind=$3; shift 3
    defs=""; while [ "$1" != "--" ]; do defs="$defs $1"; shift; done; shift
    ccf=""; while [ "$1" != "--" ]; do ccf="$ccf $1"; shift; done; shift
    d="$tmp/$name"; mkdir -p "$d"; cp "$model" "$d/view.pml"
    (
        cd "$d"
        # shellcheck disable=SC2086
        spin $defs -a view.pml >spin.out 2>&1 || { cat spin.out; exit 2; }
        # shellcheck disable=SC2086
        gcc -O2 -w $ccf -o pan pan.c >cc.out 2>&1 || { cat cc.out; exit 2; }
        start=$(date +%s)
        # shellcheck disable=SC2086
        ./pan "$@" >pan.out 2>&1 || true
        echo $(( $(date +%s) - start )) >secs
    ) || { echo "model-check: $name: spin or gcc failed" >&2; echo bad >"$d/verdict"; return 0; }
    errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' "$d/pan.out" | tail -1)
    states=$(sed -n 's/^ *\([0-9.e+]*\) states, stored.*/\1/p' "$d/pan.out" | tail -1)
    depth=$(sed -n 's/.*depth reached \([0-9]*\).*/\1/p' "$d/pan.out" | tail -1)
    note=""
    grep -q "Time limit of" "$d/pan.out" && note=" (time limit reached: not complete)"
    if [ -z "$errors" ]; then
        verdict=bad; what="no result"; cat "$d/pan.out" >&2
    elif [ "$expect" = pass ] && [ "$errors" = 0 ]; then
        verdict=ok; what="no error"
    elif [ "$expect" = fail ] && [ "$errors" != 0 ]; then
        verdict=ok; what="error found, as expected"
    else
        verdict=bad; what="errors: $errors (expected: $expect)"
    fi
    printf '%-15s %-10s %-44s states %9s  depth %5s  %4ss  %s%s%s\n' "$name" "$kind" "$defs" \
        "$states" "$depth" "$(cat "$d/secs")" "$([ $verdict = ok ] && echo ok || echo FAILED)" \
        ": $what" "$note" >"$d/line"
    if [ -f "$d/view.pml.trail" ]; then     # the counterexample, in events
        (cd "$d" && eval spin "$defs" -t view.pml 2>&1 | grep -E "EV |violated" | sed 's/^ */    /') >>"$d/line" || true
    fi
    echo "$verdict" >"$d/verdict"
}

SAFE="-DSAFETY -DNOREDUCE"
LIVE="-DNFAIR=3 -DNOREDUCE"

# Two lanes, one per core: the bitstate run of N = 4 alone, the rest.
(
    run n4-bitstate pass bitstate -DN=4 -DNETCAP=2 -DMAXC=3 -DMAXCRASH=1 -- $SAFE -DBITSTATE -- \
        -E -m400000 -w30 -k3 "-Q$minutes"
) &
lane=$!
run n2 pass exhaustive -DN=2 -DNETCAP=3 -DMAXC=3 -DMAXCRASH=1 -- $SAFE -- -E -m400000 -w24
run n2-matrix pass exhaustive -DN=2 -DMATRIX -DNETCAP=3 -DMAXC=3 -DMAXCRASH=1 -- $SAFE -- -E -m400000 -w24
run n3 pass exhaustive -DN=3 -DNETCAP=2 -DMAXC=2 -DMAXCRASH=1 -- $SAFE -- -E -m400000 -w25
# breadth first, for the shortest counterexample
run n2-as-designed fail exhaustive -DN=2 -DAS_DESIGNED -DNETCAP=3 -DMAXC=3 -DMAXCRASH=1 -- $SAFE -DBFS -- -E
run n2-built-before fail exhaustive -DN=2 -DAS_BUILT_BEFORE -DNETCAP=3 -DMAXC=3 -DMAXCRASH=0 -- $SAFE -DBFS -- -E
run n2-live pass liveness -DN=2 -DLIVENESS -DNETCAP=2 -- $LIVE -- -a -f -E -m100000
run n3-live pass liveness -DN=3 -DLIVENESS -DNETCAP=4 -- $LIVE -- -a -f -E -m100000
run n4-live pass liveness -DN=4 -DLIVENESS -DNETCAP=6 -- $LIVE -- -a -f -E -m100000
run n3-bitstate pass bitstate -DN=3 -DNETCAP=3 -DMAXC=3 -DMAXCRASH=1 -- $SAFE -DBITSTATE -- \
    -E -m400000 -w30 -k3 "-Q$minutes"
wait "$lane"

status=0
for name in n2 n2-matrix n3 n2-as-designed n2-built-before n2-live n3-live n4-live n3-bitstate n4-bitstate; do
    cat "$tmp/$name/line" 2>/dev/null || { echo "$name: did not run"; status=1; continue; }
    [ "$(cat "$tmp/$name/verdict")" = ok ] || status=1
done
[ $status = 0 ] && echo "model-check: ok" || echo "model-check: FAILED"
exit $status
