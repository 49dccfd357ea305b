#!/usr/bin/env bats
# The Debian packages (debian/), unpacked with dpkg -x into a scratch root:
# what each package holds, lintian, the hardening flags, and that the
# unpacked library, guard command and Python package work from there.
#
# It checks packages already built: GUARD_DEBS names a directory holding the
# .changes and .deb files of one `dpkg-buildpackage -b` (.ci/run builds them
# there).  Building takes minutes, so plain `make check` does not: without
# GUARD_DEBS these tests skip and say so.  (Not LIBGUARD_*: the shim would
# refuse an unknown LIBGUARD_ name.)

load helpers

BATS_TEST_TIMEOUT=${BATS_DEBIAN_TEST_TIMEOUT:-300} # lintian alone takes a minute
PY=/usr/bin/python3 # python3-libguard is for Debian's default Python 3

setup_file() {
    export DEBS_SKIP='' ROOT="$BATS_FILE_TMPDIR/root" CHANGES='' MA='' GUARD_DEBS
    if [ -z "${GUARD_DEBS:-}" ]; then
        DEBS_SKIP="no packages to check: GUARD_DEBS=DIR names the output of dpkg-buildpackage -b (.ci/run sets it)"
        return 0
    fi
    GUARD_DEBS=$(cd "$GUARD_DEBS" && pwd) || return 1 # the tests cd elsewhere
    CHANGES=$(ls "$GUARD_DEBS"/libguard_*.changes 2>/dev/null)
    [ "$(printf '%s\n' "$CHANGES" | grep -c .)" -eq 1 ] \
        || { echo "GUARD_DEBS=$GUARD_DEBS: expected one libguard_*.changes, found: $CHANGES" >&2; return 1; }
    MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
    mkdir -p "$ROOT"
    for deb in $(debs); do
        dpkg -x "$GUARD_DEBS/$deb" "$ROOT" || return 1
    done
}

setup() {
    setup_guard_env
    unset LD_PRELOAD LD_LIBRARY_PATH PYTHONPATH GUARD_LIBRARY
    cd "$BATS_TEST_TMPDIR"
}

# Every test but the first checks the packages.
needs_packages() {
    [ -z "$DEBS_SKIP" ] || skip "$DEBS_SKIP"
}

# The .deb files the .changes lists (all, or those of package $1).
debs() {
    sed -n '/^Files:/,/^[^ ]/s/^ .* \([^ ]*\.deb\)$/\1/p' "$CHANGES" | grep "^${1:-.*}_"
}

# The files and links package $1 installs, but its /usr/share/doc and its
# lintian overrides.
contents() {
    local deb
    deb=$(debs "$1") || { echo "no $1 in $CHANGES"; return 1; }
    dpkg -c "$GUARD_DEBS/$deb" | awk '$1 !~ /^d/ { print $6 }' | sed 's|^\./||' \
        | grep -v '^usr/share/doc/\|^usr/share/lintian/overrides/'
}

# Assert that $output is exactly the lines given.
lines_are() {
    local want
    want=$(printf '%s\n' "$@")
    [ "$output" = "$want" ] || { echo "expected:"; echo "$want"; echo "got:"; echo "$output"; return 1; }
}

@test "debian/changelog's version is configure.ac's" {
    ac=$(sed -n 's/^AC_INIT(\[libguard\], \[\([^]]*\)\].*/\1/p' "$TESTS_SRC/../configure.ac")
    deb=$(sed -n '1s/^libguard (\([^)]*\)).*/\1/p' "$TESTS_SRC/../debian/changelog")
    [ -n "$ac" ] && [ "$ac" = "$deb" ] || { echo "configure.ac: '$ac', debian/changelog: '$deb'"; false; }
}

