/* opcode-table MINOR: libguard's opcode table for CPython 3.MINOR
 * (lib/py/opcodes.c), one "KIND OPCODE" line per opcode it knows, sorted
 * by opcode; safe.bats compares it with what `dis` says. */
#include <stdio.h>
#include <stdlib.h>

#include "py/opcodes.h"

int main(int argc, char **argv)
{
    unsigned char kinds[256];
    if (argc != 2 || !lg_opcode_kinds(atoi(argv[1]), kinds)) {
        fprintf(stderr, "usage: opcode-table MINOR (8-13: CPython 3.MINOR)\n");
        return 2;
    }
    for (int op = 0; op < 256; op++)
        if (kinds[op] != LG_OP_OTHER)
            printf("%s %d\n", lg_opcode_kind_name(kinds[op]), op);
    return 0;
}
