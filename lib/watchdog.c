/* The watchdog thread.
 *
 * It sleeps on a futex until the earliest deadline of the armed guards: a
 * time guard costs about one wake-up per timeout period, however often the
 * program reports progress, because progress is only a timestamp that the
 * watchdog reads when it wakes.  Memory guards add samples of the resident
 * size, sooner as it nears a limit.  It blocks every signal, owns no lock the
 * program can hold, and never waits for the program. */
#include "config.h"
#include "watchdog.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "activity.h"
#include "children.h"
#include "clock.h"
#include "startdata.h"
#include "escalation.h"
#include "ladder.h"
#include "lastthread.h"
#include "log.h"
#include "memory.h"
#include "options.h"
#include "registry.h"

_Atomic bool lg_exiting LG_START_DATA;
_Atomic uint64_t lg_watchdog_wakeups;

/* Incremented to wake the watchdog; it sleeps while the value is unchanged. */
static _Atomic uint32_t wake_word;
/* When the watchdog will next look; LG_NEVER while it is awake (so whoever
 * arms a guard then wakes it again: it may have scanned past the guard). */
static _Atomic uint64_t sleep_until = LG_NEVER;
static _Atomic bool started LG_START_DATA;

/* The watchdog's own state for one slot. */
struct watch {
    uint32_t seq;            /* the incarnation of the slot this belongs to */
    struct lg_ladder_clock clock; /* steps fired, and since when it counts */
    uint64_t activity;       /* LIBGUARD_PROGRESS: the counter when last read */
    uint64_t activity_ns;    /* when it was read, 0: never */
    uint64_t active_ns;      /* when it was last seen to change */
    uint64_t waited_ns;      /* time: last seen waiting for a guarded child */
    bool waiting;            /* time: in such a wait when last looked at */
    uint64_t young_since;    /* time: step held for a child too young to tell */
    uint64_t looked_before;  /* time: the deadline already looked ahead of */
};
static struct watch watch[LG_MAX_GUARDS];

/* Memory samples, shared by every memory guard. */
static uint64_t sample_ns, sample_bytes, next_sample_ns;
static double growth_per_ns;

static uint64_t min64(uint64_t a, uint64_t b) { return a < b ? a : b; }

/* A quarter of a time guard's timeout (at least 10 ms): how often the
 * watchdog looks at what may count as progress without a report. */
static uint64_t quarter(const struct lg_desc *d)
{
    return d->timeout_ns / 4 > 10 * LG_NS_PER_MS ? d->timeout_ns / 4 : 10 * LG_NS_PER_MS;
}

/* LIBGUARD_PROGRESS: read the activity counter every quarter of the timeout,
 * so a program that stops is interrupted at most a quarter late.  A change
 * counts as progress at the time it is seen. */
static uint64_t check_activity(const struct lg_desc *d, struct watch *w, uint64_t now)
{
    uint64_t every = quarter(d);
    if (now >= w->activity_ns + every) {
        uint64_t value = lg_activity_read();
        if (w->activity_ns && value != w->activity)
            w->active_ns = now;
        w->activity = value;
        w->activity_ns = now;
    }
    return w->activity_ns + every;
}

/* A target blocked waiting for a guarded child (children.c) is not stuck:
 * the child's own guard watches it.  Asked only near a deadline, so it
 * costs nothing until then; during the wait the watchdog looks again every
 * quarter of the timeout (not a spin), and the wait counts as progress each
 * time it is seen, its end too: the clock restarts when the wait ends, at
 * most a quarter late, never early. */
static uint64_t recheck_wait(const struct lg_desc *d, struct watch *w, uint64_t now)
{
    uint64_t every = quarter(d);
    if (w->waiting && now >= w->waited_ns + every) {
        char call[32];
        w->waiting = lg_children_guarded_wait((pid_t)d->tid, every, call, sizeof call) > 0;
        w->waited_ns = now;
    }
    return w->waiting ? w->waited_ns + every : LG_NEVER;
}

/* The target waits for guarded child `child` (in `call`): no step while it
 * does.  Returns when to look again. */
