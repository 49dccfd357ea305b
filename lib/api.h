/* What the C API (api.c) keeps per thread that the shim's fork handler
 * (preload.c) must reset: one pthread_atfork registration for the library,
 * not one per file. */
#ifndef LIBGUARD_API_H
#define LIBGUARD_API_H

/* In a forked child, on its only thread: the thread id api.c cached for
 * the forking thread is not this thread's. */
void lg_api_forget_tid(void);

/* preload.c's fork handler, which calls lg_api_forget_tid(), registered
 * once (pthread_once): before api.c caches any thread id. */
void lg_preload_watch_forks(void);

#endif
