# Shared by the suites that run every CPython present (python.bats,
# package.bats, traceback.bats): which interpreters, and assertions that name
# the interpreter that failed.  Load after helpers.bash.

# find_pythons: PYTHONS, every CPython 3.8-3.13 under pyenv's versions and
# /usr/bin/python3 (or, when GUARD_PYTHONS is set, those of its
# space-separated interpreters); OLD_PYTHONS, the CPython 3 older than 3.8
# found there; NEWER_PYTHONS, those after 3.13 (not yet supported, only
# listed).
find_pythons() {
    local root exe v found='' old='' newer='' candidates
    if [ -n "${GUARD_PYTHONS:-}" ]; then
        candidates=$GUARD_PYTHONS
    else
        root=$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")
        candidates="$(ls -d ${root:+"$root"/versions/*/bin/python3} 2>/dev/null) /usr/bin/python3"
    fi
    for exe in $candidates; do
        [ -x "$exe" ] || continue
        v=$("$exe" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) || continue
        case $v in
        3.8 | 3.9 | 3.1[0-3]) found="$found $exe" ;;
        3.[0-7]) old="$old $exe" ;;
        *) newer="$newer $exe" ;;
        esac
    done
    export PYTHONS="${found# }" OLD_PYTHONS="${old# }" NEWER_PYTHONS="${newer# }"
}

# each CHECK...: run CHECK once per interpreter ($PY); all must pass.
each() {
    local bad=''
    [ -n "$PYTHONS" ] || { echo "no CPython 3.8-3.13 found"; return 1; }
    for PY in $PYTHONS; do
        if ! "$@"; then
            echo "^^^ failed with $PY ($("$PY" -V 2>&1))"
            bad="$bad $PY"
        fi
    done
    [ -z "$bad" ]
}

# Assertions that say what was expected and show the output.
says() { grep -qE -- "$1" <<<"$output" || { echo "$PY: expected /$1/ in:"; echo "$output"; return 1; }; }
never() { ! grep -qE -- "$1" <<<"$output" || { echo "$PY: unexpected /$1/ in:"; echo "$output"; return 1; }; }
status_is() { [ "$status" -eq "$1" ] || { echo "$PY: status $status, expected $1:"; echo "$output"; return 1; }; }
ms_between() { between "$(recorded_ms "$1")" "$2" "$3" "$PY $1"; }

# setup_file of the package's suites: build libguard's package for each
# CPython found (tests/build-package.sh) and keep in PYTHONS those it built
# for; pkg_dir EXE is where.
build_packages() {
    local exe found='' skipped='' status
    find_pythons
    for exe in $PYTHONS; do
        status=0
        "$TESTS_SRC/build-package.sh" "$exe" "$(pkg_dir "$exe")" >&3 2>&1 || status=$?
        case $status in
        0) found="$found $exe" ;;
        2) skipped="$skipped $exe(no Python.h)" ;;
        *) echo "# could not build the package for $exe" >&3; return 1 ;;
        esac
    done
    export PYTHONS="${found# }"
    echo "# CPython tested: ${PYTHONS:-none}" >&3
    [ -z "$skipped" ] || echo "# not tested:$skipped" >&3
}
pkg_dir() { echo "$BATS_FILE_TMPDIR/pkg-$(echo "$1" | tr / _)"; }

# setup of the package suites: PROG for pkg(), and no test without a
# CPython the package could be built for.
setup_package_suite() {
    setup_guard_env
    PROG="$TESTS_SRC/python/package.py"
    [ -n "$PYTHONS" ] || { echo "no CPython 3.8-3.13 with headers found"; return 1; }
}

# pkg [VAR=VALUE...] -- ARGS...: run $PROG (the package suites'
# tests/python/package.py) with ARGS, with $PY and its build of the
# extension, in the foreground (SIGINT not ignored), bounded by timeout(1).
pkg() {
    local vars=()
    while [ "$1" != "--" ]; do vars+=("$1"); shift; done
    shift
    # stdout and stderr apart: the shim logs the first step's system call
    # line after the exception went out, while the program prints.
    run --separate-stderr timeout -k 5 "${PY_LIMIT:-60}" \
        env PYTHONPATH="$(pkg_dir "$PY"):$TESTS_SRC/python" "${vars[@]}" "$PY" "$PROG" "$@"
    output="$output${stderr:+
$stderr}"
}
