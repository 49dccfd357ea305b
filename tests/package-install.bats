#!/usr/bin/env bats
# The Python package as the README tells a user to install and check it on
# Debian 12: pip into a venv of the system's python3 (offline: the system's
# setuptools and wheel), then mypy on the README's examples against that
# installation (its py.typed and stubs).

load helpers

BATS_TEST_TIMEOUT=${BATS_PYTHON_TEST_TIMEOUT:-300}
PY=/usr/bin/python3

setup_file() {
    export VENV="$BATS_FILE_TMPDIR/venv" SKIP_VENV=''
    if ! "$PY" -c 'import ensurepip, setuptools, wheel' 2>/dev/null; then
        SKIP_VENV="$PY lacks ensurepip, setuptools or wheel (Debian: python3-venv python3-setuptools python3-wheel)"
        return 0
    fi
    local src="$BATS_FILE_TMPDIR/src"
    mkdir -p "$src"
    cp -r "$TESTS_SRC/../python" "$TESTS_SRC/../lib" "$TESTS_SRC/../configure.ac" "$TESTS_SRC/../COPYING" "$src/"
    rm -rf "$src/python/build" "$src"/python/*.egg-info
    # The README's two commands (GUARD_LIBDIR: this build's library).
    "$PY" -m venv --system-site-packages "$VENV" >&3 2>&1 &&
        env GUARD_LIBDIR="$(dirname "$GUARD_SO")" PIP_NO_INDEX=1 \
            "$VENV/bin/pip" install -q --no-build-isolation "$src/python" >"$BATS_FILE_TMPDIR/pip.log" 2>&1 ||
        { echo "# the README's venv and pip install failed:" >&3; sed 's/^/# /' "$BATS_FILE_TMPDIR/pip.log" >&3; return 1; }
}

setup() {
    [ -z "$SKIP_VENV" ] || skip "$SKIP_VENV"
    setup_guard_env
}

@test "pip install --no-build-isolation into a venv: the package, configure.ac's version, MIT" {
    run "$VENV/bin/pip" show libguard
    [[ "$output" == *$'\nLicense: MIT\n'* ]] || { echo "$output"; false; }
    version=$(sed -n 's/^AC_INIT(\[libguard\], \[\([^]]*\)\].*/\1/p' "$TESTS_SRC/../configure.ac")
    cd "$BATS_TEST_TMPDIR"
    run timeout 30 "$VENV/bin/python" -c '
import time, libguard
print(libguard.__version__, libguard.__file__)
try:
    with libguard.time_guard(timeout_ms=100):
        time.sleep(5)
except libguard.ExecutionTimeout:
    print("TIMEOUT")'
    [ "$status" -eq 0 ] &&
        [[ "${lines[0]}" == "$version $VENV/lib/python3."*"/site-packages/libguard/__init__.py" ]] &&
        grep -qx TIMEOUT <<<"$output" || { echo "$output"; false; }
}

@test "mypy accepts the README's Python examples with the installed package's types (py.typed, stubs)" {
    command -v mypy >/dev/null ||
        skip "no mypy (Debian: apt-get install mypy, which ./bootstrap --install-deps does)"
    local dir="$BATS_TEST_TMPDIR/readme" n
    mkdir -p "$dir"
    # Each python block of the README, after what the examples leave to the reader.
    n=$(awk -v dir="$dir" '
        /^```python$/ { n++; f = dir "/example" n ".py"
            print "from typing import Any, Dict, Iterable, List" > f
            print "records: Iterable[Any]\nrdd: Any" > f
            print "index: Dict[Any, Any]\nrows: List[Any]\nkey: Any\nrow: Any" > f
            print "def process(record: Any) -> None: ...\ndef parse(record: Any) -> Any: ..." > f
            next }
        /^```/ { f = ""; next }
        f { print > f }
        END { print n }' "$TESTS_SRC/../README.md")
    [ "$n" -ge 2 ] || { echo "only $n python blocks in README.md"; false; }
    run mypy --python-executable "$VENV/bin/python" --check-untyped-defs \
        --cache-dir "$BATS_TEST_TMPDIR/cache" "$dir"
    [ "$status" -eq 0 ] && [[ "$output" == "Success: no issues found in $n source files" ]] ||
        { echo "$output"; false; }
    # The package's own annotations, strictly.
    run env -C "$BATS_TEST_TMPDIR" mypy --python-executable "$VENV/bin/python" --strict \
        --cache-dir "$BATS_TEST_TMPDIR/cache" -p libguard
    [ "$status" -eq 0 ] || { echo "$output"; false; }
}