static uint64_t begin_wait(const struct lg_desc *d, struct watch *w, uint64_t now,
                           pid_t child, const char *call)
{
    char limit[32];
    lg_format_duration(d->timeout_ns, limit, sizeof limit);
    lg_log("%s waits (%s) for child %d, which is guarded: no step while it waits, "
           "then %s from the end of the wait",
           (pid_t)d->tid == getpid() ? "main thread" : "guarded thread", call, (int)child, limit);
    w->waiting = true;
    w->waited_ns = now;
    lg_clock_start(&w->clock, now);
    return recheck_wait(d, w, now);
}

/* At a due step: LG_NEVER to fire it; else when to look again. */
static uint64_t starts_wait(const struct lg_desc *d, struct watch *w, uint64_t now)
{
    char call[32];
    uint64_t every = quarter(d);
    pid_t child = lg_children_guarded_wait((pid_t)d->tid, every, call, sizeof call);
    if (child < 0) {
        /* A child just started, whose guard may not run yet: hold the step
         * for a few looks, never more than a quarter timeout in all. */
        if (!w->young_since)
            w->young_since = now;
        if (now < w->young_since + every)
            return now + min64(every / 4, 20 * LG_NS_PER_MS);
        child = 0;
    }
    w->young_since = 0;
    if (!child)
        return LG_NEVER;
    return begin_wait(d, w, now, child, call);
}

/* How long before a deadline the watchdog looks whether the target waits
 * for a guarded child.  It must cover the few milliseconds by which a stuck
 * child's deadline may come first, and a late wake-up of the watchdog: 100
 * ms, or a quarter of a shorter timeout.  Progress read from the activity
 * counter is seen up to a quarter late, which may put the parent's deadline
 * that much after its child's: then a quarter (the counter's reads wake the
 * watchdog that often anyway).  With steady progress this look is the one
 * wake-up per timeout, a little before each deadline. */
static uint64_t look_ahead(const struct lg_desc *d)
{
    return d->activity ? quarter(d) : min64(quarter(d), 100 * LG_NS_PER_MS);
}

/* Shortly before a deadline, when no progress came: is the target already
 * waiting for a guarded child?  A stuck child with the same timeout reaches
 * its own deadline within milliseconds of its parent's, and its step may
 * end it (and the parent reap it) just before the parent's deadline is
 * looked at; seen alive here, the wait is followed to its end and the
 * parent's clock restarts from there.  Only a guard about to fire pays this
 * look, and none when waits do not count.  Returns when to look next:
 * `due`, or sooner. */
static uint64_t look_before_deadline(const struct lg_desc *d, struct watch *w,
                                     uint64_t now, uint64_t due)
{
    uint64_t ahead = look_ahead(d);
    if (w->waiting || w->looked_before == due || due < ahead || !lg_children_waits_count())
        return due;
    if (now < due - ahead)
        return due - ahead;
    w->looked_before = due;
    char call[32];
    pid_t child = lg_children_guarded_wait((pid_t)d->tid, quarter(d), call, sizeof call);
    return child > 0 ? begin_wait(d, w, now, child, call) : due;
}

static uint64_t check_time_steps(struct lg_guard *g, const struct lg_desc *d,
                                 struct watch *w, uint64_t now)
{
    uint64_t next_look = recheck_wait(d, w, now);
    uint64_t last = d->start_ns > w->active_ns ? d->start_ns : w->active_ns;
    if (w->waited_ns > last)
        last = w->waited_ns;
    uint64_t progress = atomic_load_explicit(&g->progress_ns, memory_order_relaxed);
    if (progress && progress + lg_coarse_lag > last)
        last = progress + lg_coarse_lag; /* it may lag the real time */
    int undone = lg_clock_progress(&w->clock, last);
    if (undone > 0)
        lg_log("progress after step %d: the time guard starts over", undone);
    if (undone >= 0)
        w->young_since = 0;
    const struct lg_ladder_times times = { d->timeout_ns, d->grace_ns };
    uint64_t due = lg_clock_due(&w->clock, &times);
    if (due == LG_NEVER)
        return lg_clock_next_look(&w->clock, &times, now); /* spent: look for progress */
    if (now < due)
        return min64(next_look, w->clock.step == 0 ? look_before_deadline(d, w, now, due)
                                                   : lg_clock_next_look(&w->clock, &times, now));
    uint64_t held = starts_wait(d, w, now);
    if (held != LG_NEVER)
        return held;
    int step = lg_clock_fire(&w->clock, now);
    char idle[32], limit[32], why[96];
    lg_format_duration((now - last) / LG_NS_PER_MS * LG_NS_PER_MS, idle, sizeof idle);
    lg_format_duration(d->timeout_ns, limit, sizeof limit);
    snprintf(why, sizeof why, "no progress for %s (limit %s)", idle, limit);
    if (!atomic_load(&lg_exiting))
        lg_ladder_fire(g, d, step, why);
    return lg_clock_next_look(&w->clock, &times, now);
}

