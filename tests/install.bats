#!/usr/bin/env bats
# make install, as a packager or a user runs it, into a scratch root
# (DESTDIR): man finds a page for every function of guard.h and libguard(7)
# for `man libguard`; with --with-python the package imports from the
# prefix, finds the installed library, and carries no build-tree path.

load helpers

BATS_TEST_TIMEOUT=${BATS_INSTALL_TEST_TIMEOUT:-300}

setup_file() {
    export STAGE="$BATS_FILE_TMPDIR/stage" TOP="$TESTS_BIN/.."
    # A make of its own, not a job of the make running the suite.
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$TOP" install V=1 DESTDIR="$STAGE" \
        >"$BATS_FILE_TMPDIR/install.log" 2>&1 ||
        { echo "# make install failed:" >&3; sed 's/^/# /' "$BATS_FILE_TMPDIR/install.log" >&3; return 1; }
}

@test "make install compiles nothing (the build did)" {
    if grep -E -- '--mode=compile| -c [^ ]*\.c( |$)' "$BATS_FILE_TMPDIR/install.log"; then false; fi
}

@test "man finds a section 3 page for every function of guard.h, and libguard(7) for 'man libguard'" {
    local man="$STAGE$INSTALLED_MANDIR" f functions
    functions=$(sed -n 's/^[a-z].*[ *]\(guard_[a-z_]*\)(.*/\1/p' "$TESTS_SRC/../lib/guard.h" | sort -u)
    [ "$(wc -l <<<"$functions")" -ge 7 ] || { echo "functions found in guard.h: $functions"; false; }
    for f in $functions; do
        run env MANPAGER=cat MANWIDTH=80 man -M "$man" 3 "$f"
        [ "$status" -eq 0 ] && grep -q "$f" <<<"$output" && grep -q '^SYNOPSIS' <<<"$output" ||
            { echo "man 3 $f: status $status"; echo "$output" | head; false; }
    done
    run man -M "$man" -w libguard
    [ "$status" -eq 0 ] && [ "$output" = "$man/man7/libguard.7" ] || { echo "man -w libguard: $output"; false; }
}

@test "the Python package imports from the prefix and uses the installed library" {
    [ -n "$INSTALLED_PYTHON" ] || skip "configured without --with-python"
    local pkg="$STAGE$INSTALLED_PYEXECDIR" libdir="$STAGE$INSTALLED_LIBDIR" core runpath spec
    core=$(ls "$pkg"/_core*.so)
    [ ! -e "$pkg/_core.la" ] || { echo "a libtool archive beside the module"; false; }
    # A run path only where libtool's search path lacks libdir, and only libdir.
    runpath=$(readelf -d "$core" | sed -n 's/.*(R\(UN\)\{0,1\}PATH).*\[\(.*\)\]/\2/p')
    spec=$(sed -n 's/^sys_lib_dlsearch_path_spec="\(.*\)"/\1/p' "$TOP/libtool")
    if [[ " $spec " == *" $INSTALLED_LIBDIR "* ]]; then
        [ -z "$runpath" ] || { echo "RUNPATH $runpath for a system libdir"; false; }
    else
        [ "$runpath" = "$INSTALLED_LIBDIR" ] || { echo "RUNPATH '$runpath', expected $INSTALLED_LIBDIR"; false; }
    fi
    # Staged, the run path's directory is not there yet: LD_LIBRARY_PATH.
    cd "$BATS_TEST_TMPDIR"
    run timeout 30 env PYTHONPATH="${pkg%/libguard}" LD_LIBRARY_PATH="$libdir" "$INSTALLED_PYTHON" -c '
import time, libguard
print("FILE", libguard.__file__, libguard.__version__)
print("LIB", [l.split()[-1] for l in open("/proc/self/maps") if "libguard.so" in l][0])
try:
    with libguard.time_guard(timeout_ms=100):
        time.sleep(5)
except libguard.ExecutionTimeout:
    print("TIMEOUT")'
    version=$(sed -n 's/^AC_INIT(\[libguard\], \[\([^]]*\)\].*/\1/p' "$TESTS_SRC/../configure.ac")
    [ "$status" -eq 0 ] && grep -qx "FILE $pkg/__init__.py $version" <<<"$output" &&
        grep -q "^LIB $libdir/libguard.so" <<<"$output" && grep -qx TIMEOUT <<<"$output" ||
        { echo "$output"; false; }
}
