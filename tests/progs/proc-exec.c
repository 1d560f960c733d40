/* execve and vfork (tests/process.rs: the same lines natively and in
 * lstar). The program re-executes itself through /proc/self/exe with a
 * mode in argv[1] to look at what exec kept and what it dropped; scripts
 * use /bin/busybox as their interpreter (the harness gives the guest
 * /bin/busybox), in a private directory under /tmp whose name is never
 * printed.
 *
 *   proc-exec               all the checks, then "done"
 *   proc-exec show ARGS...  (after exec) prints argc, argv[2..] and HELLO from the environment
 *   proc-exec fds N...      (after exec) prints which of the fds N... are open
 *   proc-exec args...      (as a #! interpreter) prints argv[1...]
 *   proc-exec sigs          (after exec) prints dispositions, mask and pending set
 *   proc-exec exit N        (after exec) exits N */
#include "proc.h"
#include <sys/syscall.h>

extern char **environ;
#define SELF "/proc/self/exe"

static int after_exec(int argc, char **argv)
{
    const char *mode = argv[1];
    if (strcmp(mode, "show") == 0) {
        printf("  argc=%d argv0=%s", argc, argv[0]);
        for (int i = 2; i < argc; i++)
            printf(" [%s]", argv[i]);
        const char *hello = getenv("HELLO");
        int nenv = 0;
        for (char **e = environ; *e; e++)
            nenv++;
        printf(" HELLO=%s envc=%d\n", hello ? hello : "(unset)", nenv);
        return 0;
    }
    if (strncmp(mode, "args", 4) == 0) {
        printf(" ");
        for (int i = 1; i < argc; i++)
            printf(" [%s]", argv[i]);
        printf("\n");
        return 0;
    }
    if (strcmp(mode, "fds") == 0) {
        printf(" ");
        for (int i = 2; i < argc; i++) {
            int fd = atoi(argv[i]);
            int flags = fcntl(fd, F_GETFD);
            printf(" fd%d:%s", i - 2, flags < 0 ? errname(errno) : "open");
        }
        printf("\n");
        return 0;
    }
    if (strcmp(mode, "sigs") == 0) {
        struct sigaction sa;
        sigaction(SIGUSR1, NULL, &sa);
        printf("  SIGUSR1 (had a handler): %s\n",
               sa.sa_handler == SIG_DFL ? "SIG_DFL" : sa.sa_handler == SIG_IGN ? "SIG_IGN" : "handler");
        sigaction(SIGUSR2, NULL, &sa);
        printf("  SIGUSR2 (was ignored): %s\n",
               sa.sa_handler == SIG_DFL ? "SIG_DFL" : sa.sa_handler == SIG_IGN ? "SIG_IGN" : "handler");
        sigset_t mask, pending;
        sigprocmask(SIG_BLOCK, NULL, &mask);
        sigpending(&pending);
        printf("  SIGTERM blocked: %s, SIGINT blocked: %s, SIGTERM pending: %s\n",
               yes(sigismember(&mask, SIGTERM)), yes(sigismember(&mask, SIGINT)),
               yes(sigismember(&pending, SIGTERM)));
        return 0;
    }
    if (strcmp(mode, "exit") == 0)
        return atoi(argv[2]);
    printf("unknown mode %s\n", mode);
    return 2;
}

/* Runs `path argv` in a child and returns its status; the exec's errno
 * (or 0) goes to *err through a CLOEXEC pipe. */
static int spawn(const char *path, char *const argv[], char *const envp[], int *err)
{
    int p[2];
    CHECK(pipe2(p, O_CLOEXEC) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        execve(path, argv, envp);
        int e = errno;
        CHECK(write(p[1], &e, sizeof e) == sizeof e);
        _exit(127);
    }
    close(p[1]);
    int e = 0;
    ssize_t n = read(p[0], &e, sizeof e);
    close(p[0]);
    *err = n == sizeof e ? e : 0;
    return wait_for(pid);
}

