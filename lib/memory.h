/* Resident memory of this process: sampling it, and how soon to sample
 * again.  What a share of memory is, and reading a size, are memsize.h's. */
#ifndef LIBGUARD_MEMORY_H
#define LIBGUARD_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memsize.h"
#include "options.h"

/* Resident bytes of this process (/proc/self/statm), or 0 if unreadable
 * (said once in the log). */
uint64_t lg_memory_resident(void);
/* After fork: the kept descriptor names the parent; open ours. */
void lg_memory_forget(void);

/* How long until the next sample, given the smallest headroom (bytes under
 * a limit; 0 when over), the growth observed, and the longest interval. */
uint64_t lg_memory_next_delay(uint64_t headroom, double bytes_per_ns,
                              uint64_t interval_ns);

#endif
