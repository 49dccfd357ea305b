/* What guard knows of its command: where execvp will find it, whether the
 * shim can enter it (the dynamic loader ignores LD_PRELOAD for a static,
 * setuid, setgid or file-capable program), whether --only-cmds/--skip-cmds
 * select it, and which program a process runs now, with or without
 * libguard mapped. */
#include "config.h"

#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "guard.h"

/* Where execvp would find `name`: the first executable regular file on PATH. */
bool resolve_command(const char *name, char *path, size_t size)
{
    if (strchr(name, '/')) {
        snprintf(path, size, "%s", name);
        return true;
    }
    const char *dirs = getenv("PATH");
    if (!dirs || !*dirs)
        dirs = "/bin:/usr/bin";
    while (*dirs) {
        size_t len = strcspn(dirs, ":");
        struct stat st;
        snprintf(path, size, "%.*s%s%s", (int)len, dirs, len ? "/" : "", name);
        if (access(path, X_OK) == 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode))
            return true;
        dirs += len + (dirs[len] == ':');
    }
    return false;
}

/* Is this ELF file statically linked (no PT_INTERP)?  -1 when it is not ELF
 * or cannot be read (a script: its interpreter decides). */
static int statically_linked(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    union { Elf64_Ehdr e64; Elf32_Ehdr e32; } eh;
    int result = -1;
    uint64_t phoff;
    unsigned phnum, phentsize, type;
    if (pread(fd, &eh, sizeof eh, 0) < (ssize_t)sizeof eh.e32
        || memcmp(eh.e64.e_ident, ELFMAG, SELFMAG) != 0)
        goto out;
    if (eh.e64.e_ident[EI_CLASS] == ELFCLASS64) {
        type = eh.e64.e_type;
        phoff = eh.e64.e_phoff;
        phnum = eh.e64.e_phnum;
        phentsize = eh.e64.e_phentsize;
    } else if (eh.e64.e_ident[EI_CLASS] == ELFCLASS32) {
        type = eh.e32.e_type;
        phoff = eh.e32.e_phoff;
        phnum = eh.e32.e_phnum;
        phentsize = eh.e32.e_phentsize;
    } else {
        goto out;
    }
    if (type != ET_EXEC && type != ET_DYN)
        goto out;
    result = 1;
    /* p_type is the first word of a program header in both classes */
    for (unsigned i = 0; i < phnum && i < 4096; i++) {
        uint32_t p_type;
        if (pread(fd, &p_type, sizeof p_type, (off_t)(phoff + (uint64_t)i * phentsize))
            != (ssize_t)sizeof p_type) {
            result = -1;
            break;
        }
        if (p_type == PT_INTERP) {
            result = 0;
            break;
        }
    }
out:
    close(fd);
    return result;
}

/* Why the shim cannot enter this program, or NULL when it should. */
const char *shim_cannot_enter(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return NULL; /* exec will say */
    if ((st.st_mode & S_ISUID) && st.st_uid != geteuid())
        return "it is setuid (the dynamic loader ignores LD_PRELOAD)";
    if ((st.st_mode & S_ISGID) && st.st_gid != getegid())
        return "it is setgid (the dynamic loader ignores LD_PRELOAD)";
    if (getxattr(path, "security.capability", NULL, 0) > 0)
        return "it has file capabilities (the dynamic loader ignores LD_PRELOAD)";
    if (statically_linked(path) == 1)
        return "it is statically linked (no dynamic loader to preload libguard)";
    return NULL;
}

/* Does --only-cmds/--skip-cmds (or their variables) select this program,
 * by the names guard can know: argv[0] and the file executed? */
bool command_selected(const char *argv0, const char *path)
{
    const char *names[] = { argv0, path };
    return lg_cmds_selected(eff.only_cmds[0] ? eff.only_cmds : NULL,
                            eff.skip_cmds[0] ? eff.skip_cmds : NULL, names, 2);
}

void read_exe(pid_t pid, char *buf, size_t size)
{
    char link[64];
    snprintf(link, sizeof link, "/proc/%d/exe", (int)pid);
    ssize_t n = readlink(link, buf, size - 1);
    buf[n > 0 ? n : 0] = '\0';
}

/* Is libguard mapped into the program pid runs now?  1 yes, 0 no, -1
 * cannot tell (then guard trusts the shim: a false outside mode would ignore
 * progress). */
int library_mapped(pid_t pid)
{
    char path[64], line[PATH_MAX + 256];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        const char *base = strrchr(line, '/');
        found = base && strncmp(base + 1, "libguard.so", 11) == 0;
    }
    fclose(f);
    return found;
}