static void report(const char *what, const char *path, char *const argv[], char *const envp[])
{
    int err;
    int st = spawn(path, argv, envp, &err);
    if (err)
        printf("%s: execve -1 %s, child %s\n", what, errname(err), status_str(st));
    else
        printf("%s: %s\n", what, status_str(st));
}

static char *env_hello[] = {"HELLO=world", "OTHER=1", NULL};
static char *env_none[] = {NULL};

static void basic_exec(void)
{
    section("execve");
    char *a1[] = {"first", "show", "a b", "", "c", NULL};
    report("self with args and env", SELF, a1, env_hello);
    char *a2[] = {"x", "show", NULL};
    report("empty environment", SELF, a2, env_none);
    char *a3[] = {"x", "exit", "7", NULL};
    report("exit status after exec", SELF, a3, env_none);
    char *a4[] = {"busybox", "echo", "from busybox", NULL};
    report("/bin/busybox echo", "/bin/busybox", a4, env_none);
    char *a5[] = {"sh", "-c", "exit 33", NULL};
    report("busybox sh -c 'exit 33' (argv[0] sh)", "/bin/busybox", a5, env_none);
    char *a6[] = {"sh", "-c", "kill -TERM $$", NULL};
    report("busybox sh -c 'kill -TERM $$'", "/bin/busybox", a6, env_none);

    /* execveat(fd, "", AT_EMPTY_PATH), as fexecve does. */
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        int fd = open(SELF, O_RDONLY | O_CLOEXEC);
        CHECK(fd >= 0);
        char *a[] = {"fexec", "show", "via execveat", NULL};
        syscall(SYS_execveat, fd, "", a, env_none, AT_EMPTY_PATH);
        printf("execveat: -1 %s\n", errname(errno));
        _exit(127);
    }
    printf("execveat(AT_EMPTY_PATH): %s\n", status_str(wait_for(pid)));

    /* A failed execve leaves the caller as it was. */
    static int marker = 41;
    marker++;
    char *bad[] = {"nope", NULL};
    int r = execve("/nonexistent/program", bad, env_none);
    printf("failed execve in the caller: %d %s, still running with marker %d\n", r,
           errname(errno), marker);
}

static void exec_errors(void)
{
    section("execve errors");
    enter_tmpdir();
    char *argv[] = {"x", NULL};
    report("missing file", "./missing", argv, env_none);
    report("missing directory", "./nodir/x", argv, env_none);
    write_file("plain", "just text\n", 0755);
    report("component not a directory", "./plain/x", argv, env_none);
    report("text file without #!", "./plain", argv, env_none);
    write_file("empty", "", 0755);
    report("empty file", "./empty", argv, env_none);
    write_file("noexec", "#!/bin/busybox sh\necho never\n", 0644);
    report("no execute bit", "./noexec", argv, env_none);
    CHECK(mkdir("dir", 0755) == 0);
    report("a directory", "./dir", argv, env_none);
    report("/dev/null", "/dev/null", argv, env_none);
    write_file("badinterp", "#!/nonexistent/interp\n", 0755);
    report("#! with a missing interpreter", "./badinterp", argv, env_none);
    /* An ELF header with nothing behind it. */
    static const char elf[64] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
    int fd = open("badelf", O_WRONLY | O_CREAT | O_TRUNC, 0755);
    CHECK(fd >= 0);
    CHECK(write(fd, elf, sizeof elf) == sizeof elf);
    close(fd);
    report("truncated ELF", "./badelf", argv, env_none);

    /* One string longer than MAX_ARG_STRLEN (32 pages). */
    size_t len = 32 * 4096 + 100;
    char *huge = malloc(len + 1);
    CHECK(huge != NULL);
    memset(huge, 'a', len);
    huge[len] = 0;
    char *big_argv[] = {"x", "show", huge, NULL};
    report("one argument of 131,172 bytes", SELF, big_argv, env_none);
    char *big_env[] = {huge, NULL};
    char *show[] = {"x", "show", NULL};
    report("one environment string of 131,172 bytes", SELF, show, big_env);
    /* Just under the limit (with its NUL): runs. */
    huge[32 * 4096 - 1] = 0;
    int err;
    int st = spawn(SELF, (char *[]){"x", "exit", "0", huge, NULL}, env_none, &err);
    printf("one argument of 131,071 bytes: %s %s\n", err ? errname(err) : "ran", status_str(st));
    free(huge);

    unlink("plain");
    unlink("empty");
    unlink("noexec");
    unlink("badinterp");
    unlink("badelf");
    rmdir("dir");
    chdir("/");
    rmdir(proc_tmpdir);
}

