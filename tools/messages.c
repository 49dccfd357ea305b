/* guard's messages: its own lines ("guard: ...", on stderr) and the lines it
 * logs as the shim does (where LIBGUARD_LOG says). */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "guard.h"

static const char *program = "guard";

/* SIGPIPE as guard found it: the command gets it back. */
static struct sigaction inherited_sigpipe;

void messages_ignore_sigpipe(void)
{
    /* A closed stderr (guard -v 2>&1 | head -1) must not kill the
     * supervisor: its writes fail with EPIPE instead. */
    struct sigaction ignore = { .sa_handler = SIG_IGN };
    sigemptyset(&ignore.sa_mask);
    sigaction(SIGPIPE, &ignore, &inherited_sigpipe);
}

void messages_restore_sigpipe(void)
{
    sigaction(SIGPIPE, &inherited_sigpipe, NULL);
}

/* One line, "PREFIX: message\n", formatted into `line` (cut to fit);
 * returns its length.  say() and note() differ only in prefix and place. */
static size_t format_line(char *line, size_t size, const char *prefix,
                          const char *fmt, va_list ap)
{
    int n = snprintf(line, size, "%s: ", prefix);
    int m = vsnprintf(line + n, size - (size_t)n - 1, fmt, ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > size - 2)
        len = size - 2;
    line[len++] = '\n';
    return len;
}

void say(const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    size_t len = format_line(line, sizeof line, program, fmt, ap);
    va_end(ap);
    ssize_t unused = write(STDERR_FILENO, line, len);
    (void)unused;
}

void fail(const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    say("%s", line);
    cleanup_status_file();
    exit(STATUS_FAILED);
}

void note(const char *fmt, ...)
{
    if (eff.log == LG_LOG_NONE)
        return;
    char line[1024], prefix[64];
    snprintf(prefix, sizeof prefix, "%s[%d]", program, (int)getpid());
    va_list ap;
    va_start(ap, fmt);
    size_t len = format_line(line, sizeof line, prefix, fmt, ap);
    va_end(ap);
    int fd = STDERR_FILENO;
    if (eff.log == LG_LOG_FILE)
        fd = open(eff.log_path, O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0644);
    if (fd < 0)
        return;
    ssize_t unused = write(fd, line, len);
    (void)unused;
    if (fd != STDERR_FILENO)
        close(fd);
}

void cleanup_status_file(void)
{
    if (status_path[0])
        unlink(status_path);
    status_path[0] = '\0';
}
