/* memory-unit parse-limit TEXT | resolve SIZE | delay HEADROOM_MIB RATE_MIB_S INTERVAL_MS
 *
 * Drives memory.c directly: how a cgroup limit file is read, what a size
 * resolves to on this machine, and how soon the next sample comes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memory.h"

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "parse-limit")) {
        printf("%llu\n", (unsigned long long)lg_memory_parse_cgroup_limit(argv[2]));
        return 0;
    }
    if (argc == 3 && !strcmp(argv[1], "resolve")) {
        struct lg_size size;
        uint64_t bytes;
        const char *why = lg_parse_size(argv[2], &size);
        if (!why)
            why = lg_memory_resolve(&size, &bytes);
        if (why) {
            printf("%s\n", why);
            return 1;
        }
        const char *source;
        lg_memory_available(&source);
        printf("%llu %s\n", (unsigned long long)bytes, size.share_ppm ? source : "bytes");
        return 0;
    }
    if (argc == 5 && !strcmp(argv[1], "delay")) {
        uint64_t headroom = strtoull(argv[2], NULL, 10) << 20;
        double rate = atof(argv[3]) * 1048576.0 / 1e9;
        uint64_t interval = strtoull(argv[4], NULL, 10) * 1000000ull;
        printf("%.1f\n", lg_memory_next_delay(headroom, rate, interval) / 1e6);
        return 0;
    }
    fprintf(stderr, "usage: memory-unit parse-limit TEXT | resolve SIZE | delay HEADROOM_MIB RATE_MIB_S INTERVAL_MS\n");
    return 2;
}
