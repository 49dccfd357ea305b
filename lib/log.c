/* Logging.  Lines are formatted on the stack and written with one write(2),
 * so lines from several processes sharing a file do not interleave; a file
 * is opened for each line (steps are rare) so no descriptor lives in the
 * program.  Every write goes through output.c: it never waits, and a line
 * that cannot be written now is dropped. */
#include "config.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "options.h"
#include "output.h"
#include "startdata.h"

static int log_kind LG_START_DATA = LG_LOG_STDERR;
static char log_path[LG_PATH_MAX];
static char status_path[LG_PATH_MAX];
static bool status_on LG_START_DATA; /* status_path is set */
/* The Python package reports through Python's logging instead: lines are
 * dropped (lg_log_hold). */
static _Atomic bool held;

void lg_log_configure(int kind, const char *path)
{
    log_kind = kind;
    if (path)
        lg_copy_string(log_path, sizeof log_path, path);
}

void lg_log_hold(void)
{
    atomic_store(&held, true);
}

void lg_status_configure(const char *path)
{
    status_on = path && path[0];
    if (status_on)
        lg_copy_string(status_path, sizeof status_path, path);
}

static void write_lines(const char *text, size_t len)
{
    static _Atomic bool said_lost;
    if (log_kind == LG_LOG_FILE) {
        if (lg_output_append(log_path, text, len) < 0)
            lg_output_lost(&said_lost, "LIBGUARD_LOG", log_path, errno);
    } else if (log_kind == LG_LOG_STDERR) {
        lg_output_stderr(text, len);
    }
}

/* "libguard[PID]: " */
static size_t prefix(char *buf, size_t size)
{
    int n = snprintf(buf, size, "libguard[%d]: ", (int)getpid());
    return n > 0 ? (size_t)n : 0;
}

void lg_log(const char *fmt, ...)
{
    if (!lg_log_enabled())
        return;
    int saved_errno = errno;
    char line[1024];
    size_t n = prefix(line, sizeof line);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - n - 1, fmt, ap);
    va_end(ap);
    size_t len = n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof line - 2)
        len = sizeof line - 2;
    line[len++] = '\n';
    write_lines(line, len);
    errno = saved_errno;
}

void lg_log_batch_line(struct lg_log_batch *b, const char *text, size_t len)
{
    char head[32];
    size_t n = prefix(head, sizeof head);
    if (len > sizeof b->buf - n - 1)
        len = sizeof b->buf - n - 1;
    if (b->used + n + len + 1 > sizeof b->buf)
        lg_log_batch_flush(b);
    memcpy(b->buf + b->used, head, n);
    memcpy(b->buf + b->used + n, text, len);
    b->used += n + len;
    b->buf[b->used++] = '\n';
}

void lg_log_batch_flush(struct lg_log_batch *b)
{
    if (b->used && log_kind != LG_LOG_NONE) {
        int saved_errno = errno;
        write_lines(b->buf, b->used);
        errno = saved_errno;
    }
    b->used = 0;
}

bool lg_log_enabled(void)
{
    return log_kind != LG_LOG_NONE && !atomic_load_explicit(&held, memory_order_relaxed);
}

void lg_status_note(enum lg_status_event event)
{
    if (!status_on)
        return;
    char line[32];
    size_t n = lg_status_line(event, getpid(), line, sizeof line);
    /* The wrapper's own file, which it made and removes when the command
     * ends: a process the command left running must not make it again. */
    lg_output_append_existing(status_path, line, n);
}
