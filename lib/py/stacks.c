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
#include <unistd.h>

#include "options.h"
#include "py/capi.h"
#include "py/deliver.h"

bool lg_py_found;

/* faulthandler's dumper: exported by 3.8, 3.11, 3.12 and Debian's 3.11; a
 * local symbol in 3.9, 3.10, 3.13 (same signature in all), found in the
 * symbol table of unstripped builds (pyenv's). */
static struct {
    void *(*InterpreterMain)(void);
    void *(*ThreadHead)(void *);
    void *(*ThreadNext)(void *);
    void *(*ThisThreadState)(void);
    const char *(*DumpThreads)(int fd, void *interp, void *current);
} dumper;
static void *_Atomic main_tstate;     /* the main thread's */
static char symtab_path[LG_PATH_MAX]; /* where to look when not exported */
static uintptr_t symtab_base;
static dev_t symtab_dev;              /* the file loaded, not one put there since */
static ino_t symtab_ino;
static pthread_once_t dumper_once = PTHREAD_ONCE_INIT;

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
    /* Public since 3.x (InterpreterState_Main since 3.7): stacks need all. */
    if (!(*(void **)&dumper.ThreadHead = dlsym(RTLD_DEFAULT, "PyInterpreterState_ThreadHead"))
        || !(*(void **)&dumper.ThreadNext = dlsym(RTLD_DEFAULT, "PyThreadState_Next"))
        || !(*(void **)&dumper.ThisThreadState = dlsym(RTLD_DEFAULT, "PyGILState_GetThisThreadState"))
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

void lg_py_stacks_main_thread(void)
{
    if (dumper.ThisThreadState)
        atomic_store(&main_tstate, dumper.ThisThreadState()); /* a TSS read: safe */
}

int lg_python_stacks(int fd, pid_t tid, char *why, size_t size)
{
    if (!dumper.InterpreterMain) {
        if (!lg_py_found)
            return 0; /* not a Python program */
        snprintf(why, size, "libguard has no CPython support here (CPython 3.8+, with "
                 "libguard preloaded); faulthandler.dump_traceback_later() can print it");
        return -1;
    }
    if (fd < 0) {
        snprintf(why, size, "no memory file to write it to");
        return -1;
    }
    int m = atomic_load(&lg_py_mode);
    if (m != LG_PY_SIGNAL && m != LG_PY_PENDING) {
        /* Before install we do not know when finalisation begins. */
        snprintf(why, size, "%s", m == LG_PY_STARTING
                 ? "the interpreter has not started the program (or Python is embedded)"
                 : "the CPython support could not be set up");
        return -1;
    }
    pthread_once(&dumper_once, find_dumper);
    if (!dumper.DumpThreads) {
        snprintf(why, size, "this interpreter neither exports _Py_DumpTracebackThreads nor has "
                 "a symbol table; `py-spy dump --pid %d` shows it", (int)getpid());
        return -1;
    }
    atomic_fetch_add(&lg_py_inflight, 1); /* lg_py_begin_finalising waits for us */
    if (lg_py_finishing()) {
        atomic_fetch_sub(&lg_py_inflight, 1);
        snprintf(why, size, "the interpreter is shutting down");
        return -1;
    }
    void *interp = dumper.InterpreterMain(), *current = NULL, *main = atomic_load(&main_tstate);
    /* Mark the target ("Current thread") if it is the main thread and its
     * state is still listed; other threads' states name no kernel tid. */
    if (interp && main && tid == getpid()) {
        int n = 0;
        for (void *t = dumper.ThreadHead(interp); t && n < 1000; t = dumper.ThreadNext(t), n++)
            if (t == main) {
                current = main;
                break;
            }
    }
    const char *err = interp ? dumper.DumpThreads(fd, interp, current) : "no interpreter";
    atomic_fetch_sub(&lg_py_inflight, 1);
    if (err) {
        snprintf(why, size, "%s", err);
        return -1;
    }
    return current ? 1 : 2;
}
