/* Writing without waiting, and never into the program's data.
 *
 * libguard writes from the watchdog (steps, stacks) and from the program's
 * threads at start and exit (settings errors, the report).  None of it may
 * keep a step from firing or a program from ending, whoever reads the other
 * end, and none of it may land in a file the program writes its data to.
 *
 * stderr.  At start we note which file fd 2 is (device and inode), or that it
 * is closed.  Each write first takes a private duplicate of fd 2, checks that
 * it is still that file, and writes through the duplicate: the check and the
 * write see the same file, even if the program closes fd 2 meanwhile.  So a
 * program started with stderr closed (`prog 2>&-`), whose first open() takes
 * fd 2 for its data, gets none of our lines there.  We keep no descriptor of
 * our own between writes: a long-lived duplicate made at start would keep a
 * pipe's write end open after the program closed its stderr (whoever reads it
 * would wait for an end of file that never comes), and a program that closes
 * every descriptor above 2 would close it and let its number be reused.
 *
 * Never waiting.  O_NONBLOCK cannot be set on the program's descriptor: the
 * open file description is shared, so the program's own writes would start
 * failing with EAGAIN.  Pipes, FIFOs and terminals are therefore written
 * through a description of our own, opened with O_NONBLOCK through
 * /proc/self/fd.  Regular files (and /dev/null) are written through the
 * program's description: its offset must move past our line, or the
 * program's next write would overwrite it; such writes wait for no reader.
 * Sockets get send() with MSG_DONTWAIT.  Files named by settings are opened
 * for each write with O_NONBLOCK: a FIFO with no reader is ENXIO, not a wait.
 * What cannot be written now is dropped. */
#include "config.h"
#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "activity.h"
#include "options.h"
#include "startdata.h"

static struct {
    bool open;
    dev_t dev;
    ino_t ino;
} original LG_START_DATA;

/* Before the other constructors of the library, which may log. */
__attribute__((constructor(102))) static void note_stderr(void)
{
    struct stat st;
    original.open = fstat(STDERR_FILENO, &st) == 0;
    if (original.open) {
        original.dev = st.st_dev;
        original.ino = st.st_ino;
    }
}

/* Our bytes are not the program's activity (LIBGUARD_PROGRESS=output, io). */
static ssize_t counted(ssize_t n)
{
    if (n > 0)
        atomic_fetch_add(&lg_own_written_bytes, (uint64_t)n);
    return n;
}

static ssize_t close_keeping_errno(int fd, ssize_t result)
{
    int saved = errno;
    close(fd);
    errno = saved;
    return result;
}

/* write(2) that raises no SIGPIPE: a pipe whose reader has gone answers
 * EPIPE and sends SIGPIPE to the writing thread, which ends a program that
 * keeps its default action (a C program writing our line at start or exit;
 * the watchdog blocks it anyway).  Reopening an anonymous pipe through /proc
 * succeeds with no reader: only a named FIFO says ENXIO.  So SIGPIPE is
 * blocked in this thread for the write, and the one the write raised taken
 * back; one already pending is the program's and stays. */
static ssize_t write_no_sigpipe(int fd, const void *buf, size_t len)
{
    sigset_t pipe_only, old, pending;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
    bool was_pending = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE);
    ssize_t n = write(fd, buf, len);
    if (n < 0 && errno == EPIPE && !was_pending) {
        static const struct timespec now = { 0, 0 };
        sigtimedwait(&pipe_only, NULL, &now);
        errno = EPIPE;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return n;
}

/* st describes fd: a duplicate of ours, or fd 2 itself when the program
 * left no descriptor free for a duplicate (then nothing else is opened). */
