/* The guard registry: every armed guard of the process, in one table the
 * watchdog scans.
 *
 * A slot is owned by the thread that armed it.  Its description is written
 * under a sequence lock so the watchdog can copy it without taking a lock
 * (the owner never waits for the watchdog); progress is one atomic store. */
#ifndef LIBGUARD_REGISTRY_H
#define LIBGUARD_REGISTRY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "clock.h"

#define LG_MAX_GUARDS 1024

enum lg_kind { LG_KIND_NONE = 0, LG_KIND_TIME = 1, LG_KIND_MEMORY = 2 };

struct lg_guard;

/* How the exception step reaches a guard's thread.  raise() is called on the
 * watchdog thread and must not block; withdraw() takes back an exception
 * raised but not yet delivered (when the next step supersedes it). */
struct lg_desc;
struct lg_route {
    bool (*available)(const struct lg_desc *d);
    bool (*raise)(struct lg_guard *g, const struct lg_desc *d, int step,
                  const char *message);
    void (*withdraw)(struct lg_guard *g, const struct lg_desc *d);
};

/* What the watchdog needs to know about an armed guard.  Whole words only, so
 * it can be copied with relaxed atomic loads under the sequence lock. */
struct lg_desc {
    uint64_t kind;               /* enum lg_kind; NONE: the slot is disarmed */
    uint64_t tid;                /* the target thread */
    uint64_t thread;             /* its pthread_t */
    uint64_t start_ns;
    uint64_t timeout_ns;         /* time */
    uint64_t grace_ns;           /* time: between steps; memory: before step 1 */
    uint64_t secondary_grace_ns; /* memory: between later steps */
    uint64_t max_bytes;          /* memory: the limit */
    uint64_t baseline_bytes;     /* memory: added to max_bytes (relative guards) */
    uint64_t check_interval_ns;  /* memory: the longest time between samples */
    uint64_t interrupt;          /* enum lg_interrupt */
    uint64_t send_kill;
    uint64_t dry_run;
    uint64_t from_env;           /* the process guard the shim armed */
    uint64_t activity;           /* time: activity counts as progress (LIBGUARD_PROGRESS) */
    uint64_t user_data;          /* C API: the handler's argument (guard_*_begin) */
};
#define LG_DESC_WORDS (sizeof(struct lg_desc) / sizeof(uint64_t))

struct lg_guard {
    _Atomic uint32_t busy;       /* claimed by an owner */
    _Atomic uint32_t seq;        /* odd while the description is written */
    _Atomic uint64_t desc_words[LG_DESC_WORDS];
    _Atomic uint64_t progress_ns;/* coarse time of the last progress, 0: none */
    struct lg_guard *outer;      /* owner thread's enclosing time guard */
} __attribute__((aligned(64)));

extern struct lg_guard lg_slots[LG_MAX_GUARDS];
extern _Atomic uint32_t lg_slots_used; /* slots [0, used) may be armed */

/* Arm a guard described by `d` (kind != NONE).  Returns NULL when every slot
 * is taken.  Thread-safe; never blocks.  Time guards become the calling
 * thread's innermost (for lg_progress_current). */
struct lg_guard *lg_guard_arm(const struct lg_desc *d);
/* Disarm and free.  Only the thread that armed it. */
void lg_guard_disarm(struct lg_guard *g);
/* Rewrite the description of an armed guard (the fork child re-targets). */
void lg_guard_rewrite(struct lg_guard *g, const struct lg_desc *d);

/* Copy the description; false when the slot is disarmed or changed while
 * it was read (try again at the next scan).  *seq is the incarnation. */
bool lg_guard_read(struct lg_guard *g, struct lg_desc *d, uint32_t *seq);

extern struct lg_guard *_Atomic lg_process_time_guard;

/* The calling thread's innermost time guard (owned by registry.c).
 * initial-exec: one load from the thread pointer, no __tls_get_addr. */
extern __thread struct lg_guard *lg_innermost_time
    __attribute__((tls_model("initial-exec")));

/* Progress: one relaxed store of the coarse clock.  Inline: guard_progress()
 * is a few nanoseconds, and two calls were a third of them. */
static inline void lg_guard_progress(struct lg_guard *g)
{
    atomic_store_explicit(&g->progress_ns, lg_coarse_now(), memory_order_relaxed);
}

/* The innermost time guard of the calling thread, else the process guard. */
static inline struct lg_guard *lg_progress_target(void)
{
    struct lg_guard *g = lg_innermost_time;
    return g ? g : atomic_load_explicit(&lg_process_time_guard, memory_order_relaxed);
}

#endif
