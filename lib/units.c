/* Setting values as written: durations, sizes, booleans, and their
 * formatting in messages.
 *
 * Parsing is strict (as jemalloc's): no leading or trailing blanks, no signs,
 * no exponents, no locale; every rejection names what would be valid. */
#include "config.h"
#include "units.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define DURATION_EXAMPLES LG_DURATION_EXAMPLES
#define DURATION_MS_EXAMPLES "(examples: 500 (ms), 50ms, 0.5s)"
#define SIZE_EXAMPLES "(examples: 512M, 2G, 1048576 (KiB), 50%)"
#define BOOL_VALID "(valid: 1, 0, true, false, yes, no, on, off)"

/* The longest duration or size we accept; far beyond any real budget and far
 * from overflowing the nanosecond and byte arithmetic downstream. */
#define MAX_DURATION_NS (366ull * 24 * 3600 * LG_NS_PER_S)
#define MAX_SIZE_BYTES (1ull << 60)

/* ---- numbers ---------------------------------------------------------- */

/* Parse "123" or "1.25" at *p into value * scale, rounding down.  Up to 9
 * fraction digits count.  Returns false when there is no number or it
 * overflows `max`. */
static bool parse_scaled(const char **p, uint64_t scale, uint64_t max,
                         uint64_t *out)
{
    const char *s = *p;
    uint64_t whole = 0;
    if (*s < '0' || *s > '9')
        return false;
    while (*s >= '0' && *s <= '9') {
        if (whole > (UINT64_MAX - 9) / 10)
            return false;
        whole = whole * 10 + (uint64_t)(*s++ - '0');
    }
    uint64_t frac = 0, frac_scale = 1;
    if (*s == '.') {
        s++;
        if (*s < '0' || *s > '9')
            return false;
        while (*s >= '0' && *s <= '9') {
            if (frac_scale < 1000000000ull) {
                frac = frac * 10 + (uint64_t)(*s - '0');
                frac_scale *= 10;
            }
            s++;
        }
    }
    if (whole > max / scale)
        return false;
    uint64_t value = whole * scale;
    /* frac/frac_scale of scale, without overflow: scale <= 2^60, frac_scale <= 1e9 */
    value += (uint64_t)((__uint128_t)frac * scale / frac_scale);
    if (value > max)
        return false;
    *out = value;
    *p = s;
    return true;
}

static const char *parse_duration_unit(const char *text, uint64_t plain_unit,
                                       uint64_t *ns, const char *invalid)
{
    static const struct { const char *suffix; uint64_t ns; } units[] = {
        { "ms", LG_NS_PER_MS }, { "s", LG_NS_PER_S },
        { "m", 60 * LG_NS_PER_S }, { "h", 3600 * LG_NS_PER_S },
    };
    const char *digits_end = text;
    while ((*digits_end >= '0' && *digits_end <= '9') || *digits_end == '.')
        digits_end++;
    uint64_t unit = plain_unit;
    if (*digits_end) {
        unit = 0;
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
            if (strcmp(digits_end, units[i].suffix) == 0)
                unit = units[i].ns;
        if (!unit)
            return invalid;
    }
    const char *p = text;
    uint64_t value;
    if (!parse_scaled(&p, unit, MAX_DURATION_NS, &value) || p != digits_end)
        return invalid;
    *ns = value;
    return NULL;
}

const char *lg_parse_duration(const char *text, uint64_t *ns)
{
    return parse_duration_unit(text, LG_NS_PER_S, ns,
                               "is not a duration " DURATION_EXAMPLES);
}

const char *lg_parse_duration_ms(const char *text, uint64_t *ns)
{
    return parse_duration_unit(text, LG_NS_PER_MS, ns,
                               "is not a duration " DURATION_MS_EXAMPLES);
}

const char *lg_parse_size(const char *text, struct lg_size *size)
{
    static const char invalid[] = "is not a size " SIZE_EXAMPLES;
    const char *end = text;
    while ((*end >= '0' && *end <= '9') || *end == '.')
        end++;
    if (strcmp(end, "%") == 0) {
        const char *p = text;
        uint64_t ppm;
        if (!parse_scaled(&p, 10000, 100 * 10000, &ppm) || p != end)
            return "is not a share of at most 100% " SIZE_EXAMPLES;
        if (ppm == 0)
            return "must be more than 0% " SIZE_EXAMPLES;
        size->bytes = 0;
        size->share_ppm = (uint32_t)ppm;
        return NULL;
    }
    uint64_t unit = 1024; /* a plain number is KiB, as Resiliparse's max_memory */
    if (*end) {
        static const char letters[] = "KMGT";
        const char *at = strchr(letters, end[0] & ~0x20);
        if (!at || !end[0])
            return invalid;
        const char *rest = end + 1;
        if (*rest && strcmp(rest, "iB") != 0 && strcmp(rest, "B") != 0)
            return invalid;
        unit = 1ull << (10 * (at - letters + 1));
    }
    const char *p = text;
    uint64_t bytes;
    if (!parse_scaled(&p, unit, MAX_SIZE_BYTES, &bytes) || p != end)
        return invalid;
    if (bytes == 0)
        return "must be more than 0 " SIZE_EXAMPLES;
    size->bytes = bytes;
    size->share_ppm = 0;
    return NULL;
}

const char *lg_parse_bool(const char *text, bool *value)
{
    static const char *const yes[] = { "1", "true", "yes", "on" };
    static const char *const no[] = { "0", "false", "no", "off" };
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(text, yes[i]) == 0) { *value = true; return NULL; }
        if (strcasecmp(text, no[i]) == 0) { *value = false; return NULL; }
    }
    return "is not a boolean " BOOL_VALID;
}

/* ---- formatting ------------------------------------------------------- */

void lg_format_duration(uint64_t ns, char *buf, size_t size)
{
    if (ns % LG_NS_PER_S == 0 && ns >= 60 * LG_NS_PER_S && ns % (60 * LG_NS_PER_S) == 0)
        snprintf(buf, size, "%llum", (unsigned long long)(ns / (60 * LG_NS_PER_S)));
    else if (ns % LG_NS_PER_S == 0)
        snprintf(buf, size, "%llus", (unsigned long long)(ns / LG_NS_PER_S));
    else if (ns < LG_NS_PER_S)
        snprintf(buf, size, "%gms", (double)ns / LG_NS_PER_MS);
    else
        snprintf(buf, size, "%gs", (double)ns / LG_NS_PER_S);
}

void lg_format_size(uint64_t bytes, char *buf, size_t size)
{
    static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
    double value = (double)bytes;
    size_t u = 0;
    while (value >= 1024 && u + 1 < sizeof units / sizeof units[0]) {
        value /= 1024;
        u++;
    }
    if (value == (double)(uint64_t)value)
        snprintf(buf, size, "%llu %s", (unsigned long long)value, units[u]);
    else
        snprintf(buf, size, "%.1f %s", value, units[u]);
}
