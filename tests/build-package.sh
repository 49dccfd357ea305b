#!/bin/sh
# tests/build-package.sh PYTHON DIR [LIBDIR]: the libguard Python package
# for PYTHON, in DIR/libguard (put DIR on PYTHONPATH), its extension built
# with that interpreter's headers against LIBDIR/libguard.so (default: the
# directory of $GUARD_SO), with LIBDIR as its run path.  For the suites and
# the benchmarks, which run every interpreter present; `make` builds the
# package for the configured one.  Exit status 2: PYTHON has no Python.h.
set -eu
python=$1 dir=$2
libdir=${3:-$(dirname "${GUARD_SO:?GUARD_SO or LIBDIR}")}
src=$(cd "$(dirname "$0")/.." && pwd)
inc=$("$python" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
suffix=$("$python" -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')
[ -f "$inc/Python.h" ] || { echo "build-package: no Python.h for $python in $inc" >&2; exit 2; }
version=$(sed -n 's/^AC_INIT(\[libguard\], \[\([^]]*\)\].*/\1/p' "$src/configure.ac")
mkdir -p "$dir/libguard"
cp "$src"/python/libguard/*.py "$src"/python/libguard/*.pyi "$src"/python/libguard/py.typed "$dir/libguard/"
${CC:-cc} -shared -fPIC -std=gnu11 -O2 -Wall -Werror -I"$inc" -I"$src/lib" \
    -DLIBGUARD_VERSION="\"$version\"" "$src"/python/*.c \
    -L"$libdir" -lguard -Wl,-rpath,"$libdir" -o "$dir/libguard/_core$suffix"
