/* clone and clone3 in their process flavours (tests/process.rs: the same
 * lines natively and in lstar): CLONE_PARENT_SETTID, CLONE_CHILD_SETTID,
 * CLONE_SETTLS, CLONE_VM | CLONE_VFORK with a stack of its own, an exit
 * signal other than SIGCHLD (a "clone child": wait needs __WALL or
 * __WCLONE), no exit signal at all, and clone3 with the same subset.
 * Raw system calls: the children touch no TLS (errno included) after a
 * clone that changed it. */
#include "proc.h"
#include <stdint.h>
#include <sys/syscall.h>

#ifndef CLONE_VM
#define CLONE_VM 0x00000100
#define CLONE_VFORK 0x00004000
#define CLONE_SETTLS 0x00080000
#define CLONE_PARENT_SETTID 0x00100000
#define CLONE_CHILD_SETTID 0x01000000
#endif
#ifndef __WALL
#define __WALL 0x40000000
#define __WCLONE 0x80000000
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#define ARCH_GET_FS 0x1003

struct clone_args_v0 {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

/* clone(flags, stack, ptid, ctid, tls): the x86-64 argument order. */
static long raw_clone(unsigned long flags, void *stack, int *ptid, int *ctid, void *tls)
{
    return syscall(SYS_clone, flags, stack, ptid, ctid, tls);
}

__attribute__((noreturn)) static void raw_exit(int code)
{
    for (;;)
        syscall(SYS_exit_group, code);
}

static int ctid_seen;

static void settid_flags(void)
{
    section("clone: tids");
    int ptid = 0;
    long pid = raw_clone(SIGCHLD | CLONE_PARENT_SETTID, NULL, &ptid, NULL, NULL);
    CHECK(pid >= 0);
    if (pid == 0)
        raw_exit(0);
    printf("CLONE_PARENT_SETTID: parent's word is the child's pid %s\n", yes(ptid == pid));
    printf("child: %s\n", status_str(wait_for(pid)));

    int ctid = 0;
    pid = raw_clone(SIGCHLD | CLONE_CHILD_SETTID, NULL, NULL, &ctid, NULL);
    CHECK(pid >= 0);
    if (pid == 0)
        raw_exit(ctid == syscall(SYS_getpid) ? 10 : 11);
    printf("CLONE_CHILD_SETTID: child's word is its pid (exit 10): %s; parent's word untouched %s\n",
           status_str(wait_for(pid)), yes(ctid == 0));
    (void)ctid_seen;
}

static uint64_t child_tls[64] __attribute__((aligned(64)));

static void settls(void)
{
    section("clone: CLONE_SETTLS");
    /* A copy of our thread control block (its stack-protector canary
     * included) that points to itself. */
    uint64_t cur = 0;
    syscall(SYS_arch_prctl, ARCH_GET_FS, &cur);
    memcpy(child_tls, (void *)(uintptr_t)cur, sizeof child_tls);
    child_tls[0] = (uint64_t)(uintptr_t)child_tls;
    long pid = raw_clone(SIGCHLD | CLONE_SETTLS, NULL, NULL, NULL, child_tls);
    CHECK(pid >= 0);
    if (pid == 0) {
        uint64_t fs = 0;
        syscall(SYS_arch_prctl, ARCH_GET_FS, &fs);
        uint64_t self;
        __asm__ volatile("mov %%fs:0, %0" : "=r"(self));
        raw_exit(fs == (uintptr_t)child_tls && self == (uintptr_t)child_tls ? 20 : 21);
    }
    printf("child's fs base is the new TLS (exit 20): %s\n", status_str(wait_for(pid)));
    uint64_t fs = 0;
    syscall(SYS_arch_prctl, ARCH_GET_FS, &fs);
    printf("parent's fs base unchanged: %s\n", yes(fs != (uintptr_t)child_tls));
}

static volatile int shared_word;
static char vfork_stack[64 * 1024] __attribute__((aligned(16)));

/* Runs on its own stack in the parent's memory: raw calls only. */
__attribute__((noinline)) static void vm_child(void)
{
    shared_word = 42;
    raw_exit(30);
}

static void vm_vfork(void)
{
    section("clone: CLONE_VM | CLONE_VFORK");
    shared_word = 1;
    char *top = vfork_stack + sizeof vfork_stack;
    long pid;
    /* The child starts on the new stack at the instruction after syscall:
     * it calls vm_child, which never returns. */
    register long r10 __asm__("r10") = 0;
    register long r8 __asm__("r8") = 0;
    __asm__ volatile("syscall\n\t"
                     "test %%rax, %%rax\n\t"
                     "jnz 1f\n\t"
                     "and $-16, %%rsp\n\t"
                     "call *%[fn]\n\t"
                     "ud2\n"
                     "1:"
                     : "=a"(pid)
                     : "0"(SYS_clone), "D"(CLONE_VM | CLONE_VFORK | SIGCHLD), "S"(top), "d"(0),
                       "r"(r10), "r"(r8), [fn] "r"(vm_child)
                     : "rcx", "r11", "memory");
    CHECK(pid > 0);
    int seen = shared_word; /* the child has exited: vfork waited */
    printf("parent resumed after the child exited; the child's store is visible %s\n",
           yes(seen == 42));
    printf("child: %s\n", status_str(wait_for(pid)));
}

static volatile int usr1_count;
static void on_usr1(int s)
{
    (void)s;
    usr1_count++;
}

static void exit_signals(void)
{
    section("clone: exit signals");
    signal(SIGUSR1, on_usr1);
    sigset_t usr1, old;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_BLOCK, &usr1, &old);
    long pid = raw_clone(SIGUSR1, NULL, NULL, NULL, NULL);
    CHECK(pid >= 0);
    if (pid == 0)
        raw_exit(40);
    int st;
    /* The parent gets SIGUSR1 when it exits; wait for it, race-free. */
    while (usr1_count == 0)
        sigsuspend(&old);
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("exit signal SIGUSR1 delivered to the parent: %s\n", yes(usr1_count == 1));
    printf("waitpid without __WALL: %s\n", RET(waitpid(pid, &st, WNOHANG)));
    printf("waitpid(-1) without __WALL: %s\n", RET(waitpid(-1, &st, WNOHANG)));
    long r = waitpid(pid, &st, __WCLONE);
    printf("waitpid __WCLONE: same pid %s, %s\n", yes(r == pid), status_str(st));

