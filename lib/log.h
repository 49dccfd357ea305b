/* Where libguard says what it does: one line per event, "libguard[PID]: ...",
 * on stderr, into a file, or nowhere (LIBGUARD_LOG). */
#ifndef LIBGUARD_LOG_H
#define LIBGUARD_LOG_H

#include <stdbool.h>
#include <stddef.h>

#include "status.h"

/* Where the log goes (enum lg_log_kind) and, for LG_LOG_FILE, the path
 * (NULL for the others). */
void lg_log_configure(int kind, const char *path);
void lg_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Many lines written together, a few per write (a stack dump): each line gets
 * the prefix; a batch is at most PIPE_BUF bytes, so a pipe takes it whole. */
struct lg_log_batch { char buf[4096]; size_t used; };
void lg_log_batch_line(struct lg_log_batch *b, const char *text, size_t len);
void lg_log_batch_flush(struct lg_log_batch *b);
/* From now on write no line: the Python package reports the steps itself
 * (libguard_package_attach, package.c). */
void lg_log_hold(void);
/* False with LIBGUARD_LOG=none or held: skip work whose only result is log
 * lines. */
bool lg_log_enabled(void);
/* The guard wrapper's status file (LIBGUARD_STATUS_FILE; its lines are
 * status.h's): where to append (NULL or "": none), and one event of this
 * process. */
void lg_status_configure(const char *path);
void lg_status_note(enum lg_status_event event);

#endif
