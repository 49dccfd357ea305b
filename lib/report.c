/* The exit report.  One line, written with one write(2) on an O_APPEND
 * descriptor, so lines of processes sharing the file never interleave:
 *
 * {"pid":42,"argv":["python3","job.py"],"start":1764083000.123,"wall_s":12.5,
 *  "peak_rss_bytes":1048576,"limits":{...},"steps":[{"t_s":10.0,"guard":"time",
 *  "step":1,"action":"ExecutionTimeout"}],"ended":{"how":"exit","status":0}}
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

struct out { char *buf; size_t size, used; };

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
    if (o->used >= o->size)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->buf + o->used, o->size - o->used, fmt, ap);
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

static void put_string(struct out *o, const char *s, size_t len)
{
    put(o, "\"");
    for (size_t i = 0, took; i < len; i += took) {
        char c[6];
        size_t n = json_char((const unsigned char *)s + i, len - i, c, &took);
        put(o, "%.*s", (int)n, c);
    }
    put(o, "\"");
}

static void put_argv(struct out *o)
{
    char args[2048];
    ssize_t n = lg_read_own_text("/proc/self/cmdline", args, sizeof args);
    put(o, "[");
    for (ssize_t at = 0; at < n;) {
        size_t len = strnlen(args + at, (size_t)(n - at));
        put(o, at ? "," : "");
        put_string(o, args + at, len);
        at += (ssize_t)len + 1;
    }
    put(o, "]");
}

static void write_report(const char *ended)
{
    if (!reporting || atomic_exchange(&written, true))
        return;
    char buf[8192];
    struct out o = { buf, sizeof buf - 2, 0 };
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    put(&o, "{\"pid\":%d,\"argv\":", (int)getpid());
    put_argv(&o);
    put(&o, ",\"start\":%.3f,\"wall_s\":%.3f,\"peak_rss_bytes\":%llu,\"limits\":%s,\"steps\":[",
        start_epoch, (lg_now() - start_ns) / 1e9, (unsigned long long)ru.ru_maxrss * 1024, limits);
    int count = atomic_load(&step_count);
    for (int i = 0; i < count; i++)
        put(&o, "%s{\"t_s\":%.3f,\"guard\":\"%s\",\"step\":%d,\"action\":\"%s\"}", i ? "," : "",
            (steps[i].at_ns - start_ns) / 1e9, steps[i].kind == LG_KIND_TIME ? "time" : "memory",
            steps[i].step, steps[i].action);
    put(&o, "]");
    int omitted = atomic_load(&steps_omitted);
    if (omitted)
        put(&o, ",\"steps_omitted\":%d", omitted);
    put(&o, ",\"ended\":%s}\n", ended);
    if (o.used >= o.size) { /* cut: close the line rather than write broken JSON */
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