static void scripts(void)
{
    section("#! scripts");
    enter_tmpdir();
    write_file("s1", "#!/bin/busybox sh\necho \"script: $# args: $*\"\nexit 12\n", 0755);
    char *a1[] = {"./s1", "one", "two words", NULL};
    report("#!/bin/busybox sh", "./s1", a1, env_none);
    /* Interpreter and one argument: everything after the interpreter,
     * inner spaces kept, as one argument; then the script's path as
     * execve got it, then argv[1...]. */
    char self[256], line[300];
    ssize_t n = readlink(SELF, self, sizeof self - 1);
    CHECK(n > 0 && n < 200);
    self[n] = 0;
    snprintf(line, sizeof line, "#!%s args one  two \n", self);
    write_file("s2", line, 0755);
    char *a2[] = {"ignored-argv0", "x", "y", NULL};
    report("#!THIS-PROGRAM args one  two", "./s2", a2, env_none);
    write_file("s3", "#!   /bin/busybox    echo\t\n", 0755);
    report("spaces and a tab around the interpreter", "./s3", a2, env_none);
    /* A script whose interpreter is a script. */
    write_file("s4", "#!./s2\n", 0755);
    char *a4[] = {"s4", "z", NULL};
    report("#! naming another script", "./s4", a4, env_none);
    /* The shell runs a script without #! itself (ENOEXEC fallback). */
    write_file("s5", "echo no shebang $1\n", 0755);
    char *a5[] = {"sh", "-c", "./s5 arg", NULL};
    report("busybox sh runs a script without #!", "/bin/busybox", a5, env_none);
    unlink("s1");
    unlink("s2");
    unlink("s3");
    unlink("s4");
    unlink("s5");
    chdir("/");
    rmdir(proc_tmpdir);
}

