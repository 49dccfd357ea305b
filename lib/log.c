/* Logging.  Lines are formatted on the stack and written with one write(2),
 * so lines from several processes sharing a file do not interleave; a file
 * is opened for each line (steps are rare) so no descriptor lives in the
 * program. */
#include "config.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "activity.h"
#include "options.h"

static int log_kind = LG_LOG_STDERR;
static char log_path[LG_PATH_MAX];
static char status_path[LG_PATH_MAX];
/* The Python package reports through Python's logging instead: lines are
 * dropped (lg_log_hold). */
static _Atomic bool held;

void lg_log_configure(int kind, const char *path)
{
    log_kind = kind;
    if (path)
        snprintf(log_path, sizeof log_path, "%s", path);
}

void lg_log_hold(void)
{
    atomic_store(&held, true);
}

void lg_status_configure(const char *path)
{
    snprintf(status_path, sizeof status_path, "%s", path ? path : "");
}

static void append_line(const char *path, const char *line, size_t len)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
    if (fd < 0)
        return;
    ssize_t n = write(fd, line, len);
    if (n > 0)
        atomic_fetch_add(&lg_own_written_bytes, (uint64_t)n);
    close(fd);
}

void lg_log(const char *fmt, ...)
{
    if (!lg_log_enabled())
        return;
    int saved_errno = errno;
    char line[1024];
    int n = snprintf(line, sizeof line, "libguard[%d]: ", (int)getpid());
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof line - 2)
        len = sizeof line - 2;
    line[len++] = '\n';
    if (log_kind == LG_LOG_FILE) {
        append_line(log_path, line, len);
    } else {
        ssize_t n = write(STDERR_FILENO, line, len);
        if (n > 0)
            atomic_fetch_add(&lg_own_written_bytes, (uint64_t)n);
    }
    errno = saved_errno;
}

bool lg_log_enabled(void)
{
    return log_kind != LG_LOG_NONE && !atomic_load_explicit(&held, memory_order_relaxed);
}

void lg_status_note(const char *what)
{
    if (!status_path[0])
        return;
    char line[32];
    int n = snprintf(line, sizeof line, "%s\n", what);
    append_line(status_path, line, (size_t)n);
}
