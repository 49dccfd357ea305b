/* The status file: how the guard command learns what the shim did inside
 * its command.  guard creates a private file and names it in
 * LIBGUARD_STATUS_FILE; the shim appends one line per event (log.c writes
 * them, through output.c), guard reads them (tools/handshake.c):
 *
 *   started PID   the shim armed in process PID (it got in)
 *   skipped PID   the shim was in PID, but --only-cmds/--skip-cmds left it out
 *   time          a step of the time guard fired
 *   memory        a step of the memory guard fired
 */
#ifndef LIBGUARD_STATUS_H
#define LIBGUARD_STATUS_H

#include <stddef.h>
#include <sys/types.h>

enum lg_status_event {
    LG_STATUS_STARTED = 1, LG_STATUS_SKIPPED, LG_STATUS_TIME, LG_STATUS_MEMORY,
};

/* The line of `event` (with `pid` for STARTED and SKIPPED), newline
 * included, into `buf`; returns its length. */
size_t lg_status_line(enum lg_status_event event, pid_t pid, char *buf, size_t size);

/* What the file says of process `pid`. */
struct lg_status {
    int started;  /* how many times the shim armed in it */
    int skipped;  /* how many times it was in it but left it out */
    int last;     /* 0, LG_STATUS_TIME or LG_STATUS_MEMORY: the guard that fired last */
    int steps;    /* steps fired, of either guard */
};

/* Add what one line says (without its newline) to `s`. */
void lg_status_parse_line(const char *line, pid_t pid, struct lg_status *s);
/* Read the file at `path`: all zero when it cannot be read. */
struct lg_status lg_status_read(const char *path, pid_t pid);

#endif