static void cloexec(void)
{
    section("close on exec");
    int plain = open("/dev/null", O_RDONLY);
    int ce = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int p[2];
    CHECK(pipe2(p, O_CLOEXEC) == 0);
    int q[2];
    CHECK(pipe(q) == 0);
    int set = open("/dev/null", O_RDONLY);
    CHECK(fcntl(set, F_SETFD, FD_CLOEXEC) == 0);
    int duped = dup(ce);             /* dup clears FD_CLOEXEC */
    int duped3 = dup3(plain, 40, O_CLOEXEC);
    int dupfd = fcntl(plain, F_DUPFD_CLOEXEC, 50);
    CHECK(plain >= 0 && ce >= 0 && set >= 0 && duped >= 0 && duped3 == 40 && dupfd >= 50);
    printf("F_GETFD: plain %d, O_CLOEXEC %d, pipe2 %d %d, F_SETFD %d, dup %d, dup3 %d, F_DUPFD_CLOEXEC %d\n",
           fcntl(plain, F_GETFD), fcntl(ce, F_GETFD), fcntl(p[0], F_GETFD), fcntl(p[1], F_GETFD),
           fcntl(set, F_GETFD), fcntl(duped, F_GETFD), fcntl(duped3, F_GETFD), fcntl(dupfd, F_GETFD));
    char n[8][12];
    int fds[8] = {plain, ce, p[0], p[1], q[0], set, duped, duped3};
    for (int i = 0; i < 8; i++)
        snprintf(n[i], sizeof n[i], "%d", fds[i]);
    char dn[12];
    snprintf(dn, sizeof dn, "%d", dupfd);
    printf("after exec: fd0 plain, fd1 O_CLOEXEC, fd2-3 pipe2(O_CLOEXEC), fd4 pipe, fd5 F_SETFD, fd6 dup, fd7 dup3(O_CLOEXEC), fd8 F_DUPFD_CLOEXEC\n");
    char *argv[] = {"x", "fds", n[0], n[1], n[2], n[3], n[4], n[5], n[6], n[7], dn, NULL};
    report("exec", SELF, argv, env_none);
    /* The write end of a CLOEXEC pipe closes at exec: the reader sees EOF
     * while the child still runs. */
    int r[2];
    CHECK(pipe2(r, O_CLOEXEC) == 0);
    int hold[2];
    CHECK(pipe(hold) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        close(r[0]);
        close(hold[1]);
        dup2(hold[0], 0);
        char *cat[] = {"cat", NULL};
        execve("/bin/busybox", cat, env_none); /* reads stdin until the parent closes it */
        _exit(127);
    }
    close(r[1]);
    close(hold[0]);
    char c;
    printf("read of the CLOEXEC pipe while the child runs: %s\n", RET(read(r[0], &c, 1)));
    close(hold[1]);
    printf("child: %s\n", status_str(wait_for(pid)));
    close(r[0]);
    close(plain);
    close(ce);
    close(p[0]);
    close(p[1]);
    close(q[0]);
    close(q[1]);
    close(set);
    close(duped);
    close(duped3);
    close(dupfd);
}

static void on_usr1(int s) { (void)s; }

static void signals_across_exec(void)
{
    section("signals across exec");
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        signal(SIGUSR1, on_usr1);
        signal(SIGUSR2, SIG_IGN);
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigprocmask(SIG_BLOCK, &set, NULL);
        raise(SIGTERM); /* stays pending across exec */
        char *argv[] = {"x", "sigs", NULL};
        execve(SELF, argv, env_none);
        _exit(127);
    }
    printf("child: %s\n", status_str(wait_for(pid)));
}

static int vfork_shared;

static void vfork_exec(void)
{
    section("vfork");
    vfork_shared = 1;
    pid_t pid = vfork();
    CHECK(pid >= 0);
    if (pid == 0) {
        vfork_shared = 2; /* the parent's memory, as CLONE_VM */
        char *argv[] = {"vforked", "show", "after vfork", NULL};
        execve(SELF, argv, env_hello);
        _exit(127);
    }
    /* The parent runs again only after the child's exec: what it sees
     * then is printed after the child's own line. */
    int seen = vfork_shared;
    int st = wait_for(pid);
    printf("parent resumed; shared variable %d\n", seen);
    printf("child: %s\n", status_str(st));
    pid = vfork();
    CHECK(pid >= 0);
    if (pid == 0) {
        vfork_shared = 3;
        _exit(8);
    }
    printf("vfork + _exit(8): shared variable %d, child %s\n", vfork_shared,
           status_str(wait_for(pid)));
    pid = vfork();
    CHECK(pid >= 0);
    if (pid == 0) {
        execve("/nonexistent", (char *[]){"x", NULL}, env_none);
        vfork_shared = 100 + errno;
        _exit(9);
    }
    printf("vfork + failed exec: errno seen %s, child %s\n", errname(vfork_shared - 100),
           status_str(wait_for(pid)));
}

int main(int argc, char **argv)
{
    proc_init();
    if (argc > 1)
        return after_exec(argc, argv);
    basic_exec();
    exec_errors();
    scripts();
    cloexec();
    signals_across_exec();
    vfork_exec();
    printf("done\n");
    return 0;
}
