/* The Python stacks for the log.  See stacks.h and python.h. */
#include "config.h"
#include "py/stacks.h"
#include "python.h"

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "options.h"
#include "py/capi.h"
#include "py/deliver.h"
#include "stack.h"
#include "startdata.h"

bool lg_py_found LG_START_DATA;

/* faulthandler's dumper: exported by 3.8, 3.11, 3.12 and Debian's 3.11; a
 * local symbol in 3.9, 3.10, 3.13 (same signature in all), found in the
 * symbol table of unstripped builds (pyenv's). */
static struct {
    void *(*InterpreterMain)(void);
    void *(*ThisThreadState)(void);
    const char *(*DumpThreads)(int fd, void *interp, void *current);
} dumper;
static char symtab_path[LG_PATH_MAX]; /* where to look when not exported */
static uintptr_t symtab_base;
static dev_t symtab_dev;              /* the file loaded, not one put there since */
static ino_t symtab_ino;
static pthread_once_t dumper_once = PTHREAD_ONCE_INIT;

/* The kernel tids whose stacks are due at their next delivery; 0: free.
 * One per target at a time: a few suffice (at most 20 asked per process). */
#define MAX_DUE 8
static _Atomic pid_t due[MAX_DUE];

/* `name`, a function of the object that defines Py_IsInitialized, from its
 * .symtab (not the dynamic table): NULL when stripped. */
static void *local_function(const char *path, uintptr_t base, const char *name)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    void *found = NULL;
    const unsigned char *image = MAP_FAILED;
    if (fstat(fd, &st) == 0 && st.st_dev == symtab_dev && st.st_ino == symtab_ino
        && (size_t)st.st_size >= sizeof(ElfW(Ehdr)))
        image = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (image == MAP_FAILED)
        return NULL;
    size_t size = (size_t)st.st_size, want = strlen(name) + 1;
    const ElfW(Ehdr) *eh = (const void *)image;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_shentsize != sizeof(ElfW(Shdr))
        || eh->e_shoff > size || eh->e_shnum > (size - eh->e_shoff) / sizeof(ElfW(Shdr)))
        goto out;
    const ElfW(Shdr) *sh = (const void *)(image + eh->e_shoff);
    for (unsigned i = 0; i < eh->e_shnum && !found; i++) {
        if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum)
            continue;
        const ElfW(Shdr) *strs = &sh[sh[i].sh_link];
        if (sh[i].sh_offset > size || sh[i].sh_size > size - sh[i].sh_offset
            || strs->sh_offset > size || strs->sh_size > size - strs->sh_offset)
            continue;
        const ElfW(Sym) *sym = (const void *)(image + sh[i].sh_offset);
        const char *str = (const char *)image + strs->sh_offset;
        for (size_t j = 0; j < sh[i].sh_size / sizeof *sym; j++)
            if (ELF64_ST_TYPE(sym[j].st_info) == STT_FUNC && sym[j].st_value
                && sym[j].st_name < strs->sh_size && strs->sh_size - sym[j].st_name >= want
                && memcmp(str + sym[j].st_name, name, want) == 0) {
                found = (void *)(base + sym[j].st_value);
                break;
            }
    }
out:
    munmap((void *)image, size);
    return found;
}

/* Read the symbol table when first needed, not at start-up: it is large. */
static void find_dumper(void)
{
    if (!dumper.DumpThreads && symtab_path[0])
        *(void **)&dumper.DumpThreads
            = local_function(symtab_path, symtab_base, "_Py_DumpTracebackThreads");
}

void lg_py_stacks_setup(void)
{
    /* Public since 3.7: stacks need both. */
    if (!(*(void **)&dumper.ThisThreadState = dlsym(RTLD_DEFAULT, "PyGILState_GetThisThreadState"))
        || !(*(void **)&dumper.InterpreterMain = dlsym(RTLD_DEFAULT, "PyInterpreterState_Main"))) {
        dumper.ThisThreadState = NULL;
        dumper.InterpreterMain = NULL;
        return;
    }
    *(void **)&dumper.DumpThreads = dlsym(RTLD_DEFAULT, "_Py_DumpTracebackThreads");
    Dl_info info;
    struct link_map *map = NULL;
    if (!dumper.DumpThreads
        && dladdr1((void *)lg_py.IsInitialized, &info, (void **)&map, RTLD_DL_LINKMAP) && map) {
        snprintf(symtab_path, sizeof symtab_path, "%s",
                 map->l_name && map->l_name[0] ? map->l_name : "/proc/self/exe");
        symtab_base = map->l_addr;
        struct stat st;
        if (stat(symtab_path, &st) == 0) {
            symtab_dev = st.st_dev;
            symtab_ino = st.st_ino;
        } else {
            symtab_path[0] = '\0';
        }
    }
}

int lg_python_stacks_ask(pid_t tid, bool raising, char *why, size_t size)
{
    if (!dumper.InterpreterMain) {
        if (!lg_py_found)
            return 0; /* not a Python program */
        snprintf(why, size, "libguard has no CPython support here (CPython 3.8+, with "
                 "libguard preloaded); faulthandler.dump_traceback_later() can print it");
        return -1;
    }
    if (!raising) {
        snprintf(why, size, "they are logged as libguard raises an exception in the "
                 "interpreter, and this step raises none");
        return -1;
    }
    pthread_once(&dumper_once, find_dumper);
    if (!dumper.DumpThreads) {
        snprintf(why, size, "this interpreter neither exports _Py_DumpTracebackThreads nor has "
                 "a symbol table; `py-spy dump --pid %d` shows it", (int)getpid());
        return -1;
    }
    int free_slot = -1;
    for (int i = 0; i < MAX_DUE; i++) {
        pid_t t = atomic_load(&due[i]);
        if (t == tid)
            return 1; /* asked already, not yet delivered */
        if (!t && free_slot < 0)
            free_slot = i;
    }
    pid_t expected = 0;
    if (free_slot < 0 || !atomic_compare_exchange_strong(&due[free_slot], &expected, tid)) {
        snprintf(why, size, "too many exceptions not yet delivered");
        return -1;
    }
    return 1;
}

void lg_py_write_due_stacks(pid_t tid)
{
    bool asked = false;
    for (int i = 0; i < MAX_DUE; i++) {
        pid_t expected = tid;
        asked |= atomic_compare_exchange_strong(&due[i], &expected, 0);
    }
    if (!asked || !dumper.DumpThreads || !lg_log_enabled())
        return;
    char target[48];
    if (tid == getpid())
        snprintf(target, sizeof target, "main thread");
    else
        snprintf(target, sizeof target, "thread %d", (int)tid);
    /* The deliverer's own thread state is the "Current thread" (3.12+ take
     * the caller's anyway): the target's, or a helper's raising in it. */
    void *current = dumper.ThisThreadState();
    bool marked = current && tid == (pid_t)syscall(SYS_gettid);
    int fd = lg_stack_scratch();
    void *interp = dumper.InterpreterMain();
    const char *err = fd < 0 ? "no memory file to write it to"
                    : !interp ? "no interpreter"
                    : dumper.DumpThreads(fd, interp, current);
    if (err) {
        lg_log("no Python stack: %s", err);
        if (fd >= 0)
            close(fd);
        return;
    }
    lg_stack_log_python(fd, target, marked);
}

void lg_py_stacks_in_child(void)
{
    for (int i = 0; i < MAX_DUE; i++)
        atomic_store(&due[i], 0);
}
