/* guard_progress(): the one call on a program's hot path.  One thread-local
 * load, one coarse clock read (vDSO), one relaxed store: no lock, no system
 * call. */
#include "config.h"

#include "guard.h"
#include "registry.h"

__attribute__((visibility("default"))) void guard_progress(void)
{
    struct lg_guard *g = lg_progress_target();
    if (g)
        lg_guard_progress(g);
}