static ssize_t write_now(int fd, const struct stat *st, const void *buf, size_t len)
{
    if (S_ISSOCK(st->st_mode))
        return send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (!S_ISFIFO(st->st_mode) && !(S_ISCHR(st->st_mode) && isatty(fd)))
        return write(fd, buf, len);
    if (fd != STDERR_FILENO) {
        char self[32];
        snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
        int own = open(self, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (own >= 0)
            return close_keeping_errno(own, write_no_sigpipe(own, buf, len));
        if (errno == ENXIO)
            return -1; /* a named FIFO nobody reads any more */
    }
    /* No descriptor to spare, no /proc, or the pipe belongs to another user:
     * write only what fits now.  A pipe with any free buffer takes PIPE_BUF
     * bytes at once. */
    struct pollfd p = { .fd = fd, .events = POLLOUT };
    if (poll(&p, 1, 0) != 1 || (p.revents & (POLLERR | POLLHUP | POLLNVAL))
        || !(p.revents & POLLOUT)) {
        errno = EAGAIN;
        return -1;
    }
    return write_no_sigpipe(fd, buf, len < PIPE_BUF ? len : PIPE_BUF);
}

ssize_t lg_output_stderr(const void *buf, size_t len)
{
    if (!original.open) {
        errno = EBADF;
        return -1;
    }
    struct stat st;
    int fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
    if (fd < 0) {
        if (errno != EMFILE && errno != ENFILE)
            return -1;
        /* Every descriptor taken (RLIMIT_NOFILE): fd 2 itself, checked just
         * before; a program that swaps it in between is not guarded against. */
        if (fstat(STDERR_FILENO, &st) != 0 || st.st_dev != original.dev
            || st.st_ino != original.ino) {
            errno = EBADF;
            return -1;
        }
        return counted(write_now(STDERR_FILENO, &st, buf, len));
    }
    if (fstat(fd, &st) != 0 || st.st_dev != original.dev || st.st_ino != original.ino) {
        errno = EBADF; /* another file has taken fd 2: not ours to write to */
        return close_keeping_errno(fd, -1);
    }
    return close_keeping_errno(fd, counted(write_now(fd, &st, buf, len)));
}

static ssize_t append(const char *path, int create, const void *buf, size_t len)
{
    int fd = open(path, O_WRONLY | O_APPEND | create | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0644);
    if (fd < 0)
        return -1;
    ssize_t n = counted(write_no_sigpipe(fd, buf, len)); /* a FIFO may lose its reader */
    if (n >= 0 && (size_t)n < len) {
        n = -1; /* a FIFO took part of it */
        errno = EAGAIN;
    }
    return close_keeping_errno(fd, n);
}

ssize_t lg_output_append(const char *path, const void *buf, size_t len)
{
    return append(path, O_CREAT, buf, len);
}

ssize_t lg_output_append_existing(const char *path, const void *buf, size_t len)
{
    return append(path, 0, buf, len);
}

static const char *reason(int err, const char *path)
{
    struct stat st;
    switch (err) {
    case ENXIO:
        if (stat(path, &st) != 0)
            return strerror(err);
        if (S_ISFIFO(st.st_mode))
            return "a FIFO with no reader";
        if (S_ISSOCK(st.st_mode))
            return "a socket, which cannot be opened";
        if (S_ISCHR(st.st_mode) && strcmp(path, "/dev/tty") == 0)
            return "the process has no controlling terminal";
        return strerror(err);
    case EAGAIN: return "its reader does not keep up";
    case EISDIR: return "it is a directory";
    default: return strerror(err);
    }
}

/* Why `path` cannot be appended to, or NULL.  Nothing is created: a missing
 * file is fine when its directory lets us create it.  A zero-byte write
 * finds devices that refuse every write (/dev/full, most of /proc). */
static const char *check_path(const char *path, char *why, size_t size)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd >= 0) {
        ssize_t n = write(fd, "", 0);
        int err = errno;
        close(fd);
        if (n == 0)
            return NULL;
        snprintf(why, size, "%s", strerror(err));
        return why;
    }
    int err = errno;
    struct stat st;
    if (err == ENXIO && stat(path, &st) == 0 && S_ISFIFO(st.st_mode))
        return NULL; /* a FIFO whose reader has not come yet: its lines wait for none */
    if (err != ENOENT) {
        snprintf(why, size, "%s", reason(err, path));
        return why;
    }
    char dir[LG_PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else
        snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        snprintf(why, size, "directory %s does not exist", dir);
    else if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) != 0)
        snprintf(why, size, "cannot create a file in %s (%s)", dir, strerror(errno));
    else
        return NULL;
    return why;
}

/* 1 and a line in `errors` if `path` cannot be written, else 0.  Its own
 * frame: 4 KiB of stack that a process with no such path never touches
 * (each page of it is a page fault). */
static __attribute__((noinline)) int check_one(const char *variable, const char *path,
                                               char *errors, size_t size)
{
    char why[LG_PATH_MAX + 64], quoted[256];
    if (!check_path(path, why, sizeof why))
        return 0;
    size_t used = strlen(errors);
    snprintf(errors + used, size > used ? size - used : 0,
             "libguard: %s='%s' cannot be written: %s (name a file libguard can append to)\n",
             variable, lg_quote(path, quoted, sizeof quoted), why);
    return 1;
}

int lg_output_check_paths(const struct lg_settings *s, char *errors, size_t size)
{
    int count = 0;
    if (s->log == LG_LOG_FILE && s->log_path[0])
        count += check_one("LIBGUARD_LOG", s->log_path, errors, size);
    if (lg_settings_given(s, LG_OPT_REPORT) && s->report_path[0])
        count += check_one("LIBGUARD_REPORT", s->report_path, errors, size);
    return count;
}

void lg_output_lost(_Atomic bool *said, const char *variable, const char *path, int err)
{
    if (atomic_exchange(said, true))
        return;
    char line[LG_PATH_MAX + 256], quoted[256];
    int n = snprintf(line, sizeof line,
                     "libguard[%d]: cannot write to %s='%s' (%s): what cannot be written "
                     "there is lost (said once)\n",
                     (int)getpid(), variable, lg_quote(path, quoted, sizeof quoted), reason(err, path));
    if (n > 0)
        lg_output_stderr(line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}
