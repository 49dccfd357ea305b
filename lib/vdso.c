/* The kernel's clock_gettime, called directly.  glibc's wrapper adds about
 * 1.5 ns to the ~3 ns of a coarse clock read, half of guard_progress()'s
 * budget of 5 ns.  Resolved before the other constructors of the library;
 * where there is no vDSO, lg_coarse_now() keeps libc's clock_gettime. */
#include "config.h"

#include <dlfcn.h>

#include "clock.h"

lg_clock_fn lg_coarse_clock = clock_gettime;

__attribute__((constructor(101))) static void find_vdso_clock(void)
{
    /* RTLD_NOLOAD: the vDSO is always mapped; this only looks it up. */
    void *vdso = dlopen("linux-vdso.so.1", RTLD_LAZY | RTLD_NOLOAD);
    if (!vdso)
        return;
    lg_clock_fn fn = (lg_clock_fn)dlsym(vdso, "__vdso_clock_gettime");
    struct timespec t;
    /* Trust it only once it has answered. */
    if (fn && fn(CLOCK_MONOTONIC_COARSE, &t) == 0)
        lg_coarse_clock = fn;
}
