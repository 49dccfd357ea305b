/* The exit report.  One line, written with one write(2) on an O_APPEND
 * descriptor, so lines of processes sharing the file never interleave:
 *
 * {"pid":42,"argv":["python3","job.py"],"argc":2,"start":1764083000.123,"wall_s":12.5,
 *  "peak_rss_bytes":1048576,"limits":{...},"steps":[{"t_s":10.0,"guard":"time",
 *  "step":1,"action":"ExecutionTimeout"}],"ended":{"how":"exit","status":0}}
 *
 * At most REPORT_MAX bytes: when the argv does not fit, the arguments that
 * do are listed (the last maybe cut short, between two characters), "argc"
 * counts them all and "argv_truncated":true is added.
 *
 * Only the first MAX_STEPS steps are kept (a fixed array: no malloc at a
 * step or at exit); "steps_omitted":N, when N > 0, counts the rest.
 */
#include "config.h"
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "activity.h"
#include "clock.h"
#include "options.h"
#include "output.h"
#include "registry.h"
#include "startdata.h"

#define MAX_STEPS 32

struct step { uint64_t at_ns; int kind, step; char action[24]; };

static char path[LG_PATH_MAX];
static bool reporting LG_START_DATA; /* path[0] != 0, read at every exit */
static char limits[512];
static uint64_t start_ns;
static double start_epoch;
static struct step steps[MAX_STEPS];
static _Atomic int step_count;
static _Atomic int steps_omitted; /* fired after the first MAX_STEPS */
static _Atomic bool written;

void lg_report_configure(const struct lg_settings *s, uint64_t max_bytes)
{
    /* Its path read only when given: 4 KiB of its own (options.h). */
    reporting = lg_settings_given(s, LG_OPT_REPORT) && s->report_path[0];
    if (!reporting)
        return; /* no report: spare every process (and forked child) the formatting */
    lg_copy_string(path, sizeof path, s->report_path);
    atomic_store(&step_count, 0);
    atomic_store(&steps_omitted, 0);
    atomic_store(&written, false);
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    start_epoch = (double)wall.tv_sec + wall.tv_nsec / 1e9;
    start_ns = lg_now();
    snprintf(limits, sizeof limits,
             "{\"timeout_s\":%.3f,\"grace_period_s\":%.3f,\"max_memory_bytes\":%llu,"
             "\"memory_grace_period_s\":%.3f,\"memory_secondary_grace_period_s\":%.3f,"
             "\"interrupt\":\"%s\",\"send_kill\":%s,\"dry_run\":%s}",
             s->timeout_ns / 1e9, s->grace_ns / 1e9, (unsigned long long)max_bytes,
             s->memory_grace_ns / 1e9, s->memory_secondary_grace_ns / 1e9,
             lg_interrupt_name(s->interrupt), s->send_kill ? "true" : "false",
             s->dry_run ? "true" : "false");
}

void lg_report_step(int kind, int step, const char *action)
{
    if (!reporting)
        return;
    int i = atomic_load(&step_count);
    if (i >= MAX_STEPS) {
        atomic_fetch_add(&steps_omitted, 1);
        return;
    }
    steps[i].at_ns = lg_now();
    steps[i].kind = kind;
    steps[i].step = step;
    snprintf(steps[i].action, sizeof steps[i].action, "%s", action);
    atomic_store(&step_count, i + 1);
}

/* With buf NULL and size SIZE_MAX, put() only counts: to measure. */
struct out { char *buf; size_t size, used; };

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
    if (o->used >= o->size)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->buf ? o->buf + o->used : NULL, o->buf ? o->size - o->used : 0, fmt, ap);
    va_end(ap);
    o->used += n > 0 ? (size_t)n : 0;
    if (o->used > o->size)
        o->used = o->size;
}

/* The length of the UTF-8 character at s (1 to 4), 0 if s does not start
 * one (a stray byte, an overlong form, a surrogate, past U+10FFFF), or -1
 * if `avail` ends inside a character that is valid so far. */
