/* The guard registry.  See registry.h. */
#include "config.h"
#include "registry.h"

#include <string.h>

#include "clock.h"
#include "startdata.h"
#include "watchdog.h"

struct lg_guard lg_slots[LG_MAX_GUARDS];
_Atomic uint32_t lg_slots_used;
struct lg_guard *_Atomic lg_process_time_guard;

__thread struct lg_guard *lg_innermost_time __attribute__((tls_model("initial-exec")));

static void write_desc(struct lg_guard *g, const struct lg_desc *d)
{
    const uint64_t *w = (const uint64_t *)d;
    uint32_t seq = atomic_load_explicit(&g->seq, memory_order_relaxed);
    atomic_store_explicit(&g->seq, seq + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    for (size_t i = 0; i < LG_DESC_WORDS; i++)
        atomic_store_explicit(&g->desc_words[i], w[i], memory_order_relaxed);
    atomic_store_explicit(&g->seq, seq + 2, memory_order_release);
}

bool lg_guard_read(struct lg_guard *g, struct lg_desc *d, uint32_t *seq)
{
    uint64_t *w = (uint64_t *)d;
    uint32_t before = atomic_load_explicit(&g->seq, memory_order_acquire);
    if (before & 1)
        return false;
    for (size_t i = 0; i < LG_DESC_WORDS; i++)
        w[i] = atomic_load_explicit(&g->desc_words[i], memory_order_relaxed);
    atomic_thread_fence(memory_order_acquire);
    if (atomic_load_explicit(&g->seq, memory_order_relaxed) != before)
        return false;
    *seq = before;
    return d->kind != LG_KIND_NONE;
}

static struct lg_guard *claim_slot(void)
{
    static _Atomic uint32_t hint LG_START_DATA;
    uint32_t start = atomic_load_explicit(&hint, memory_order_relaxed);
    for (uint32_t n = 0; n < LG_MAX_GUARDS; n++) {
        uint32_t i = (start + n) % LG_MAX_GUARDS;
        uint32_t expected = 0;
        if (atomic_load_explicit(&lg_slots[i].busy, memory_order_relaxed) == 0
            && atomic_compare_exchange_strong(&lg_slots[i].busy, &expected, 1)) {
            atomic_store_explicit(&hint, i + 1, memory_order_relaxed);
            uint32_t used = atomic_load(&lg_slots_used);
            while (used < i + 1
                   && !atomic_compare_exchange_weak(&lg_slots_used, &used, i + 1))
                ;
            return &lg_slots[i];
        }
    }
    return NULL;
}

struct lg_guard *lg_guard_arm(const struct lg_desc *d)
{
    struct lg_guard *g = claim_slot();
    if (!g)
        return NULL;
    atomic_store_explicit(&g->progress_ns, 0, memory_order_relaxed);
    write_desc(g, d);
    if (d->kind == LG_KIND_TIME && !d->from_env) {
        g->outer = lg_innermost_time;
        lg_innermost_time = g;
    }
    lg_watchdog_poke(d->kind == LG_KIND_TIME ? d->start_ns + d->timeout_ns
                                             : d->start_ns + d->check_interval_ns);
    return g;
}

void lg_guard_disarm(struct lg_guard *g)
{
    static const struct lg_desc none;
    /* Unlink from the thread's chain wherever it is: guards may end out of
     * order (an outer one first), and the chain must never keep a freed slot. */
    for (struct lg_guard **p = &lg_innermost_time; *p; p = &(*p)->outer)
        if (*p == g) {
            *p = g->outer;
            break;
        }
    write_desc(g, &none);
    g->outer = NULL;
    atomic_store_explicit(&g->busy, 0, memory_order_release);
}

void lg_guard_rewrite(struct lg_guard *g, const struct lg_desc *d)
{
    write_desc(g, d);
}

