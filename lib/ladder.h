/* The escalation ladder: what each step of a guard does, and doing it. */
#ifndef LIBGUARD_LADDER_H
#define LIBGUARD_LADDER_H

#include <stdint.h>

#include "registry.h"

#define LG_LADDER_STEPS 3

/* Fire step `step` (1..3) of the guard described by `d`.  `why` says what
 * happened ("no progress for 10.0s (limit 10s)").  Called by the watchdog;
 * never blocks. */
void lg_ladder_fire(struct lg_guard *g, const struct lg_desc *d, int step,
                    const char *why);

/* The route used for guards that name none: set by the CPython support when
 * it finds an interpreter in the process. */
extern const struct lg_route *_Atomic lg_default_route;
/* The route of the handler a C program registered (guard_set_handler, api.c);
 * consulted before lg_default_route. */
extern const struct lg_route *_Atomic lg_handler_route;

#endif
