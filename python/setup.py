"""pip install --no-build-isolation ./python  (from a libguard source tree)

Builds the `libguard` extension against libguard.so.0: the one named by
GUARD_LIBDIR (a directory holding libguard.so, e.g. BUILD/lib/.libs),
else the installed one (pkg-config libguard), else /usr/local/lib.  The
extension records that directory as its run path."""
import os
import shutil
import subprocess

from setuptools import Extension, setup

here = os.path.dirname(os.path.abspath(__file__))


def pkg_config(var):
    if not shutil.which("pkg-config"):
        return None
    try:
        out = subprocess.run(["pkg-config", "--variable=" + var, "libguard"],
                             capture_output=True, text=True, check=True).stdout.strip()
    except subprocess.CalledProcessError:
        return None
    return out or None


libdir = os.environ.get("GUARD_LIBDIR") or pkg_config("libdir") or "/usr/local/lib"
source_include = os.path.join(here, "..", "lib")
if os.path.exists(os.path.join(source_include, "guard.h")):
    include = source_include
else:
    include = pkg_config("includedir") or "/usr/local/include"

setup(
    name="libguard",
    version="0.1.0",
    description="Process guards over libguard: a faster drop-in for resiliparse.process_guard",
    license="see COPYING",
    ext_modules=[Extension(
        "libguard",
        sources=[os.path.relpath(os.path.join(here, "libguard.c"), here)],
        include_dirs=[include],
        library_dirs=[libdir],
        runtime_library_dirs=[libdir],
        libraries=["guard"],
        extra_compile_args=["-std=gnu11"],
    )],
)