static uint64_t check_time(struct lg_guard *g, const struct lg_desc *d,
                           struct watch *w, uint64_t now)
{
    uint64_t next_activity = d->activity ? check_activity(d, w, now) : LG_NEVER;
    uint64_t due = check_time_steps(g, d, w, now);
    return due < next_activity ? due : next_activity;
}

static uint64_t check_memory(struct lg_guard *g, const struct lg_desc *d,
                             struct watch *w, uint64_t now)
{
    uint64_t limit = d->max_bytes + d->baseline_bytes;
    if (sample_bytes <= limit) {
        if (lg_clock_memory(&w->clock, false, sample_ns)) {
            char size[32], lim[32];
            lg_format_size(sample_bytes, size, sizeof size);
            lg_format_size(limit, lim, sizeof lim);
            lg_log("resident memory %s is back under the limit of %s: "
                   "the memory guard starts over", size, lim);
        }
        return LG_NEVER;
    }
    lg_clock_memory(&w->clock, true, sample_ns);
    const struct lg_ladder_times times = { d->grace_ns, d->secondary_grace_ns };
    uint64_t due = lg_clock_due(&w->clock, &times); /* LG_NEVER: spent */
    if (now < due)
        return due;
    int step = lg_clock_fire(&w->clock, now);
    char size[32], lim[32], over[32], why[160];
    lg_format_size(sample_bytes, size, sizeof size);
    lg_format_size(limit, lim, sizeof lim);
    lg_format_duration((now - w->clock.since_ns) / LG_NS_PER_MS * LG_NS_PER_MS, over, sizeof over);
    snprintf(why, sizeof why, "resident memory %s over the limit of %s for %s",
             size, lim, over);
    if (!atomic_load(&lg_exiting))
        lg_ladder_fire(g, d, step, why);
    return lg_clock_due(&w->clock, &times);
}

static void take_sample(uint64_t now)
{
    uint64_t bytes = lg_memory_resident();
    if (sample_ns && now > sample_ns) {
        double rate = ((double)bytes - (double)sample_bytes) / (double)(now - sample_ns);
        growth_per_ns = rate > 0 ? rate : 0;
    }
    sample_ns = now;
    sample_bytes = bytes;
}

/* One pass over the registry: fire what is due, return when to look again. */
static uint64_t scan(uint64_t now)
{
    uint64_t next = LG_NEVER;
    uint32_t used = atomic_load(&lg_slots_used);
    bool sampled = false;
    uint64_t headroom = UINT64_MAX, interval = LG_NEVER;
    for (uint32_t i = 0; i < used; i++) {
        struct lg_desc d;
        uint32_t seq;
        if (!lg_guard_read(&lg_slots[i], &d, &seq))
            continue;
        struct watch *w = &watch[i];
        if (w->seq != seq) {
            memset(w, 0, sizeof *w);
            w->seq = seq;
            if (d.kind == LG_KIND_TIME)
                lg_clock_start(&w->clock, d.start_ns);
        }
        if (d.kind == LG_KIND_TIME) {
            next = min64(next, check_time(&lg_slots[i], &d, w, now));
            continue;
        }
        /* A guard judges only samples taken after it was armed: an older
         * one may hold what a previous record had allocated.  Timed after
         * the slot was read, so a guard armed during this scan is covered. */
        if (sample_ns < d.start_ns || (!sampled && now >= next_sample_ns)) {
            now = lg_now();
            take_sample(now);
            sampled = true;
        }
        next = min64(next, check_memory(&lg_slots[i], &d, w, now));
        uint64_t limit = d.max_bytes + d.baseline_bytes;
        headroom = min64(headroom, sample_bytes < limit ? limit - sample_bytes : 0);
        interval = min64(interval, d.check_interval_ns);
    }
    if (interval != LG_NEVER) {
        if (sampled || next_sample_ns == 0)
            next_sample_ns = now + lg_memory_next_delay(headroom, growth_per_ns, interval);
        next = min64(next, next_sample_ns);
    } else {
        next_sample_ns = 0; /* no memory guard: sample at once when one comes */
        sample_ns = 0;
    }
    return next;
}

