/* An empty library to preload: what loading any library costs a process
 * (the baseline of libguard's per-process cost, bench/run). */
void bench_preload_empty(void);
void bench_preload_empty(void) {}