@test "README and the man pages preload libguard.so.0, the name libguard0 ships" {
    # (libguard.so is only the link for the compiler, in libguard-dev.)
    cd "$TESTS_SRC/.."
    run grep -nE "LD_PRELOAD=[\"']?libguard\.so(\$|[^.])" README.md man/*.[137]
    [ "$status" -eq 1 ] || { echo "$output"; false; }
    grep -q 'LD_PRELOAD=libguard\.so\.0 ' README.md
}

@test "libguard0: the library by its versioned name only, in the multiarch directory" {
    needs_packages
    run contents libguard0
    lines_are "usr/lib/$MA/libguard.so.0.0.0" "usr/lib/$MA/libguard.so.0"
}

@test "libguard-dev: guard.h, the libguard.so link, libguard.pc, the section 3 pages" {
    needs_packages
    run contents libguard-dev
    grep -qx "usr/include/guard.h" <<<"$output"
    grep -qx "usr/lib/$MA/libguard.so" <<<"$output"
    grep -qx "usr/lib/$MA/pkgconfig/libguard.pc" <<<"$output"
    # Every section 3 page of the source, and nothing else.
    want=$(cd "$TESTS_SRC/../man" && ls -- *.3 | sed 's|^|usr/share/man/man3/|; s|$|.gz|')
    [ -n "$want" ] && [ "$(grep '^usr/share/man/man3/' <<<"$output" | sort)" = "$(sort <<<"$want")" ] \
        || { echo "expected pages: $want"; echo "$output"; false; }
    [ "$(grep -cv '^usr/share/man/man3/' <<<"$output")" -eq 3 ] || { echo "$output"; false; }
    [ "$(readlink "$ROOT/usr/lib/$MA/libguard.so")" = libguard.so.0.0.0 ]
    # libguard.pc names the directories the files are in.
    pc() { env PKG_CONFIG_PATH= PKG_CONFIG_LIBDIR="$ROOT/usr/lib/$MA/pkgconfig" pkg-config "$@" libguard; }
    [ "$(pc --variable=libdir)" = "/usr/lib/$MA" ]
    [ "$(pc --variable=includedir)" = /usr/include ]
}

@test "libguard-tools: guard, guard(1), libguard(7); guard preloads the file libguard0 ships" {
    needs_packages
    run contents libguard-tools
    lines_are usr/bin/guard usr/share/man/man1/guard.1.gz usr/share/man/man7/libguard.7.gz
    run "$ROOT/usr/bin/guard" --help
    [ "$status" -eq 0 ]
    [[ "$output" == *"(/usr/lib/$MA/libguard.so.0)"* ]] || { echo "$output"; false; }
    [ -f "$ROOT/usr/lib/$MA/libguard.so.0" ]
}

@test "python3-libguard: the package in Debian's dist-packages, no libtool archive anywhere" {
    needs_packages
    run contents python3-libguard
    grep -qx "usr/lib/python3/dist-packages/libguard/__init__.py" <<<"$output" || { echo "$output"; false; }
    grep -qx "usr/lib/python3/dist-packages/libguard/_core\.cpython-[0-9]*-$MA\.so" <<<"$output" \
        || { echo "$output"; false; }
    [ -z "$(find "$ROOT" -name '*.la')" ]
}

@test "no run path, and the hardening flags, in every ELF file" {
    needs_packages
    elves=$(find "$ROOT/usr" -type f \( -name '*.so*' -o -path '*/bin/*' \))
    [ "$(wc -l <<<"$elves")" -ge 3 ] || { echo "ELF files: $elves"; false; }
    for f in $elves; do
        ! readelf -d "$f" | grep -E 'RPATH|RUNPATH' || { echo "$f has a run path"; false; }
    done
    # Control-flow protection (-fcf-protection) is not among the flags of
    # Debian 12's dpkg-buildflags.  The Python extension's only candidates
    # for fortify, an snprintf into a struct's last member and a memmove of a
    # computed length, have no size the compiler knows: nothing to protect,
    # which hardening-check reports as "no".
    run hardening-check --nocfprotection $(grep -v '/_core\.' <<<"$elves")
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    run hardening-check --nocfprotection --nofortify $(grep '/_core\.' <<<"$elves")
    [ "$status" -eq 0 ] || { echo "$output"; false; }
}

@test "lintian: no error, no warning, no information that debian/*.lintian-overrides does not explain" {
    needs_packages
    run lintian --display-info --fail-on error,warning,info "$CHANGES"
    [ "$status" -eq 0 ] || { echo "$output"; false; }
}

@test "a stuck program preloaded with the unpacked library gets its SIGINT" {
    needs_packages
    run timeout 30 env LD_PRELOAD="$ROOT/usr/lib/$MA/libguard.so.0" LIBGUARD_TIMEOUT=0.3 \
        "$TESTS_BIN/sigrecord" --max 20000 --exit-on-signal 3
    [ "$status" -eq 3 ] || { echo "status $status: $output"; false; }
    [[ "$output" == *"SIGINT to main thread"* ]] || { echo "$output"; false; }
    grep -q '^SIGINT ' <<<"$output" || { echo "$output"; false; }
}

@test "LD_PRELOAD=libguard.so.0, the name the README gives, loads the unpacked library" {
    needs_packages
    run timeout 30 env LD_LIBRARY_PATH="$ROOT/usr/lib/$MA" LD_PRELOAD=libguard.so.0 \
        LD_DEBUG=files LIBGUARD_TIMEOUT=0.3 "$TESTS_BIN/sigrecord" --max 20000 --exit-on-signal 3
    [ "$status" -eq 3 ] || { echo "status $status: $output"; false; }
    [[ "$output" == *"calling init: $ROOT/usr/lib/$MA/libguard.so.0"* ]] || { echo "$output"; false; }
    grep -q '^SIGINT ' <<<"$output" || { echo "$output"; false; }
}

@test "the unpacked guard command guards a command with the unpacked library: status 124" {
    needs_packages
    run timeout 30 env GUARD_LIBRARY="$ROOT/usr/lib/$MA/libguard.so.0" \
        "$ROOT/usr/bin/guard" -t 1 -- sleep 20
    [ "$status" -eq 124 ] || { echo "status $status: $output"; false; }
    [[ "$output" == *"libguard["*"no progress for "*"(limit 1s)"* ]] || { echo "$output"; false; }
    [[ "$output" != *"outside mode"* ]] || { echo "$output"; false; }
}

@test "import libguard from the unpacked package: ExecutionTimeout, over the unpacked libguard.so.0" {
    needs_packages
    run timeout 30 env PYTHONPATH="$ROOT/usr/lib/python3/dist-packages" \
        LD_LIBRARY_PATH="$ROOT/usr/lib/$MA" "$PY" -c '
import time, libguard
print("module", libguard.__file__)
try:
    with libguard.time_guard(timeout=1):
        time.sleep(20)
except libguard.ExecutionTimeout:
    print("ExecutionTimeout")
print("core", *sorted({l.split()[-1] for l in open("/proc/self/maps") if "libguard.so" in l}))'
    [ "$status" -eq 0 ] || { echo "status $status: $output"; false; }
    grep -qx "module $ROOT/usr/lib/python3/dist-packages/libguard/__init__.py" <<<"$output" \
        || { echo "$output"; false; }
    grep -qx "ExecutionTimeout" <<<"$output" || { echo "$output"; false; }
    grep -qx "core $ROOT/usr/lib/$MA/libguard.so.0.0.0" <<<"$output" || { echo "$output"; false; }
}
