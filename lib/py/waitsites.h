/* Wait sites: calls inside threading's protected code where the exception
 * may land (a blocked wait is cut short; the code restores its locks
 * whichever way the call ends).  See waitsites.c.
 *
 * Contract: GIL held.  lg_wait_sites_find() looks in the `threading` the
 * program has imported (it never imports it) and is a no-op once it has
 * found it; call it before deciding, at each deferral.  The sites are kept
 * for the process's life. */
#ifndef LIBGUARD_PY_WAITSITES_H
#define LIBGUARD_PY_WAITSITES_H

#include <stdbool.h>

#include "py/capi.h"

void lg_wait_sites_find(void);
/* Is byte offset `lasti` of `code` inside a wait site? */
bool lg_wait_site_at(PyObject *code, long lasti);

#endif
