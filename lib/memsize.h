/* Memory sizes read from the system: what a share ("50%") is taken of, and
 * a process's resident size.  Shared by the library and the guard command
 * (which runs in its command's cgroup, so both see the same limit). */
#ifndef LIBGUARD_MEMSIZE_H
#define LIBGUARD_MEMSIZE_H

#include <stdint.h>
#include <sys/types.h>

#include "units.h"

/* The memory a share is taken of: the cgroup limit of this process (v2
 * memory.max, else v1 memory.limit_in_bytes), else MemTotal.  `source`
 * says which.  0 when none can be read. */
uint64_t lg_memory_available(const char **source);
/* Parse a cgroup limit file's content ("max", a number): 0 for no limit. */
uint64_t lg_memory_parse_cgroup_limit(const char *text);
/* Resolve a size to bytes; NULL on success, else why not ("is a share,
 * but ..."), to follow the setting's name. */
const char *lg_memory_resolve(const struct lg_size *size, uint64_t *bytes);

/* The resident bytes in a statm file's content ("size resident ..."), 0
 * when it cannot be read. */
uint64_t lg_memory_parse_statm(const char *text);
/* Resident bytes of process `pid` (/proc/PID/statm), 0 if unreadable. */
uint64_t lg_memory_resident_of(pid_t pid);

#endif
