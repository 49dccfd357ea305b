/* What the safe-point decision needs to know of CPython's bytecode, per
 * minor version 3.8-3.13, without importing `dis` or `opcode` into the
 * program: which opcodes call, which are inline caches, and the few that
 * load a name (to find the wait sites in threading's code).
 *
 * Contract: pure data, any thread, no Python call.  tests/safe.bats checks
 * the table against `dis.opmap` of every interpreter present, so a version
 * whose numbers differ fails there, not in the field. */
#ifndef LIBGUARD_PY_OPCODES_H
#define LIBGUARD_PY_OPCODES_H

#include <stdbool.h>

enum lg_opcode_kind {
    LG_OP_OTHER = 0,
    LG_OP_CALL,         /* CALL*: not CALL_INTRINSIC_*, not 3.8's CALL_FINALLY */
    LG_OP_PRECALL,      /* 3.11's PRECALL: a call in progress, never "after" one */
    LG_OP_CACHE,        /* 3.11+: an inline cache entry, not an instruction */
    LG_OP_EXTENDED_ARG, /* widens the next instruction's argument */
    LG_OP_LOAD_FAST,    /* LOAD_FAST, LOAD_FAST_CHECK: co_varnames[arg] */
    LG_OP_LOAD_NAME,    /* LOAD_METHOD, LOAD_ATTR to 3.11: co_names[arg] */
    LG_OP_LOAD_NAME_HI, /* LOAD_ATTR 3.12+: co_names[arg >> 1] (a flag in bit 0) */
    LG_OP_KINDS
};

/* The kind of each opcode of CPython 3.`minor`; false (all OTHER) when
 * `minor` is not 8-13. */
bool lg_opcode_kinds(int minor, unsigned char kinds[256]);
/* "CALL", for the table's check. */
const char *lg_opcode_kind_name(enum lg_opcode_kind kind);

#endif
