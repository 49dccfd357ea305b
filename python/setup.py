"""pip install --no-build-isolation ./python  (from a libguard source tree)

Builds the package `libguard` with its extension `libguard._core` against
libguard.so.0: the one in GUARD_LIBDIR (a directory holding libguard.so,
e.g. BUILD/lib/.libs), else the installed one (pkg-config libguard), else
/usr/local/lib.  The extension records that directory as its run path.
The version is configure.ac's; python/COPYING links to the tree's licence.
The rest of the metadata is in pyproject.toml."""
import os
import re
import shutil
import subprocess

from setuptools import Extension, setup

here = os.path.dirname(os.path.abspath(__file__))
top = os.path.join(here, "..")


def pkg_config(var):
    if not shutil.which("pkg-config"):
        return None
    try:
        out = subprocess.run(["pkg-config", "--variable=" + var, "libguard"],
                             capture_output=True, text=True, check=True).stdout.strip()
    except subprocess.CalledProcessError:
        return None
    return out or None


def configure_version():
    try:
        with open(os.path.join(top, "configure.ac")) as f:
            m = re.search(r"^AC_INIT\(\[libguard\], \[([^]]+)\]", f.read(), re.M)
    except OSError:
        m = None
    if not m:
        raise SystemExit("setup.py: no AC_INIT([libguard], [VERSION]) in ../configure.ac: "
                         "build from a libguard source tree")
    return m.group(1)


version = configure_version()
libdir = os.environ.get("GUARD_LIBDIR") or pkg_config("libdir") or "/usr/local/lib"
source_include = os.path.join(top, "lib")
if os.path.exists(os.path.join(source_include, "guard.h")):
    include = source_include
else:
    include = pkg_config("includedir") or "/usr/local/include"

setup(
    version=version,
    ext_modules=[Extension(
        "libguard._core",
        sources=["module.c", "guards.c", "args.c", "progress.c", "protect.c"],
        include_dirs=[include],
        library_dirs=[libdir],
        runtime_library_dirs=[libdir],
        libraries=["guard"],
        define_macros=[("LIBGUARD_VERSION", '"%s"' % version)],
        extra_compile_args=["-std=gnu11"],
    )],
)
