/* Reading the small files of /proc and /sys (status, statm, io, cgroup
 * limits): one open, reads until the buffer is full or the file ends, one
 * close.  Shared by the library and the guard command.  Allocates nothing,
 * takes no lock: safe in the watchdog and in a freshly forked child. */
#ifndef LIBGUARD_PROCFILE_H
#define LIBGUARD_PROCFILE_H

#include <sys/types.h>

/* Up to size - 1 bytes of the file at path into buf, NUL-terminated.
 * Returns how many bytes were read (> 0), or -1 when the file cannot be
 * opened or is empty (buf is then ""). */
ssize_t lg_read_file(const char *path, char *buf, size_t size);

#endif
