#!/bin/sh
# A job of two steps, as a container's entrypoint (PID 1).  The image's ENV
# preloads libguard into every process: each step gets its own time and
# memory guard, while this shell, which only waits for them, is not
# interrupted (libguard(7), "Containers and process trees").
#
# STEP1 and STEP2 are the two commands (split into words, no globbing).
# Both run, whatever the first one does: a step that is stuck is interrupted
# by its own guard and the job carries on with the next.  The exit status
# says which failed: 0 none, 1 the first, 2 the second, 3 both.
set -u
set -f

failed=0
run_step() {
    n=$1
    shift
    echo "entrypoint: step $n: $*"
    "$@"
    status=$?
    if [ "$status" -ne 0 ]; then
        case $status in
        130) why=" (SIGINT: its guard interrupted it)" ;;
        143) why=" (SIGTERM: its guard interrupted it)" ;;
        137) why=" (SIGKILL: its guard, or the kernel's OOM killer)" ;;
        *) why="" ;;
        esac
        echo "entrypoint: step $n failed with status $status$why" >&2
        failed=$((failed | n))
    fi
}

run_step 1 ${STEP1:?set STEP1 to the first command}
run_step 2 ${STEP2:?set STEP2 to the second command}
exit "$failed"
