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
#define DURATION_UNITS "units: ms, s, m, h, d"
#define DURATION_MS_EXAMPLES "(examples: 500 (ms), 50ms, 0.5s; " DURATION_UNITS ")"
#define SIZE_EXAMPLES "(examples: 512M, 2G, 2GB, 2GiB, 1048576 (KiB), 50%)"
#define BOOL_VALID "(valid: 1, 0, true, false, yes, no, on, off)"

/* The longest duration or size we accept; far beyond any real budget and far
 * from overflowing the nanosecond and byte arithmetic downstream. */
#define MAX_DURATION_NS (366ull * 24 * 3600 * LG_NS_PER_S)
#define MAX_SIZE_BYTES (1ull << 60)

/* ---- numbers ---------------------------------------------------------- */

enum scaled { SCALED_OK, SCALED_SYNTAX, SCALED_TOO_BIG };

/* Parse "123" or "1.25" at *p into value * scale, rounding down, and move
 * *p past it.  Up to 9 fraction digits count.  A number over `max` is
 * SCALED_TOO_BIG, but is still read to its end, so that the caller can tell
 * a big number from a misspelt one. */
static enum scaled parse_scaled(const char **p, uint64_t scale, uint64_t max,
                                uint64_t *out)
{
    const char *s = *p;
    uint64_t whole = 0;
    bool too_big = false;
    if (*s < '0' || *s > '9')
        return SCALED_SYNTAX;
    while (*s >= '0' && *s <= '9') {
        if (whole > (UINT64_MAX - 9) / 10)
            too_big = true;
        else
            whole = whole * 10 + (uint64_t)(*s - '0');
        s++;
    }
    uint64_t frac = 0, frac_scale = 1;
    if (*s == '.') {
        s++;
        if (*s < '0' || *s > '9')
            return SCALED_SYNTAX;
        while (*s >= '0' && *s <= '9') {
            if (frac_scale < 1000000000ull) {
                frac = frac * 10 + (uint64_t)(*s - '0');
                frac_scale *= 10;
            }
            s++;
        }
    }
    *p = s;
    if (too_big || whole > max / scale)
        return SCALED_TOO_BIG;
    uint64_t value = whole * scale;
    /* frac/frac_scale of scale, without overflow: scale <= 2^60, frac_scale <= 1e9 */
    value += (uint64_t)((__uint128_t)frac * scale / frac_scale);
    if (value > max)
        return SCALED_TOO_BIG;
    *out = value;
    return SCALED_OK;
}

/* ---- durations -------------------------------------------------------- */

static const char *parse_duration_unit(const char *text, uint64_t plain_unit,
                                       uint64_t *ns, const char *invalid)
{
    /* timeout(1)'s units, and ms.  Lower case only: "M" reads as a size. */
    static const struct { const char *suffix; uint64_t ns; } units[] = {
        { "ms", LG_NS_PER_MS }, { "s", LG_NS_PER_S }, { "m", 60 * LG_NS_PER_S },
        { "h", 3600 * LG_NS_PER_S }, { "d", 24 * 3600 * LG_NS_PER_S },
    };
    const char *digits_end = text;
    while ((*digits_end >= '0' && *digits_end <= '9') || *digits_end == '.')
        digits_end++;
    uint64_t unit = plain_unit;
    if (*digits_end) {
        unit = 0;
        bool other_case = false;
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
            if (strcmp(digits_end, units[i].suffix) == 0)
                unit = units[i].ns;
            else if (strcasecmp(digits_end, units[i].suffix) == 0)
                other_case = true;
        }
        if (!unit)
            return other_case && digits_end != text
                ? "is not a duration: units are lower case (ms, s, m, h, d)"
                : invalid;
    }
    const char *p = text;
    uint64_t value = 0;
    enum scaled r = parse_scaled(&p, unit, MAX_DURATION_NS, &value);
    if (r == SCALED_SYNTAX || p != digits_end)
        return invalid;
    if (r == SCALED_TOO_BIG)
        return LG_DURATION_TOO_LONG;
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

/* ---- sizes ------------------------------------------------------------ */

/* The unit after a size's number: K, M, G or T, each alone or followed by B
 * or iB (all powers of 1024), or B alone (bytes); any case, as people write
 * them ("2gb", "2GiB").  0 when it is none of those. */
static uint64_t size_unit(const char *suffix)
{
    static const char letters[] = "KMGT";
    if (strcasecmp(suffix, "B") == 0)
        return 1;
    /* Upper case by clearing bit 5, which makes a blank NUL: strchr would
     * then find the letters' end and read it as a unit past T. */
    char upper = (char)(*suffix & ~0x20);
    const char *at = upper ? strchr(letters, upper) : NULL;
    if (!at)
        return 0;
    const char *rest = suffix + 1;
    if (*rest && strcasecmp(rest, "B") != 0 && strcasecmp(rest, "iB") != 0)
        return 0;
    return 1ull << (10 * (at - letters + 1));
}

const char *lg_parse_size(const char *text, struct lg_size *size)
{
    static const char invalid[] = "is not a size " SIZE_EXAMPLES;
    const char *end = text;
    while ((*end >= '0' && *end <= '9') || *end == '.')
        end++;
    if (strcmp(end, "%") == 0) {
        if (end == text)
            return "has no number before the % (examples: 50%, 12.5%)";
        const char *p = text;
        uint64_t ppm = 0;
        enum scaled r = parse_scaled(&p, 10000, 100 * 10000, &ppm);
        if (r == SCALED_SYNTAX || p != end)
            return "is not a share (examples: 50%, 12.5%)";
        if (r == SCALED_TOO_BIG)
            return "is not a share of at most 100% (examples: 50%, 12.5%)";
        if (ppm == 0)
            return "must be more than 0% (examples: 50%, 12.5%)";
        size->bytes = 0;
        size->share_ppm = (uint32_t)ppm;
        return NULL;
    }
    uint64_t unit = 1024; /* a plain number is KiB, as Resiliparse's max_memory */
    if (*end && !(unit = size_unit(end)))
        return invalid;
    const char *p = text;
    uint64_t bytes = 0;
    enum scaled r = parse_scaled(&p, unit, MAX_SIZE_BYTES, &bytes);
    if (r == SCALED_SYNTAX || p != end)
        return invalid;
    if (r == SCALED_TOO_BIG)
        return "is more than the maximum of 1024 PiB";
    if (bytes == 0)
        return "must be more than 0 " SIZE_EXAMPLES;
    size->bytes = bytes;
    size->share_ppm = 0;
    return NULL;
}

/* ---- booleans --------------------------------------------------------- */

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
