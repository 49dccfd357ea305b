/* Progress for programs that cannot call guard_progress() (LIBGUARD_PROGRESS):
 * a counter of their activity, sampled by the watchdog, never by interposing
 * on the program's calls.  A change counts as progress. */
#ifndef LIBGUARD_ACTIVITY_H
#define LIBGUARD_ACTIVITY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* What counts (enum lg_progress_kind) and, for LG_PROGRESS_FILE, the path
 * (NULL for the others). */
void lg_activity_configure(int kind, const char *path);

/* The current value of the activity counter: bytes read and written (io),
 * bytes written (output), or the file's size and modification time (file),
 * less libguard's own reads and writes. */
uint64_t lg_activity_read(void);

/* libguard's own I/O, which must not count as the program's. */
extern _Atomic uint64_t lg_own_read_bytes, lg_own_written_bytes;

/* lg_read_file (procfile.h), counting the bytes as libguard's own reads:
 * the whole text, or its first line without the newline (false when it
 * cannot be read or is empty).  For the watchdog: never blocks on the
 * program. */
ssize_t lg_read_own_text(const char *path, char *buf, size_t size);
bool lg_read_own(const char *path, char *buf, size_t size);

#endif
