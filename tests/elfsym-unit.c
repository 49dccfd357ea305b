/* The loaded objects' symbol lookup (lib/elfsym.c) against the dynamic
 * loader's own answers (a TAP program, run by make check): the same address
 * as dlsym for functions of libc and of this program, the default version
 * of a symbol that has several, nothing for a name that is not defined, and
 * the vDSO's clock, found in its own table. */
#include "config.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/auxv.h>
#include <time.h>

#include "elfsym.h"

#include "tap.h"

/* Exported by this program (linked with -rdynamic), as python3 exports
 * Py_IsInitialized. */
__attribute__((visibility("default"))) int elfsym_unit_marker(void);
__attribute__((visibility("default"))) int elfsym_unit_marker(void) { return 42; }

static void same_as_dlsym(const char *name)
{
    void *ours = lg_loaded_symbol(name), *loader = dlsym(RTLD_DEFAULT, name);
    result(ours && ours == loader, "%s: %p, as dlsym gives %p", name, ours, loader);
}

int main(void)
{
    same_as_dlsym("printf");
    same_as_dlsym("clock_gettime");
    same_as_dlsym("elfsym_unit_marker");
    /* Two versions in glibc, at two addresses: the default one. */
    same_as_dlsym("pthread_cond_wait");
    same_as_dlsym("realpath");
    result(lg_loaded_symbol("Py_IsInitialized") == NULL,
           "Py_IsInitialized is not here (no CPython in this program)");
    result(lg_loaded_symbol("elfsym_unit_no_such_symbol") == NULL, "an undefined name: NULL");
    result(lg_loaded_symbol("") == NULL, "the empty name: NULL");

    int (*vdso_clock)(clockid_t, struct timespec *);
    *(void **)&vdso_clock = lg_vdso_symbol("__vdso_clock_gettime");
    struct timespec t;
    if (getauxval(AT_SYSINFO_EHDR))
        result(vdso_clock && vdso_clock(CLOCK_MONOTONIC, &t) == 0,
               "the vDSO's __vdso_clock_gettime is found and answers");
    return tap_done();
}