static int utf8_length(const unsigned char *s, size_t avail)
{
    unsigned char c = s[0], lo = 0x80, hi = 0xbf; /* the second byte's range */
    int len;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        if (c == 0xe0)
            lo = 0xa0; /* below: overlong */
        if (c == 0xed)
            hi = 0x9f; /* above: a surrogate */
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        if (c == 0xf0)
            lo = 0x90; /* below: overlong */
        if (c == 0xf4)
            hi = 0x8f; /* above: past U+10FFFF */
    } else {
        return 0; /* a continuation byte, or a lead that is always overlong or too high */
    }
    for (int i = 1; i < len; i++, lo = 0x80, hi = 0xbf) {
        if ((size_t)i >= avail)
            return -1;
        if (s[i] < lo || s[i] > hi)
            return 0;
    }
    return len;
}

/* The character at s (`avail` bytes on) as JSON string text, at most 6
 * bytes into `to`; *took is how many bytes of s it stands for.  UTF-8 is
 * copied as it is; a byte that is not (argv may hold any) becomes U+FFFD,
 * so that the line stays valid UTF-8 JSON. */
static size_t json_char(const unsigned char *s, size_t avail, char *to, size_t *took)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char c = s[0];
    *took = 1;
    if (c == '"' || c == '\\') {
        to[0] = '\\';
        to[1] = (char)c;
        return 2;
    }
    if (c < 0x20 || c == 0x7f) {
        memcpy(to, "\\u00", 4);
        to[4] = hex[c >> 4];
        to[5] = hex[c & 15];
        return 6;
    }
    int len = utf8_length(s, avail);
    if (len <= 0) {
        memcpy(to, "\\ufffd", 6);
        return 6;
    }
    memcpy(to, s, (size_t)len);
    *took = (size_t)len;
    return (size_t)len;
}

/* The argv, read from /proc/self/cmdline (each argument ends with a NUL)
 * through a small buffer, so that all are counted however long; they are
 * listed while they fit before `limit`, the last one listed may be cut. */
struct args {
    struct out *o;
    size_t limit;
    unsigned long long argc; /* arguments ended so far */
    bool in_arg, open, full; /* open: listing the current one; full: no more */
};

static bool fits(const struct args *a, size_t n)
{
    return a->o->used + n + 1 <= a->limit; /* + 1: the closing quote */
}

static void append(struct out *o, const char *s, size_t n)
{
    memcpy(o->buf + o->used, s, n);
    o->used += n;
}

static void begin_arg(struct args *a)
{
    a->in_arg = true;
    size_t n = a->argc ? 2 : 1;
    if (!a->full && fits(a, n)) {
        append(a->o, a->argc ? ",\"" : "\"", n);
        a->open = true;
    } else {
        a->full = true;
    }
}

static void end_arg(struct args *a)
{
    if (a->open)
        append(a->o, "\"", 1);
    a->open = a->in_arg = false;
    a->argc++;
}

/* Lists or counts the n bytes at s, but for a character that the next read
 * may complete (unless at_end); returns how many bytes it took. */
static size_t take_args(struct args *a, const unsigned char *s, size_t n, bool at_end)
{
    size_t i = 0, took;
    for (; i < n; i += took) {
        took = 1;
        if (!a->in_arg)
            begin_arg(a);
        if (s[i] == '\0') {
            end_arg(a);
            continue;
        }
        if (!a->open)
            continue; /* past the limit: only counting */
        if (!at_end && utf8_length(s + i, n - i) < 0)
            break;
        char c[6];
        size_t len = json_char(s + i, n - i, c, &took);
        if (fits(a, len)) {
            append(a->o, c, len);
        } else { /* cut here, between two characters */
            append(a->o, "\"", 1);
            a->open = false;
            a->full = true;
        }
    }
    return i;
}

