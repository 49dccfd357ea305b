/* The escalation ladder: firing a step of a guard (what each step does and
 * when it is due are escalation.h's). */
#ifndef LIBGUARD_LADDER_H
#define LIBGUARD_LADDER_H

#include <stdint.h>

#include "escalation.h"
#include "registry.h"

/* Fire step `step` (1..3) of the guard described by `d`.  `why` says what
 * happened ("no progress for 10.0s (limit 10s)").  Called by the watchdog;
 * never blocks. */
void lg_ladder_fire(struct lg_guard *g, const struct lg_desc *d, int step,
                    const char *why);

/* The interpreter's route: set by the CPython support when it finds an
 * interpreter in the process. */
extern const struct lg_route *_Atomic lg_default_route;
/* The route of the handler a C program registered (guard_set_handler, api.c);
 * consulted before lg_default_route. */
extern const struct lg_route *_Atomic lg_handler_route;

#endif
