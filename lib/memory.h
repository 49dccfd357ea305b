/* Resident memory: sampling it, sizes relative to the memory available, and
 * how soon to sample again. */
#ifndef LIBGUARD_MEMORY_H
#define LIBGUARD_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "options.h"

/* Resident bytes of this process (/proc/self/statm), or 0 if unreadable
 * (said once in the log). */
uint64_t lg_memory_resident(void);
/* After fork: the kept descriptor names the parent; open ours. */
void lg_memory_forget(void);

/* The memory a share ("50%") is taken of: the cgroup limit of this process
 * (v2 memory.max, else v1 memory.limit_in_bytes), else MemTotal.  `source`
 * says which.  0 when none can be read. */
uint64_t lg_memory_available(const char **source);
/* Parse a cgroup limit file's content ("max", a number): 0 for no limit. */
uint64_t lg_memory_parse_cgroup_limit(const char *text);
/* Resolve a size to bytes; NULL on success, else why not. */
const char *lg_memory_resolve(const struct lg_size *size, uint64_t *bytes);

/* How long until the next sample, given the smallest headroom (bytes under
 * a limit; 0 when over), the growth observed, and the longest interval. */
uint64_t lg_memory_next_delay(uint64_t headroom, double bytes_per_ns,
                              uint64_t interval_ns);

#endif
