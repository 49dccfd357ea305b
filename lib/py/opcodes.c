/* CPython's opcode numbers that libguard needs, per minor version (see
 * opcodes.h).  Taken from `dis.opmap` of each release; 3.11's specialised
 * and 3.12's instrumented opcodes never appear in `co_code` (it is
 * returned de-specialised), so only the base opcodes are listed. */
#include "config.h"
#include "py/opcodes.h"

#include <string.h>

struct opcode_row {
    unsigned char minor_lo, minor_hi;
    unsigned char opcode;
    unsigned char kind;
};

static const struct opcode_row rows[] = {
    /* 3.8-3.10 */
    { 8, 10, 131, LG_OP_CALL },          /* CALL_FUNCTION */
    { 8, 10, 141, LG_OP_CALL },          /* CALL_FUNCTION_KW */
    { 8, 10, 142, LG_OP_CALL },          /* CALL_FUNCTION_EX */
    { 8, 10, 161, LG_OP_CALL },          /* CALL_METHOD */
    { 8, 11, 160, LG_OP_LOAD_NAME },     /* LOAD_METHOD */
    /* 3.11-3.12 */
    { 11, 12, 142, LG_OP_CALL },         /* CALL_FUNCTION_EX */
    { 11, 12, 171, LG_OP_CALL },         /* CALL */
    { 11, 11, 166, LG_OP_PRECALL },      /* PRECALL */
    { 12, 12, 127, LG_OP_LOAD_FAST },    /* LOAD_FAST_CHECK */
    /* 3.8-3.12 */
    { 8, 12, 144, LG_OP_EXTENDED_ARG },
    { 8, 12, 124, LG_OP_LOAD_FAST },
    { 8, 11, 106, LG_OP_LOAD_NAME },     /* LOAD_ATTR */
    { 12, 12, 106, LG_OP_LOAD_NAME_HI }, /* LOAD_ATTR */
    /* 3.11+ */
    { 11, 13, 0, LG_OP_CACHE },
    /* 3.13 (renumbered) */
    { 13, 13, 53, LG_OP_CALL },          /* CALL */
    { 13, 13, 54, LG_OP_CALL },          /* CALL_FUNCTION_EX */
    { 13, 13, 57, LG_OP_CALL },          /* CALL_KW */
    { 13, 13, 71, LG_OP_EXTENDED_ARG },
    { 13, 13, 85, LG_OP_LOAD_FAST },
    { 13, 13, 87, LG_OP_LOAD_FAST },     /* LOAD_FAST_CHECK */
    { 13, 13, 82, LG_OP_LOAD_NAME_HI }, /* LOAD_ATTR */
};

bool lg_opcode_kinds(int minor, unsigned char kinds[256])
{
    memset(kinds, LG_OP_OTHER, 256);
    if (minor < 8 || minor > 13)
        return false;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (minor >= rows[i].minor_lo && minor <= rows[i].minor_hi)
            kinds[rows[i].opcode] = rows[i].kind;
    return true;
}

const char *lg_opcode_kind_name(enum lg_opcode_kind kind)
{
    static const char *const names[LG_OP_KINDS] = {
        "OTHER", "CALL", "PRECALL", "CACHE", "EXTENDED_ARG", "LOAD_FAST",
        "LOAD_NAME", "LOAD_NAME_HI",
    };
    return (unsigned)kind < LG_OP_KINDS ? names[kind] : "?";
}