static void sleep_until_or_poked(uint32_t word, uint64_t when)
{
    if (when == LG_NEVER) {
        syscall(SYS_futex, &wake_word, FUTEX_WAIT_PRIVATE, word, NULL, NULL, 0);
        return;
    }
    struct timespec at = { .tv_sec = (time_t)(when / LG_NS_PER_S),
                           .tv_nsec = (long)(when % LG_NS_PER_S) };
    syscall(SYS_futex, &wake_word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, word, &at,
            NULL, FUTEX_BITSET_MATCH_ANY);
}

static void *watchdog_main(void *unused)
{
    (void)unused;
    lg_children_name_watchdog(); /* how parents see that this process is guarded */
    lg_measure_coarse_lag();
    lg_find_vdso_clock();
    for (;;) {
        atomic_store(&sleep_until, LG_NEVER);
        uint32_t word = atomic_load(&wake_word);
        uint64_t now = lg_now();
        uint64_t next = min64(scan(now), lg_last_thread_check(now));
        atomic_store(&sleep_until, next);
        sleep_until_or_poked(word, next);
        atomic_fetch_add_explicit(&lg_watchdog_wakeups, 1, memory_order_relaxed);
    }
    return NULL;
}

static void start(void)
{
    pthread_attr_t attr;
    sigset_t all, old;
    sigfillset(&all);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    /* Room for snprintf and a sanitizer's frames; far below the default 8 MiB. */
    pthread_attr_setstacksize(&attr, 256 * 1024);
#ifdef HAVE_PTHREAD_ATTR_SETSIGMASK_NP
    /* Born with every signal blocked: no signal meant for the program ever
     * lands on the watchdog, and the caller's mask is never touched. */
    pthread_attr_setsigmask_np(&attr, &all);
#else
    pthread_sigmask(SIG_SETMASK, &all, &old);
#endif
    pthread_t thread;
    int err = pthread_create(&thread, &attr, watchdog_main, NULL);
#ifndef HAVE_PTHREAD_ATTR_SETSIGMASK_NP
    pthread_sigmask(SIG_SETMASK, &old, NULL);
#endif
    (void)old;
    pthread_attr_destroy(&attr);
    if (err) {
        atomic_store(&started, false);
        lg_log("cannot start the watchdog thread (%s): nothing is guarded", strerror(err));
    }
}

void lg_watchdog_poke(uint64_t when)
{
    if (!atomic_load(&started) && !atomic_exchange(&started, true)) {
        start();
        return;
    }
    if (when < atomic_load(&sleep_until)) {
        atomic_fetch_add(&wake_word, 1);
        syscall(SYS_futex, &wake_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    }
}

void lg_watchdog_wake(void)
{
    if (atomic_load(&started)) {
        atomic_fetch_add(&wake_word, 1);
        syscall(SYS_futex, &wake_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    }
}

void lg_watchdog_forget(void)
{
    lg_last_thread_forget();
    atomic_store(&started, false);
    atomic_store(&sleep_until, LG_NEVER);
    /* Only the slots ever used can hold state (64 KiB would be touched, and
     * copied, in every forked child). */
    memset(watch, 0, atomic_load(&lg_slots_used) * sizeof watch[0]);
    sample_ns = sample_bytes = next_sample_ns = 0;
    growth_per_ns = 0;
}