    pid = raw_clone(0, NULL, NULL, NULL, NULL); /* no exit signal */
    CHECK(pid >= 0);
    if (pid == 0)
        raw_exit(41);
    r = waitpid(pid, &st, __WALL);
    printf("no exit signal, waitpid __WALL: same pid %s, %s\n", yes(r == pid), status_str(st));
    printf("SIGUSR1 only once: %s\n", yes(usr1_count == 1));
    signal(SIGUSR1, SIG_DFL);
}

static void clone3_flavours(void)
{
    section("clone3");
    struct clone_args_v0 args;
    int ptid = 0;
    memset(&args, 0, sizeof args);
    args.flags = CLONE_PARENT_SETTID;
    args.parent_tid = (uintptr_t)&ptid;
    args.exit_signal = SIGCHLD;
    long pid = syscall(SYS_clone3, &args, sizeof args);
    CHECK(pid >= 0);
    if (pid == 0)
        raw_exit(50);
    printf("clone3 CLONE_PARENT_SETTID: word is the pid %s, child %s\n", yes(ptid == pid),
           status_str(wait_for(pid)));
    int ctid = 0;
    memset(&args, 0, sizeof args);
    args.flags = CLONE_CHILD_SETTID;
    args.child_tid = (uintptr_t)&ctid;
    args.exit_signal = SIGCHLD;
    pid = syscall(SYS_clone3, &args, sizeof args);
    CHECK(pid >= 0);
    if (pid == 0)
        raw_exit(ctid == syscall(SYS_getpid) ? 51 : 52);
    printf("clone3 CLONE_CHILD_SETTID (exit 51): %s\n", status_str(wait_for(pid)));
    memset(&args, 0, sizeof args);
    args.exit_signal = SIGCHLD;
    printf("clone3 with a size smaller than version 0 (64 bytes): %s\n",
           RET(syscall(SYS_clone3, &args, 32)));
    args.exit_signal = 65;
    printf("clone3 with exit signal 65: %s\n", RET(syscall(SYS_clone3, &args, sizeof args)));
}

int main(void)
{
    proc_init();
    settid_flags();
    settls();
    vm_vfork();
    exit_signals();
    clone3_flavours();
    printf("done\n");
    return 0;
}