static void put_argv(struct out *o, size_t limit)
{
    struct args a = { .o = o, .limit = limit };
    put(o, "[");
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    char chunk[2048];
    size_t have = 0;
    for (bool at_end = fd < 0; !at_end;) {
        ssize_t n = read(fd, chunk + have, sizeof chunk - have);
        if (n < 0 && errno == EINTR)
            continue;
        at_end = n <= 0;
        if (n > 0) {
            have += (size_t)n;
            atomic_fetch_add(&lg_own_read_bytes, (uint64_t)n); /* not the program's I/O */
        }
        size_t took = take_args(&a, (const unsigned char *)chunk, have, at_end);
        memmove(chunk, chunk + took, have - took); /* at most 3 bytes of a character */
        have -= took;
    }
    if (fd >= 0)
        close(fd);
    if (a.in_arg) /* the last argument lacks its NUL (the program rewrote its argv) */
        end_arg(&a);
    put(o, "],\"argc\":%llu%s", a.argc, a.full ? ",\"argv_truncated\":true" : "");
}
#define ARGV_END "],\"argc\":18446744073709551615,\"argv_truncated\":true"

/* The fields after argv, taken once: a step may come while they are put
 * twice (measured, then written). */
struct tail {
    double wall_s;
    unsigned long long peak_rss;
    int count, omitted;
    const char *ended;
};

static void put_tail(struct out *o, const struct tail *t)
{
    put(o, ",\"start\":%.3f,\"wall_s\":%.3f,\"peak_rss_bytes\":%llu,\"limits\":%s,\"steps\":[",
        start_epoch, t->wall_s, t->peak_rss, limits);
    for (int i = 0; i < t->count; i++)
        put(o, "%s{\"t_s\":%.3f,\"guard\":\"%s\",\"step\":%d,\"action\":\"%s\"}", i ? "," : "",
            (steps[i].at_ns - start_ns) / 1e9, steps[i].kind == LG_KIND_TIME ? "time" : "memory",
            steps[i].step, steps[i].action);
    put(o, "]");
    if (t->omitted)
        put(o, ",\"steps_omitted\":%d", t->omitted);
    put(o, ",\"ended\":%s}\n", t->ended);
}

/* A step takes under 128 bytes (its action is 23 at most), the rest but
 * argv under 512 with the limits: whatever the argv, they fit, and leave
 * it 2 KiB at least. */
#define REPORT_MAX 8192
_Static_assert(sizeof limits + MAX_STEPS * 128 + 512 <= REPORT_MAX - 2048, "report fields fit");

static void write_report(const char *ended)
{
    if (!reporting || atomic_exchange(&written, true))
        return;
    char buf[REPORT_MAX];
    struct out o = { buf, sizeof buf - 2, 0 };
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    int count = atomic_load(&step_count);
    struct tail t = { (lg_now() - start_ns) / 1e9, (unsigned long long)ru.ru_maxrss * 1024,
                      count, atomic_load(&steps_omitted), ended };
    struct out measure = { NULL, SIZE_MAX, 0 };
    put_tail(&measure, &t);
    put(&o, "{\"pid\":%d,\"argv\":", (int)getpid());
    /* argv gets the room the others leave: it is what gets shortened. */
    size_t keep = measure.used + sizeof ARGV_END;
    put_argv(&o, o.size > o.used + keep ? o.size - keep : o.used);
    put_tail(&o, &t);
    if (o.used >= o.size) { /* not expected (see REPORT_MAX): close the line all the same */
        o.used = 0;
        put(&o, "{\"pid\":%d,\"error\":\"report too long\"}\n", (int)getpid());
    }
    /* Written by the thread that exits: a FIFO nobody reads must not keep
     * the program from ending. */
    static _Atomic bool said_lost;
    if (lg_output_append(path, buf, o.used) < 0)
        lg_output_lost(&said_lost, "LIBGUARD_REPORT", path, errno);
}

void lg_report_exit(int status)
{
    if (!reporting)
        return; /* every process that loads libguard exits through here */
    char ended[64];
    snprintf(ended, sizeof ended, "{\"how\":\"exit\",\"status\":%d}", status);
    write_report(ended);
}

void lg_report_signal(int signo)
{
    char ended[64], name[32];
    snprintf(ended, sizeof ended, "{\"how\":\"signal\",\"signal\":\"%s\"}",
             lg_signal_name(signo, name, sizeof name));
    write_report(ended);
}
