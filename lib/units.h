/* Setting values as written: durations, sizes, booleans (units.c).
 *
 * Shared by the library's option table and the guard command's flags: a
 * value means the same thing wherever it is written. */
#ifndef LIBGUARD_UNITS_H
#define LIBGUARD_UNITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LG_NS_PER_MS 1000000ull
#define LG_NS_PER_S  1000000000ull

/* What lg_parse_duration says of a duration over the maximum. */
#define LG_DURATION_TOO_LONG "is more than the maximum of 366 days (366d)"
#define LG_DURATION_EXAMPLES "(examples: 30, 1.5s, 250ms, 2m, 1h, 1d)"

/* A memory size as written: bytes, or a share of the memory available
 * (resolved against the cgroup limit by memory.c when the guard starts). */
struct lg_size {
    uint64_t bytes;       /* when share_ppm == 0 */
    uint32_t share_ppm;   /* parts per million of the limit: 1..1000000 */
};

/* Parsers.  Each returns NULL when `text` is valid and stores the value, or a
 * short phrase saying what would be valid ("is not a duration (examples:
 * ...)").  None of them allocates. */
const char *lg_parse_duration(const char *text, uint64_t *ns);
const char *lg_parse_duration_ms(const char *text, uint64_t *ns); /* plain number = ms */
const char *lg_parse_size(const char *text, struct lg_size *size);
const char *lg_parse_bool(const char *text, bool *value);

/* "1.5s", "250ms", "2m" */
void lg_format_duration(uint64_t ns, char *buf, size_t size);
/* "300 MiB" */
void lg_format_size(uint64_t bytes, char *buf, size_t size);

#endif
