/* Whether LD_PRELOAD can reach a program: not when it is statically
   linked (no program interpreter: no dynamic loader runs), a Go program
   (its net package makes the listen system call itself), or set-uid /
   set-gid (the loader ignores LD_PRELOAD there). A script is judged by
   its interpreter. */
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *run_out_of_reach(const char *path, char *why, size_t cap);

/* Reads len bytes at offset; 0, or -1. */
static int read_at(int fd, void *buf, size_t len, off_t offset)
{
    return pread(fd, buf, len, offset) == (ssize_t)len ? 0 : -1;
}

/* For a 64-bit ELF file: "statically linked", "a Go program" or NULL. */
static const char *elf64_reach(int fd)
{
    Elf64_Ehdr eh;
    Elf64_Shdr names;
    int i, interp = 0;

    if (read_at(fd, &eh, sizeof eh, 0) < 0 ||
        eh.e_phentsize != sizeof(Elf64_Phdr))
        return NULL;
    for (i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        if (read_at(fd, &ph, sizeof ph,
                    (off_t)(eh.e_phoff + (Elf64_Off)i * sizeof ph)) < 0)
            return NULL;
        if (ph.p_type == PT_INTERP)
            interp = 1;
    }
    if (!interp)
        return "statically linked (no dynamic loader runs)";
    /* Go marks its binaries with a .go.buildinfo section */
    if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shstrndx == SHN_UNDEF ||
        read_at(fd, &names, sizeof names,
                (off_t)(eh.e_shoff + (Elf64_Off)eh.e_shstrndx * sizeof names)) <
            0)
        return NULL;
    for (i = 0; i < eh.e_shnum; i++) {
        Elf64_Shdr sh;
        char name[16] = "";
        if (read_at(fd, &sh, sizeof sh,
                    (off_t)(eh.e_shoff + (Elf64_Off)i * sizeof sh)) < 0)
            return NULL;
        if (read_at(fd, name, sizeof name - 1,
                    (off_t)(names.sh_offset + sh.sh_name)) == 0 &&
            strcmp(name, ".go.buildinfo") == 0)
            return "a Go program (it makes the listen system call itself)";
    }
    return NULL;
}

const char *run_out_of_reach(const char *path, char *why, size_t cap)
{
    unsigned char head[128];
    struct stat st;
    const char *reason = NULL;
    int fd, depth;

    for (depth = 0; depth < 4; depth++) { /* a script's interpreter, ... */
        ssize_t n;
        if (stat(path, &st) == 0 && (st.st_mode & (S_ISUID | S_ISGID))) {
            snprintf(why, cap,
                     "set-uid or set-gid (the loader ignores "
                     "LD_PRELOAD there)");
            return why;
        }
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return NULL; /* exec will say why */
        n = pread(fd, head, sizeof head - 1, 0);
        if (n >= 4 && memcmp(head, ELFMAG, SELFMAG) == 0) {
            if (head[EI_CLASS] == ELFCLASS64)
                reason = elf64_reach(fd);
            close(fd);
            if (reason == NULL)
                return NULL;
            snprintf(why, cap, "%s", reason);
            return why;
        }
        close(fd);
        if (n < 3 || head[0] != '#' || head[1] != '!')
            return NULL;
        /* "#!/usr/bin/env python3": judge the interpreter */
        head[n] = '\0';
        {
            char *p = (char *)head + 2, *end;
            static char interpreter[128];
            while (*p == ' ' || *p == '\t')
                p++;
            end = p + strcspn(p, " \t\n");
            *end = '\0';
            snprintf(interpreter, sizeof interpreter, "%s", p);
            path = interpreter;
        }
    }
    return NULL;
}
