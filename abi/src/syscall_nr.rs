//! Linux x86 system call numbers and names, for the x86-64 (`syscall`) ABI
//! and the i386 (`int $0x80`) ABI.
//!
//! Shared so that the guest kernel (dispatch) and the VMM (traces) agree on
//! what a number means and print calls under the names strace uses.
//!
//! Facts transcribed (numbers and names only) from Linux's syscall tables:
//! - x86-64: `arch/x86/entry/syscalls/syscall_64.tbl`, torvalds/linux at
//!   commit 7237cb3e1544718a972b732e66ebcf0f63b128a5 (the v6.11 generation:
//!   `uretprobe` is 335, the last entry is 462 `mseal`). Only the `common`
//!   and `64` ABIs are kept; the x32-only entries (512..=547) are not.
//! - i386: `arch/x86/entry/syscalls/syscall_32.tbl`, ColinIanKing/linux-next
//!   at commit 2c257d94625b64165657f7334e613b77c7bcda41, cut at 462 `mseal`
//!   so that both tables describe the same kernel generation (that file
//!   goes on with 463..=466, the `*xattrat` calls added later).
//!
//! Numbers the table leaves unused are `""` in the name tables (on x86-64,
//! 336..=423; on i386, 222, 223, 251, 285, 387..=392 and 415). Names are the
//! table's, without the `sys_` prefix, which is also how strace prints them
//! (`newfstatat`, `rt_sigaction`, `_llseek`). Entries the table lists without
//! an entry point (`tuxcall`, `break`, ...) keep their name; Linux answers
//! them with `ENOSYS`.

/// x86-64 system call names, indexed by number (`rax` at `syscall`);
/// `""` for numbers Linux does not use on x86-64.
pub const SYSCALL_NAMES_64: &[&str] = &[
    "read",                    // 0
    "write",                   // 1
    "open",                    // 2
    "close",                   // 3
    "stat",                    // 4
    "fstat",                   // 5
    "lstat",                   // 6
    "poll",                    // 7
    "lseek",                   // 8
    "mmap",                    // 9
    "mprotect",                // 10
    "munmap",                  // 11
    "brk",                     // 12
    "rt_sigaction",            // 13
    "rt_sigprocmask",          // 14
    "rt_sigreturn",            // 15
    "ioctl",                   // 16
    "pread64",                 // 17
    "pwrite64",                // 18
    "readv",                   // 19
    "writev",                  // 20
    "access",                  // 21
    "pipe",                    // 22
    "select",                  // 23
    "sched_yield",             // 24
    "mremap",                  // 25
    "msync",                   // 26
    "mincore",                 // 27
    "madvise",                 // 28
    "shmget",                  // 29
    "shmat",                   // 30
    "shmctl",                  // 31
    "dup",                     // 32
    "dup2",                    // 33
    "pause",                   // 34
    "nanosleep",               // 35
    "getitimer",               // 36
    "alarm",                   // 37
    "setitimer",               // 38
    "getpid",                  // 39
    "sendfile",                // 40
    "socket",                  // 41
    "connect",                 // 42
    "accept",                  // 43
    "sendto",                  // 44
    "recvfrom",                // 45
    "sendmsg",                 // 46
    "recvmsg",                 // 47
    "shutdown",                // 48
    "bind",                    // 49
    "listen",                  // 50
    "getsockname",             // 51
    "getpeername",             // 52
    "socketpair",              // 53
    "setsockopt",              // 54
    "getsockopt",              // 55
    "clone",                   // 56
    "fork",                    // 57
    "vfork",                   // 58
    "execve",                  // 59
    "exit",                    // 60
    "wait4",                   // 61
    "kill",                    // 62
    "uname",                   // 63
    "semget",                  // 64
    "semop",                   // 65
    "semctl",                  // 66
    "shmdt",                   // 67
    "msgget",                  // 68
    "msgsnd",                  // 69
    "msgrcv",                  // 70
    "msgctl",                  // 71
    "fcntl",                   // 72
    "flock",                   // 73
    "fsync",                   // 74
    "fdatasync",               // 75
    "truncate",                // 76
    "ftruncate",               // 77
    "getdents",                // 78
    "getcwd",                  // 79
    "chdir",                   // 80
    "fchdir",                  // 81
    "rename",                  // 82
    "mkdir",                   // 83
    "rmdir",                   // 84
    "creat",                   // 85
    "link",                    // 86
    "unlink",                  // 87
    "symlink",                 // 88
    "readlink",                // 89
    "chmod",                   // 90
    "fchmod",                  // 91
    "chown",                   // 92
    "fchown",                  // 93
    "lchown",                  // 94
    "umask",                   // 95
    "gettimeofday",            // 96
    "getrlimit",               // 97
    "getrusage",               // 98
    "sysinfo",                 // 99
    "times",                   // 100
    "ptrace",                  // 101
    "getuid",                  // 102
    "syslog",                  // 103
    "getgid",                  // 104
    "setuid",                  // 105
    "setgid",                  // 106
    "geteuid",                 // 107
    "getegid",                 // 108
    "setpgid",                 // 109
    "getppid",                 // 110
    "getpgrp",                 // 111
    "setsid",                  // 112
    "setreuid",                // 113
    "setregid",                // 114
    "getgroups",               // 115
    "setgroups",               // 116
    "setresuid",               // 117
    "getresuid",               // 118
    "setresgid",               // 119
    "getresgid",               // 120
    "getpgid",                 // 121
    "setfsuid",                // 122
    "setfsgid",                // 123
    "getsid",                  // 124
    "capget",                  // 125
    "capset",                  // 126
    "rt_sigpending",           // 127
    "rt_sigtimedwait",         // 128
    "rt_sigqueueinfo",         // 129
    "rt_sigsuspend",           // 130
    "sigaltstack",             // 131
    "utime",                   // 132
    "mknod",                   // 133
    "uselib",                  // 134
    "personality",             // 135
    "ustat",                   // 136
    "statfs",                  // 137
    "fstatfs",                 // 138
    "sysfs",                   // 139
    "getpriority",             // 140
    "setpriority",             // 141
    "sched_setparam",          // 142
    "sched_getparam",          // 143
    "sched_setscheduler",      // 144
    "sched_getscheduler",      // 145
    "sched_get_priority_max",  // 146
    "sched_get_priority_min",  // 147
    "sched_rr_get_interval",   // 148
    "mlock",                   // 149
    "munlock",                 // 150
    "mlockall",                // 151
    "munlockall",              // 152
    "vhangup",                 // 153
    "modify_ldt",              // 154
    "pivot_root",              // 155
    "_sysctl",                 // 156
    "prctl",                   // 157
    "arch_prctl",              // 158
    "adjtimex",                // 159
    "setrlimit",               // 160
    "chroot",                  // 161
    "sync",                    // 162
    "acct",                    // 163
    "settimeofday",            // 164
    "mount",                   // 165
    "umount2",                 // 166
    "swapon",                  // 167
    "swapoff",                 // 168
    "reboot",                  // 169
    "sethostname",             // 170
    "setdomainname",           // 171
    "iopl",                    // 172
    "ioperm",                  // 173
    "create_module",           // 174
    "init_module",             // 175
    "delete_module",           // 176
    "get_kernel_syms",         // 177
    "query_module",            // 178
    "quotactl",                // 179
    "nfsservctl",              // 180
    "getpmsg",                 // 181
    "putpmsg",                 // 182
    "afs_syscall",             // 183
    "tuxcall",                 // 184
    "security",                // 185
    "gettid",                  // 186
    "readahead",               // 187
    "setxattr",                // 188
    "lsetxattr",               // 189
    "fsetxattr",               // 190
    "getxattr",                // 191
    "lgetxattr",               // 192
    "fgetxattr",               // 193
    "listxattr",               // 194
    "llistxattr",              // 195
    "flistxattr",              // 196
    "removexattr",             // 197
    "lremovexattr",            // 198
    "fremovexattr",            // 199
    "tkill",                   // 200
    "time",                    // 201
    "futex",                   // 202
    "sched_setaffinity",       // 203
    "sched_getaffinity",       // 204
    "set_thread_area",         // 205
    "io_setup",                // 206
    "io_destroy",              // 207
    "io_getevents",            // 208
    "io_submit",               // 209
    "io_cancel",               // 210
    "get_thread_area",         // 211
    "lookup_dcookie",          // 212
    "epoll_create",            // 213
    "epoll_ctl_old",           // 214
    "epoll_wait_old",          // 215
    "remap_file_pages",        // 216
    "getdents64",              // 217
    "set_tid_address",         // 218
    "restart_syscall",         // 219
    "semtimedop",              // 220
    "fadvise64",               // 221
    "timer_create",            // 222
    "timer_settime",           // 223
    "timer_gettime",           // 224
    "timer_getoverrun",        // 225
    "timer_delete",            // 226
    "clock_settime",           // 227
    "clock_gettime",           // 228
    "clock_getres",            // 229
    "clock_nanosleep",         // 230
    "exit_group",              // 231
    "epoll_wait",              // 232
    "epoll_ctl",               // 233
    "tgkill",                  // 234
    "utimes",                  // 235
    "vserver",                 // 236
    "mbind",                   // 237
    "set_mempolicy",           // 238
    "get_mempolicy",           // 239
    "mq_open",                 // 240
    "mq_unlink",               // 241
    "mq_timedsend",            // 242
    "mq_timedreceive",         // 243
    "mq_notify",               // 244
    "mq_getsetattr",           // 245
    "kexec_load",              // 246
    "waitid",                  // 247
    "add_key",                 // 248
    "request_key",             // 249
    "keyctl",                  // 250
    "ioprio_set",              // 251
    "ioprio_get",              // 252
    "inotify_init",            // 253
    "inotify_add_watch",       // 254
    "inotify_rm_watch",        // 255
    "migrate_pages",           // 256
    "openat",                  // 257
    "mkdirat",                 // 258
    "mknodat",                 // 259
    "fchownat",                // 260
    "futimesat",               // 261
    "newfstatat",              // 262
    "unlinkat",                // 263
    "renameat",                // 264
    "linkat",                  // 265
    "symlinkat",               // 266
    "readlinkat",              // 267
    "fchmodat",                // 268
    "faccessat",               // 269
    "pselect6",                // 270
    "ppoll",                   // 271
    "unshare",                 // 272
    "set_robust_list",         // 273
    "get_robust_list",         // 274
    "splice",                  // 275
    "tee",                     // 276
    "sync_file_range",         // 277
    "vmsplice",                // 278
    "move_pages",              // 279
    "utimensat",               // 280
    "epoll_pwait",             // 281
    "signalfd",                // 282
    "timerfd_create",          // 283
    "eventfd",                 // 284
    "fallocate",               // 285
    "timerfd_settime",         // 286
    "timerfd_gettime",         // 287
    "accept4",                 // 288
    "signalfd4",               // 289
    "eventfd2",                // 290
    "epoll_create1",           // 291
    "dup3",                    // 292
    "pipe2",                   // 293
    "inotify_init1",           // 294
    "preadv",                  // 295
    "pwritev",                 // 296
    "rt_tgsigqueueinfo",       // 297
    "perf_event_open",         // 298
    "recvmmsg",                // 299
    "fanotify_init",           // 300
    "fanotify_mark",           // 301
    "prlimit64",               // 302
    "name_to_handle_at",       // 303
    "open_by_handle_at",       // 304
    "clock_adjtime",           // 305
    "syncfs",                  // 306
    "sendmmsg",                // 307
    "setns",                   // 308
    "getcpu",                  // 309
    "process_vm_readv",        // 310
    "process_vm_writev",       // 311
    "kcmp",                    // 312
    "finit_module",            // 313
    "sched_setattr",           // 314
    "sched_getattr",           // 315
    "renameat2",               // 316
    "seccomp",                 // 317
    "getrandom",               // 318
    "memfd_create",            // 319
    "kexec_file_load",         // 320
    "bpf",                     // 321
    "execveat",                // 322
    "userfaultfd",             // 323
    "membarrier",              // 324
    "mlock2",                  // 325
    "copy_file_range",         // 326
    "preadv2",                 // 327
    "pwritev2",                // 328
    "pkey_mprotect",           // 329
    "pkey_alloc",              // 330
    "pkey_free",               // 331
    "statx",                   // 332
    "io_pgetevents",           // 333
    "rseq",                    // 334
    "uretprobe",               // 335
    "",                        // 336
    "",                        // 337
    "",                        // 338
    "",                        // 339
    "",                        // 340
    "",                        // 341
    "",                        // 342
    "",                        // 343
    "",                        // 344
    "",                        // 345
    "",                        // 346
    "",                        // 347
    "",                        // 348
    "",                        // 349
    "",                        // 350
    "",                        // 351
    "",                        // 352
    "",                        // 353
    "",                        // 354
    "",                        // 355
    "",                        // 356
    "",                        // 357
    "",                        // 358
    "",                        // 359
    "",                        // 360
    "",                        // 361
    "",                        // 362
    "",                        // 363
    "",                        // 364
    "",                        // 365
    "",                        // 366
    "",                        // 367
    "",                        // 368
    "",                        // 369
    "",                        // 370
    "",                        // 371
    "",                        // 372
    "",                        // 373
    "",                        // 374
    "",                        // 375
    "",                        // 376
    "",                        // 377
    "",                        // 378
    "",                        // 379
    "",                        // 380
    "",                        // 381
    "",                        // 382
    "",                        // 383
    "",                        // 384
    "",                        // 385
    "",                        // 386
    "",                        // 387
    "",                        // 388
    "",                        // 389
    "",                        // 390
    "",                        // 391
    "",                        // 392
    "",                        // 393
    "",                        // 394
    "",                        // 395
    "",                        // 396
    "",                        // 397
    "",                        // 398
    "",                        // 399
    "",                        // 400
    "",                        // 401
    "",                        // 402
    "",                        // 403
    "",                        // 404
    "",                        // 405
    "",                        // 406
    "",                        // 407
    "",                        // 408
    "",                        // 409
    "",                        // 410
    "",                        // 411
    "",                        // 412
    "",                        // 413
    "",                        // 414
    "",                        // 415
    "",                        // 416
    "",                        // 417
    "",                        // 418
    "",                        // 419
    "",                        // 420
    "",                        // 421
    "",                        // 422
    "",                        // 423
    "pidfd_send_signal",       // 424
    "io_uring_setup",          // 425
    "io_uring_enter",          // 426
    "io_uring_register",       // 427
    "open_tree",               // 428
    "move_mount",              // 429
    "fsopen",                  // 430
    "fsconfig",                // 431
    "fsmount",                 // 432
    "fspick",                  // 433
    "pidfd_open",              // 434
    "clone3",                  // 435
    "close_range",             // 436
    "openat2",                 // 437
    "pidfd_getfd",             // 438
    "faccessat2",              // 439
    "process_madvise",         // 440
    "epoll_pwait2",            // 441
    "mount_setattr",           // 442
    "quotactl_fd",             // 443
    "landlock_create_ruleset", // 444
    "landlock_add_rule",       // 445
    "landlock_restrict_self",  // 446
    "memfd_secret",            // 447
    "process_mrelease",        // 448
    "futex_waitv",             // 449
    "set_mempolicy_home_node", // 450
    "cachestat",               // 451
    "fchmodat2",               // 452
    "map_shadow_stack",        // 453
    "futex_wake",              // 454
    "futex_wait",              // 455
    "futex_requeue",           // 456
    "statmount",               // 457
    "listmount",               // 458
    "lsm_get_self_attr",       // 459
    "lsm_set_self_attr",       // 460
    "lsm_list_modules",        // 461
    "mseal",                   // 462
];

/// i386 system call names, indexed by number (`eax` at `int $0x80`);
/// `""` for numbers Linux does not use on i386.
pub const SYSCALL_NAMES_I386: &[&str] = &[
    "restart_syscall",              // 0
    "exit",                         // 1
    "fork",                         // 2
    "read",                         // 3
    "write",                        // 4
    "open",                         // 5
    "close",                        // 6
    "waitpid",                      // 7
    "creat",                        // 8
    "link",                         // 9
    "unlink",                       // 10
    "execve",                       // 11
    "chdir",                        // 12
    "time",                         // 13
    "mknod",                        // 14
    "chmod",                        // 15
    "lchown",                       // 16
    "break",                        // 17
    "oldstat",                      // 18
    "lseek",                        // 19
    "getpid",                       // 20
    "mount",                        // 21
    "umount",                       // 22
    "setuid",                       // 23
    "getuid",                       // 24
    "stime",                        // 25
    "ptrace",                       // 26
    "alarm",                        // 27
    "oldfstat",                     // 28
    "pause",                        // 29
    "utime",                        // 30
    "stty",                         // 31
    "gtty",                         // 32
    "access",                       // 33
    "nice",                         // 34
    "ftime",                        // 35
    "sync",                         // 36
    "kill",                         // 37
    "rename",                       // 38
    "mkdir",                        // 39
    "rmdir",                        // 40
    "dup",                          // 41
    "pipe",                         // 42
    "times",                        // 43
    "prof",                         // 44
    "brk",                          // 45
    "setgid",                       // 46
    "getgid",                       // 47
    "signal",                       // 48
    "geteuid",                      // 49
    "getegid",                      // 50
    "acct",                         // 51
    "umount2",                      // 52
    "lock",                         // 53
    "ioctl",                        // 54
    "fcntl",                        // 55
    "mpx",                          // 56
    "setpgid",                      // 57
    "ulimit",                       // 58
    "oldolduname",                  // 59
    "umask",                        // 60
    "chroot",                       // 61
    "ustat",                        // 62
    "dup2",                         // 63
    "getppid",                      // 64
    "getpgrp",                      // 65
    "setsid",                       // 66
    "sigaction",                    // 67
    "sgetmask",                     // 68
    "ssetmask",                     // 69
    "setreuid",                     // 70
    "setregid",                     // 71
    "sigsuspend",                   // 72
    "sigpending",                   // 73
    "sethostname",                  // 74
    "setrlimit",                    // 75
    "getrlimit",                    // 76
    "getrusage",                    // 77
    "gettimeofday",                 // 78
    "settimeofday",                 // 79
    "getgroups",                    // 80
    "setgroups",                    // 81
    "select",                       // 82
    "symlink",                      // 83
    "oldlstat",                     // 84
    "readlink",                     // 85
    "uselib",                       // 86
    "swapon",                       // 87
    "reboot",                       // 88
    "readdir",                      // 89
    "mmap",                         // 90
    "munmap",                       // 91
    "truncate",                     // 92
    "ftruncate",                    // 93
    "fchmod",                       // 94
    "fchown",                       // 95
    "getpriority",                  // 96
    "setpriority",                  // 97
    "profil",                       // 98
    "statfs",                       // 99
    "fstatfs",                      // 100
    "ioperm",                       // 101
    "socketcall",                   // 102
    "syslog",                       // 103
    "setitimer",                    // 104
    "getitimer",                    // 105
    "stat",                         // 106
    "lstat",                        // 107
    "fstat",                        // 108
    "olduname",                     // 109
    "iopl",                         // 110
    "vhangup",                      // 111
    "idle",                         // 112
    "vm86old",                      // 113
    "wait4",                        // 114
    "swapoff",                      // 115
    "sysinfo",                      // 116
    "ipc",                          // 117
    "fsync",                        // 118
    "sigreturn",                    // 119
    "clone",                        // 120
    "setdomainname",                // 121
    "uname",                        // 122
    "modify_ldt",                   // 123
    "adjtimex",                     // 124
    "mprotect",                     // 125
    "sigprocmask",                  // 126
    "create_module",                // 127
    "init_module",                  // 128
    "delete_module",                // 129
    "get_kernel_syms",              // 130
    "quotactl",                     // 131
    "getpgid",                      // 132
    "fchdir",                       // 133
    "bdflush",                      // 134
    "sysfs",                        // 135
    "personality",                  // 136
    "afs_syscall",                  // 137
    "setfsuid",                     // 138
    "setfsgid",                     // 139
    "_llseek",                      // 140
    "getdents",                     // 141
    "_newselect",                   // 142
    "flock",                        // 143
    "msync",                        // 144
    "readv",                        // 145
    "writev",                       // 146
    "getsid",                       // 147
    "fdatasync",                    // 148
    "_sysctl",                      // 149
    "mlock",                        // 150
    "munlock",                      // 151
    "mlockall",                     // 152
    "munlockall",                   // 153
    "sched_setparam",               // 154
    "sched_getparam",               // 155
    "sched_setscheduler",           // 156
    "sched_getscheduler",           // 157
    "sched_yield",                  // 158
    "sched_get_priority_max",       // 159
    "sched_get_priority_min",       // 160
    "sched_rr_get_interval",        // 161
    "nanosleep",                    // 162
    "mremap",                       // 163
    "setresuid",                    // 164
    "getresuid",                    // 165
    "vm86",                         // 166
    "query_module",                 // 167
    "poll",                         // 168
    "nfsservctl",                   // 169
    "setresgid",                    // 170
    "getresgid",                    // 171
    "prctl",                        // 172
    "rt_sigreturn",                 // 173
    "rt_sigaction",                 // 174
    "rt_sigprocmask",               // 175
    "rt_sigpending",                // 176
    "rt_sigtimedwait",              // 177
    "rt_sigqueueinfo",              // 178
    "rt_sigsuspend",                // 179
    "pread64",                      // 180
    "pwrite64",                     // 181
    "chown",                        // 182
    "getcwd",                       // 183
    "capget",                       // 184
    "capset",                       // 185
    "sigaltstack",                  // 186
    "sendfile",                     // 187
    "getpmsg",                      // 188
    "putpmsg",                      // 189
    "vfork",                        // 190
    "ugetrlimit",                   // 191
    "mmap2",                        // 192
    "truncate64",                   // 193
    "ftruncate64",                  // 194
    "stat64",                       // 195
    "lstat64",                      // 196
    "fstat64",                      // 197
    "lchown32",                     // 198
    "getuid32",                     // 199
    "getgid32",                     // 200
    "geteuid32",                    // 201
    "getegid32",                    // 202
    "setreuid32",                   // 203
    "setregid32",                   // 204
    "getgroups32",                  // 205
    "setgroups32",                  // 206
    "fchown32",                     // 207
    "setresuid32",                  // 208
    "getresuid32",                  // 209
    "setresgid32",                  // 210
    "getresgid32",                  // 211
    "chown32",                      // 212
    "setuid32",                     // 213
    "setgid32",                     // 214
    "setfsuid32",                   // 215
    "setfsgid32",                   // 216
    "pivot_root",                   // 217
    "mincore",                      // 218
    "madvise",                      // 219
    "getdents64",                   // 220
    "fcntl64",                      // 221
    "",                             // 222
    "",                             // 223
    "gettid",                       // 224
    "readahead",                    // 225
    "setxattr",                     // 226
    "lsetxattr",                    // 227
    "fsetxattr",                    // 228
    "getxattr",                     // 229
    "lgetxattr",                    // 230
    "fgetxattr",                    // 231
    "listxattr",                    // 232
    "llistxattr",                   // 233
    "flistxattr",                   // 234
    "removexattr",                  // 235
    "lremovexattr",                 // 236
    "fremovexattr",                 // 237
    "tkill",                        // 238
    "sendfile64",                   // 239
    "futex",                        // 240
    "sched_setaffinity",            // 241
    "sched_getaffinity",            // 242
    "set_thread_area",              // 243
    "get_thread_area",              // 244
    "io_setup",                     // 245
    "io_destroy",                   // 246
    "io_getevents",                 // 247
    "io_submit",                    // 248
    "io_cancel",                    // 249
    "fadvise64",                    // 250
    "",                             // 251
    "exit_group",                   // 252
    "lookup_dcookie",               // 253
    "epoll_create",                 // 254
    "epoll_ctl",                    // 255
    "epoll_wait",                   // 256
    "remap_file_pages",             // 257
    "set_tid_address",              // 258
    "timer_create",                 // 259
    "timer_settime",                // 260
    "timer_gettime",                // 261
    "timer_getoverrun",             // 262
    "timer_delete",                 // 263
    "clock_settime",                // 264
    "clock_gettime",                // 265
    "clock_getres",                 // 266
    "clock_nanosleep",              // 267
    "statfs64",                     // 268
    "fstatfs64",                    // 269
    "tgkill",                       // 270
    "utimes",                       // 271
    "fadvise64_64",                 // 272
    "vserver",                      // 273
    "mbind",                        // 274
    "get_mempolicy",                // 275
    "set_mempolicy",                // 276
    "mq_open",                      // 277
    "mq_unlink",                    // 278
    "mq_timedsend",                 // 279
    "mq_timedreceive",              // 280
    "mq_notify",                    // 281
    "mq_getsetattr",                // 282
    "kexec_load",                   // 283
    "waitid",                       // 284
    "",                             // 285
    "add_key",                      // 286
    "request_key",                  // 287
    "keyctl",                       // 288
    "ioprio_set",                   // 289
    "ioprio_get",                   // 290
    "inotify_init",                 // 291
    "inotify_add_watch",            // 292
    "inotify_rm_watch",             // 293
    "migrate_pages",                // 294
    "openat",                       // 295
    "mkdirat",                      // 296
    "mknodat",                      // 297
    "fchownat",                     // 298
    "futimesat",                    // 299
    "fstatat64",                    // 300
    "unlinkat",                     // 301
    "renameat",                     // 302
    "linkat",                       // 303
    "symlinkat",                    // 304
    "readlinkat",                   // 305
    "fchmodat",                     // 306
    "faccessat",                    // 307
    "pselect6",                     // 308
    "ppoll",                        // 309
    "unshare",                      // 310
    "set_robust_list",              // 311
    "get_robust_list",              // 312
    "splice",                       // 313
    "sync_file_range",              // 314
    "tee",                          // 315
    "vmsplice",                     // 316
    "move_pages",                   // 317
    "getcpu",                       // 318
    "epoll_pwait",                  // 319
    "utimensat",                    // 320
    "signalfd",                     // 321
    "timerfd_create",               // 322
    "eventfd",                      // 323
    "fallocate",                    // 324
    "timerfd_settime",              // 325
    "timerfd_gettime",              // 326
    "signalfd4",                    // 327
    "eventfd2",                     // 328
    "epoll_create1",                // 329
    "dup3",                         // 330
    "pipe2",                        // 331
    "inotify_init1",                // 332
    "preadv",                       // 333
    "pwritev",                      // 334
    "rt_tgsigqueueinfo",            // 335
    "perf_event_open",              // 336
    "recvmmsg",                     // 337
    "fanotify_init",                // 338
    "fanotify_mark",                // 339
    "prlimit64",                    // 340
    "name_to_handle_at",            // 341
    "open_by_handle_at",            // 342
    "clock_adjtime",                // 343
    "syncfs",                       // 344
    "sendmmsg",                     // 345
    "setns",                        // 346
    "process_vm_readv",             // 347
    "process_vm_writev",            // 348
    "kcmp",                         // 349
    "finit_module",                 // 350
    "sched_setattr",                // 351
    "sched_getattr",                // 352
    "renameat2",                    // 353
    "seccomp",                      // 354
    "getrandom",                    // 355
    "memfd_create",                 // 356
    "bpf",                          // 357
    "execveat",                     // 358
    "socket",                       // 359
    "socketpair",                   // 360
    "bind",                         // 361
    "connect",                      // 362
    "listen",                       // 363
    "accept4",                      // 364
    "getsockopt",                   // 365
    "setsockopt",                   // 366
    "getsockname",                  // 367
    "getpeername",                  // 368
    "sendto",                       // 369
    "sendmsg",                      // 370
    "recvfrom",                     // 371
    "recvmsg",                      // 372
    "shutdown",                     // 373
    "userfaultfd",                  // 374
    "membarrier",                   // 375
    "mlock2",                       // 376
    "copy_file_range",              // 377
    "preadv2",                      // 378
    "pwritev2",                     // 379
    "pkey_mprotect",                // 380
    "pkey_alloc",                   // 381
    "pkey_free",                    // 382
    "statx",                        // 383
    "arch_prctl",                   // 384
    "io_pgetevents",                // 385
    "rseq",                         // 386
    "",                             // 387
    "",                             // 388
    "",                             // 389
    "",                             // 390
    "",                             // 391
    "",                             // 392
    "semget",                       // 393
    "semctl",                       // 394
    "shmget",                       // 395
    "shmctl",                       // 396
    "shmat",                        // 397
    "shmdt",                        // 398
    "msgget",                       // 399
    "msgsnd",                       // 400
    "msgrcv",                       // 401
    "msgctl",                       // 402
    "clock_gettime64",              // 403
    "clock_settime64",              // 404
    "clock_adjtime64",              // 405
    "clock_getres_time64",          // 406
    "clock_nanosleep_time64",       // 407
    "timer_gettime64",              // 408
    "timer_settime64",              // 409
    "timerfd_gettime64",            // 410
    "timerfd_settime64",            // 411
    "utimensat_time64",             // 412
    "pselect6_time64",              // 413
    "ppoll_time64",                 // 414
    "",                             // 415
    "io_pgetevents_time64",         // 416
    "recvmmsg_time64",              // 417
    "mq_timedsend_time64",          // 418
    "mq_timedreceive_time64",       // 419
    "semtimedop_time64",            // 420
    "rt_sigtimedwait_time64",       // 421
    "futex_time64",                 // 422
    "sched_rr_get_interval_time64", // 423
    "pidfd_send_signal",            // 424
    "io_uring_setup",               // 425
    "io_uring_enter",               // 426
    "io_uring_register",            // 427
    "open_tree",                    // 428
    "move_mount",                   // 429
    "fsopen",                       // 430
    "fsconfig",                     // 431
    "fsmount",                      // 432
    "fspick",                       // 433
    "pidfd_open",                   // 434
    "clone3",                       // 435
    "close_range",                  // 436
    "openat2",                      // 437
    "pidfd_getfd",                  // 438
    "faccessat2",                   // 439
    "process_madvise",              // 440
    "epoll_pwait2",                 // 441
    "mount_setattr",                // 442
    "quotactl_fd",                  // 443
    "landlock_create_ruleset",      // 444
    "landlock_add_rule",            // 445
    "landlock_restrict_self",       // 446
    "memfd_secret",                 // 447
    "process_mrelease",             // 448
    "futex_waitv",                  // 449
    "set_mempolicy_home_node",      // 450
    "cachestat",                    // 451
    "fchmodat2",                    // 452
    "map_shadow_stack",             // 453
    "futex_wake",                   // 454
    "futex_wait",                   // 455
    "futex_requeue",                // 456
    "statmount",                    // 457
    "listmount",                    // 458
    "lsm_get_self_attr",            // 459
    "lsm_set_self_attr",            // 460
    "lsm_list_modules",             // 461
    "mseal",                        // 462
];

/// Length of [`SYSCALL_NAMES_64`]: one more than the highest x86-64 number.
pub const NR_SYSCALLS_64: usize = SYSCALL_NAMES_64.len();
/// Length of [`SYSCALL_NAMES_I386`]: one more than the highest i386 number.
pub const NR_SYSCALLS_I386: usize = SYSCALL_NAMES_I386.len();

fn lookup(table: &'static [&'static str], nr: u64) -> Option<&'static str> {
    let name = *table.get(usize::try_from(nr).ok()?)?;
    (!name.is_empty()).then_some(name)
}

/// The name of x86-64 system call `nr`, or `None` if Linux has none there.
pub fn name_64(nr: u64) -> Option<&'static str> {
    lookup(SYSCALL_NAMES_64, nr)
}

/// The name of i386 system call `nr`, or `None` if Linux has none there.
pub fn name_i386(nr: u64) -> Option<&'static str> {
    lookup(SYSCALL_NAMES_I386, nr)
}

/// x86-64 system call numbers (`__NR_*` of the x86-64 ABI).
pub mod nr {
    pub const READ: usize = 0;
    pub const WRITE: usize = 1;
    pub const OPEN: usize = 2;
    pub const CLOSE: usize = 3;
    pub const STAT: usize = 4;
    pub const FSTAT: usize = 5;
    pub const LSTAT: usize = 6;
    pub const POLL: usize = 7;
    pub const LSEEK: usize = 8;
    pub const MMAP: usize = 9;
    pub const MPROTECT: usize = 10;
    pub const MUNMAP: usize = 11;
    pub const BRK: usize = 12;
    pub const RT_SIGACTION: usize = 13;
    pub const RT_SIGPROCMASK: usize = 14;
    pub const RT_SIGRETURN: usize = 15;
    pub const IOCTL: usize = 16;
    pub const PREAD64: usize = 17;
    pub const PWRITE64: usize = 18;
    pub const READV: usize = 19;
    pub const WRITEV: usize = 20;
    pub const ACCESS: usize = 21;
    pub const PIPE: usize = 22;
    pub const SELECT: usize = 23;
    pub const SCHED_YIELD: usize = 24;
    pub const MREMAP: usize = 25;
    pub const MSYNC: usize = 26;
    pub const MINCORE: usize = 27;
    pub const MADVISE: usize = 28;
    pub const SHMGET: usize = 29;
    pub const SHMAT: usize = 30;
    pub const SHMCTL: usize = 31;
    pub const DUP: usize = 32;
    pub const DUP2: usize = 33;
    pub const PAUSE: usize = 34;
    pub const NANOSLEEP: usize = 35;
    pub const GETITIMER: usize = 36;
    pub const ALARM: usize = 37;
    pub const SETITIMER: usize = 38;
    pub const GETPID: usize = 39;
    pub const SENDFILE: usize = 40;
    pub const SOCKET: usize = 41;
    pub const CONNECT: usize = 42;
    pub const ACCEPT: usize = 43;
    pub const SENDTO: usize = 44;
    pub const RECVFROM: usize = 45;
    pub const SENDMSG: usize = 46;
    pub const RECVMSG: usize = 47;
    pub const SHUTDOWN: usize = 48;
    pub const BIND: usize = 49;
    pub const LISTEN: usize = 50;
    pub const GETSOCKNAME: usize = 51;
    pub const GETPEERNAME: usize = 52;
    pub const SOCKETPAIR: usize = 53;
    pub const SETSOCKOPT: usize = 54;
    pub const GETSOCKOPT: usize = 55;
    pub const CLONE: usize = 56;
    pub const FORK: usize = 57;
    pub const VFORK: usize = 58;
    pub const EXECVE: usize = 59;
    pub const EXIT: usize = 60;
    pub const WAIT4: usize = 61;
    pub const KILL: usize = 62;
    pub const UNAME: usize = 63;
    pub const SEMGET: usize = 64;
    pub const SEMOP: usize = 65;
    pub const SEMCTL: usize = 66;
    pub const SHMDT: usize = 67;
    pub const MSGGET: usize = 68;
    pub const MSGSND: usize = 69;
    pub const MSGRCV: usize = 70;
    pub const MSGCTL: usize = 71;
    pub const FCNTL: usize = 72;
    pub const FLOCK: usize = 73;
    pub const FSYNC: usize = 74;
    pub const FDATASYNC: usize = 75;
    pub const TRUNCATE: usize = 76;
    pub const FTRUNCATE: usize = 77;
    pub const GETDENTS: usize = 78;
    pub const GETCWD: usize = 79;
    pub const CHDIR: usize = 80;
    pub const FCHDIR: usize = 81;
    pub const RENAME: usize = 82;
    pub const MKDIR: usize = 83;
    pub const RMDIR: usize = 84;
    pub const CREAT: usize = 85;
    pub const LINK: usize = 86;
    pub const UNLINK: usize = 87;
    pub const SYMLINK: usize = 88;
    pub const READLINK: usize = 89;
    pub const CHMOD: usize = 90;
    pub const FCHMOD: usize = 91;
    pub const CHOWN: usize = 92;
    pub const FCHOWN: usize = 93;
    pub const LCHOWN: usize = 94;
    pub const UMASK: usize = 95;
    pub const GETTIMEOFDAY: usize = 96;
    pub const GETRLIMIT: usize = 97;
    pub const GETRUSAGE: usize = 98;
    pub const SYSINFO: usize = 99;
    pub const TIMES: usize = 100;
    pub const PTRACE: usize = 101;
    pub const GETUID: usize = 102;
    pub const SYSLOG: usize = 103;
    pub const GETGID: usize = 104;
    pub const SETUID: usize = 105;
    pub const SETGID: usize = 106;
    pub const GETEUID: usize = 107;
    pub const GETEGID: usize = 108;
    pub const SETPGID: usize = 109;
    pub const GETPPID: usize = 110;
    pub const GETPGRP: usize = 111;
    pub const SETSID: usize = 112;
    pub const SETREUID: usize = 113;
    pub const SETREGID: usize = 114;
    pub const GETGROUPS: usize = 115;
    pub const SETGROUPS: usize = 116;
    pub const SETRESUID: usize = 117;
    pub const GETRESUID: usize = 118;
    pub const SETRESGID: usize = 119;
    pub const GETRESGID: usize = 120;
    pub const GETPGID: usize = 121;
    pub const SETFSUID: usize = 122;
    pub const SETFSGID: usize = 123;
    pub const GETSID: usize = 124;
    pub const CAPGET: usize = 125;
    pub const CAPSET: usize = 126;
    pub const RT_SIGPENDING: usize = 127;
    pub const RT_SIGTIMEDWAIT: usize = 128;
    pub const RT_SIGQUEUEINFO: usize = 129;
    pub const RT_SIGSUSPEND: usize = 130;
    pub const SIGALTSTACK: usize = 131;
    pub const UTIME: usize = 132;
    pub const MKNOD: usize = 133;
    pub const USELIB: usize = 134;
    pub const PERSONALITY: usize = 135;
    pub const USTAT: usize = 136;
    pub const STATFS: usize = 137;
    pub const FSTATFS: usize = 138;
    pub const SYSFS: usize = 139;
    pub const GETPRIORITY: usize = 140;
    pub const SETPRIORITY: usize = 141;
    pub const SCHED_SETPARAM: usize = 142;
    pub const SCHED_GETPARAM: usize = 143;
    pub const SCHED_SETSCHEDULER: usize = 144;
    pub const SCHED_GETSCHEDULER: usize = 145;
    pub const SCHED_GET_PRIORITY_MAX: usize = 146;
    pub const SCHED_GET_PRIORITY_MIN: usize = 147;
    pub const SCHED_RR_GET_INTERVAL: usize = 148;
    pub const MLOCK: usize = 149;
    pub const MUNLOCK: usize = 150;
    pub const MLOCKALL: usize = 151;
    pub const MUNLOCKALL: usize = 152;
    pub const VHANGUP: usize = 153;
    pub const MODIFY_LDT: usize = 154;
    pub const PIVOT_ROOT: usize = 155;
    pub const _SYSCTL: usize = 156;
    pub const PRCTL: usize = 157;
    pub const ARCH_PRCTL: usize = 158;
    pub const ADJTIMEX: usize = 159;
    pub const SETRLIMIT: usize = 160;
    pub const CHROOT: usize = 161;
    pub const SYNC: usize = 162;
    pub const ACCT: usize = 163;
    pub const SETTIMEOFDAY: usize = 164;
    pub const MOUNT: usize = 165;
    pub const UMOUNT2: usize = 166;
    pub const SWAPON: usize = 167;
    pub const SWAPOFF: usize = 168;
    pub const REBOOT: usize = 169;
    pub const SETHOSTNAME: usize = 170;
    pub const SETDOMAINNAME: usize = 171;
    pub const IOPL: usize = 172;
    pub const IOPERM: usize = 173;
    pub const CREATE_MODULE: usize = 174;
    pub const INIT_MODULE: usize = 175;
    pub const DELETE_MODULE: usize = 176;
    pub const GET_KERNEL_SYMS: usize = 177;
    pub const QUERY_MODULE: usize = 178;
    pub const QUOTACTL: usize = 179;
    pub const NFSSERVCTL: usize = 180;
    pub const GETPMSG: usize = 181;
    pub const PUTPMSG: usize = 182;
    pub const AFS_SYSCALL: usize = 183;
    pub const TUXCALL: usize = 184;
    pub const SECURITY: usize = 185;
    pub const GETTID: usize = 186;
    pub const READAHEAD: usize = 187;
    pub const SETXATTR: usize = 188;
    pub const LSETXATTR: usize = 189;
    pub const FSETXATTR: usize = 190;
    pub const GETXATTR: usize = 191;
    pub const LGETXATTR: usize = 192;
    pub const FGETXATTR: usize = 193;
    pub const LISTXATTR: usize = 194;
    pub const LLISTXATTR: usize = 195;
    pub const FLISTXATTR: usize = 196;
    pub const REMOVEXATTR: usize = 197;
    pub const LREMOVEXATTR: usize = 198;
    pub const FREMOVEXATTR: usize = 199;
    pub const TKILL: usize = 200;
    pub const TIME: usize = 201;
    pub const FUTEX: usize = 202;
    pub const SCHED_SETAFFINITY: usize = 203;
    pub const SCHED_GETAFFINITY: usize = 204;
    pub const SET_THREAD_AREA: usize = 205;
    pub const IO_SETUP: usize = 206;
    pub const IO_DESTROY: usize = 207;
    pub const IO_GETEVENTS: usize = 208;
    pub const IO_SUBMIT: usize = 209;
    pub const IO_CANCEL: usize = 210;
    pub const GET_THREAD_AREA: usize = 211;
    pub const LOOKUP_DCOOKIE: usize = 212;
    pub const EPOLL_CREATE: usize = 213;
    pub const EPOLL_CTL_OLD: usize = 214;
    pub const EPOLL_WAIT_OLD: usize = 215;
    pub const REMAP_FILE_PAGES: usize = 216;
    pub const GETDENTS64: usize = 217;
    pub const SET_TID_ADDRESS: usize = 218;
    pub const RESTART_SYSCALL: usize = 219;
    pub const SEMTIMEDOP: usize = 220;
    pub const FADVISE64: usize = 221;
    pub const TIMER_CREATE: usize = 222;
    pub const TIMER_SETTIME: usize = 223;
    pub const TIMER_GETTIME: usize = 224;
    pub const TIMER_GETOVERRUN: usize = 225;
    pub const TIMER_DELETE: usize = 226;
    pub const CLOCK_SETTIME: usize = 227;
    pub const CLOCK_GETTIME: usize = 228;
    pub const CLOCK_GETRES: usize = 229;
    pub const CLOCK_NANOSLEEP: usize = 230;
    pub const EXIT_GROUP: usize = 231;
    pub const EPOLL_WAIT: usize = 232;
    pub const EPOLL_CTL: usize = 233;
    pub const TGKILL: usize = 234;
    pub const UTIMES: usize = 235;
    pub const VSERVER: usize = 236;
    pub const MBIND: usize = 237;
    pub const SET_MEMPOLICY: usize = 238;
    pub const GET_MEMPOLICY: usize = 239;
    pub const MQ_OPEN: usize = 240;
    pub const MQ_UNLINK: usize = 241;
    pub const MQ_TIMEDSEND: usize = 242;
    pub const MQ_TIMEDRECEIVE: usize = 243;
    pub const MQ_NOTIFY: usize = 244;
    pub const MQ_GETSETATTR: usize = 245;
    pub const KEXEC_LOAD: usize = 246;
    pub const WAITID: usize = 247;
    pub const ADD_KEY: usize = 248;
    pub const REQUEST_KEY: usize = 249;
    pub const KEYCTL: usize = 250;
    pub const IOPRIO_SET: usize = 251;
    pub const IOPRIO_GET: usize = 252;
    pub const INOTIFY_INIT: usize = 253;
    pub const INOTIFY_ADD_WATCH: usize = 254;
    pub const INOTIFY_RM_WATCH: usize = 255;
    pub const MIGRATE_PAGES: usize = 256;
    pub const OPENAT: usize = 257;
    pub const MKDIRAT: usize = 258;
    pub const MKNODAT: usize = 259;
    pub const FCHOWNAT: usize = 260;
    pub const FUTIMESAT: usize = 261;
    pub const NEWFSTATAT: usize = 262;
    pub const UNLINKAT: usize = 263;
    pub const RENAMEAT: usize = 264;
    pub const LINKAT: usize = 265;
    pub const SYMLINKAT: usize = 266;
    pub const READLINKAT: usize = 267;
    pub const FCHMODAT: usize = 268;
    pub const FACCESSAT: usize = 269;
    pub const PSELECT6: usize = 270;
    pub const PPOLL: usize = 271;
    pub const UNSHARE: usize = 272;
    pub const SET_ROBUST_LIST: usize = 273;
    pub const GET_ROBUST_LIST: usize = 274;
    pub const SPLICE: usize = 275;
    pub const TEE: usize = 276;
    pub const SYNC_FILE_RANGE: usize = 277;
    pub const VMSPLICE: usize = 278;
    pub const MOVE_PAGES: usize = 279;
    pub const UTIMENSAT: usize = 280;
    pub const EPOLL_PWAIT: usize = 281;
    pub const SIGNALFD: usize = 282;
    pub const TIMERFD_CREATE: usize = 283;
    pub const EVENTFD: usize = 284;
    pub const FALLOCATE: usize = 285;
    pub const TIMERFD_SETTIME: usize = 286;
    pub const TIMERFD_GETTIME: usize = 287;
    pub const ACCEPT4: usize = 288;
    pub const SIGNALFD4: usize = 289;
    pub const EVENTFD2: usize = 290;
    pub const EPOLL_CREATE1: usize = 291;
    pub const DUP3: usize = 292;
    pub const PIPE2: usize = 293;
    pub const INOTIFY_INIT1: usize = 294;
    pub const PREADV: usize = 295;
    pub const PWRITEV: usize = 296;
    pub const RT_TGSIGQUEUEINFO: usize = 297;
    pub const PERF_EVENT_OPEN: usize = 298;
    pub const RECVMMSG: usize = 299;
    pub const FANOTIFY_INIT: usize = 300;
    pub const FANOTIFY_MARK: usize = 301;
    pub const PRLIMIT64: usize = 302;
    pub const NAME_TO_HANDLE_AT: usize = 303;
    pub const OPEN_BY_HANDLE_AT: usize = 304;
    pub const CLOCK_ADJTIME: usize = 305;
    pub const SYNCFS: usize = 306;
    pub const SENDMMSG: usize = 307;
    pub const SETNS: usize = 308;
    pub const GETCPU: usize = 309;
    pub const PROCESS_VM_READV: usize = 310;
    pub const PROCESS_VM_WRITEV: usize = 311;
    pub const KCMP: usize = 312;
    pub const FINIT_MODULE: usize = 313;
    pub const SCHED_SETATTR: usize = 314;
    pub const SCHED_GETATTR: usize = 315;
    pub const RENAMEAT2: usize = 316;
    pub const SECCOMP: usize = 317;
    pub const GETRANDOM: usize = 318;
    pub const MEMFD_CREATE: usize = 319;
    pub const KEXEC_FILE_LOAD: usize = 320;
    pub const BPF: usize = 321;
    pub const EXECVEAT: usize = 322;
    pub const USERFAULTFD: usize = 323;
    pub const MEMBARRIER: usize = 324;
    pub const MLOCK2: usize = 325;
    pub const COPY_FILE_RANGE: usize = 326;
    pub const PREADV2: usize = 327;
    pub const PWRITEV2: usize = 328;
    pub const PKEY_MPROTECT: usize = 329;
    pub const PKEY_ALLOC: usize = 330;
    pub const PKEY_FREE: usize = 331;
    pub const STATX: usize = 332;
    pub const IO_PGETEVENTS: usize = 333;
    pub const RSEQ: usize = 334;
    pub const URETPROBE: usize = 335;
    pub const PIDFD_SEND_SIGNAL: usize = 424;
    pub const IO_URING_SETUP: usize = 425;
    pub const IO_URING_ENTER: usize = 426;
    pub const IO_URING_REGISTER: usize = 427;
    pub const OPEN_TREE: usize = 428;
    pub const MOVE_MOUNT: usize = 429;
    pub const FSOPEN: usize = 430;
    pub const FSCONFIG: usize = 431;
    pub const FSMOUNT: usize = 432;
    pub const FSPICK: usize = 433;
    pub const PIDFD_OPEN: usize = 434;
    pub const CLONE3: usize = 435;
    pub const CLOSE_RANGE: usize = 436;
    pub const OPENAT2: usize = 437;
    pub const PIDFD_GETFD: usize = 438;
    pub const FACCESSAT2: usize = 439;
    pub const PROCESS_MADVISE: usize = 440;
    pub const EPOLL_PWAIT2: usize = 441;
    pub const MOUNT_SETATTR: usize = 442;
    pub const QUOTACTL_FD: usize = 443;
    pub const LANDLOCK_CREATE_RULESET: usize = 444;
    pub const LANDLOCK_ADD_RULE: usize = 445;
    pub const LANDLOCK_RESTRICT_SELF: usize = 446;
    pub const MEMFD_SECRET: usize = 447;
    pub const PROCESS_MRELEASE: usize = 448;
    pub const FUTEX_WAITV: usize = 449;
    pub const SET_MEMPOLICY_HOME_NODE: usize = 450;
    pub const CACHESTAT: usize = 451;
    pub const FCHMODAT2: usize = 452;
    pub const MAP_SHADOW_STACK: usize = 453;
    pub const FUTEX_WAKE: usize = 454;
    pub const FUTEX_WAIT: usize = 455;
    pub const FUTEX_REQUEUE: usize = 456;
    pub const STATMOUNT: usize = 457;
    pub const LISTMOUNT: usize = 458;
    pub const LSM_GET_SELF_ATTR: usize = 459;
    pub const LSM_SET_SELF_ATTR: usize = 460;
    pub const LSM_LIST_MODULES: usize = 461;
    pub const MSEAL: usize = 462;
}

/// i386 system call numbers (`__NR_*` of the i386 ABI).
pub mod nr_i386 {
    pub const RESTART_SYSCALL: usize = 0;
    pub const EXIT: usize = 1;
    pub const FORK: usize = 2;
    pub const READ: usize = 3;
    pub const WRITE: usize = 4;
    pub const OPEN: usize = 5;
    pub const CLOSE: usize = 6;
    pub const WAITPID: usize = 7;
    pub const CREAT: usize = 8;
    pub const LINK: usize = 9;
    pub const UNLINK: usize = 10;
    pub const EXECVE: usize = 11;
    pub const CHDIR: usize = 12;
    pub const TIME: usize = 13;
    pub const MKNOD: usize = 14;
    pub const CHMOD: usize = 15;
    pub const LCHOWN: usize = 16;
    pub const BREAK: usize = 17;
    pub const OLDSTAT: usize = 18;
    pub const LSEEK: usize = 19;
    pub const GETPID: usize = 20;
    pub const MOUNT: usize = 21;
    pub const UMOUNT: usize = 22;
    pub const SETUID: usize = 23;
    pub const GETUID: usize = 24;
    pub const STIME: usize = 25;
    pub const PTRACE: usize = 26;
    pub const ALARM: usize = 27;
    pub const OLDFSTAT: usize = 28;
    pub const PAUSE: usize = 29;
    pub const UTIME: usize = 30;
    pub const STTY: usize = 31;
    pub const GTTY: usize = 32;
    pub const ACCESS: usize = 33;
    pub const NICE: usize = 34;
    pub const FTIME: usize = 35;
    pub const SYNC: usize = 36;
    pub const KILL: usize = 37;
    pub const RENAME: usize = 38;
    pub const MKDIR: usize = 39;
    pub const RMDIR: usize = 40;
    pub const DUP: usize = 41;
    pub const PIPE: usize = 42;
    pub const TIMES: usize = 43;
    pub const PROF: usize = 44;
    pub const BRK: usize = 45;
    pub const SETGID: usize = 46;
    pub const GETGID: usize = 47;
    pub const SIGNAL: usize = 48;
    pub const GETEUID: usize = 49;
    pub const GETEGID: usize = 50;
    pub const ACCT: usize = 51;
    pub const UMOUNT2: usize = 52;
    pub const LOCK: usize = 53;
    pub const IOCTL: usize = 54;
    pub const FCNTL: usize = 55;
    pub const MPX: usize = 56;
    pub const SETPGID: usize = 57;
    pub const ULIMIT: usize = 58;
    pub const OLDOLDUNAME: usize = 59;
    pub const UMASK: usize = 60;
    pub const CHROOT: usize = 61;
    pub const USTAT: usize = 62;
    pub const DUP2: usize = 63;
    pub const GETPPID: usize = 64;
    pub const GETPGRP: usize = 65;
    pub const SETSID: usize = 66;
    pub const SIGACTION: usize = 67;
    pub const SGETMASK: usize = 68;
    pub const SSETMASK: usize = 69;
    pub const SETREUID: usize = 70;
    pub const SETREGID: usize = 71;
    pub const SIGSUSPEND: usize = 72;
    pub const SIGPENDING: usize = 73;
    pub const SETHOSTNAME: usize = 74;
    pub const SETRLIMIT: usize = 75;
    pub const GETRLIMIT: usize = 76;
    pub const GETRUSAGE: usize = 77;
    pub const GETTIMEOFDAY: usize = 78;
    pub const SETTIMEOFDAY: usize = 79;
    pub const GETGROUPS: usize = 80;
    pub const SETGROUPS: usize = 81;
    pub const SELECT: usize = 82;
    pub const SYMLINK: usize = 83;
    pub const OLDLSTAT: usize = 84;
    pub const READLINK: usize = 85;
    pub const USELIB: usize = 86;
    pub const SWAPON: usize = 87;
    pub const REBOOT: usize = 88;
    pub const READDIR: usize = 89;
    pub const MMAP: usize = 90;
    pub const MUNMAP: usize = 91;
    pub const TRUNCATE: usize = 92;
    pub const FTRUNCATE: usize = 93;
    pub const FCHMOD: usize = 94;
    pub const FCHOWN: usize = 95;
    pub const GETPRIORITY: usize = 96;
    pub const SETPRIORITY: usize = 97;
    pub const PROFIL: usize = 98;
    pub const STATFS: usize = 99;
    pub const FSTATFS: usize = 100;
    pub const IOPERM: usize = 101;
    pub const SOCKETCALL: usize = 102;
    pub const SYSLOG: usize = 103;
    pub const SETITIMER: usize = 104;
    pub const GETITIMER: usize = 105;
    pub const STAT: usize = 106;
    pub const LSTAT: usize = 107;
    pub const FSTAT: usize = 108;
    pub const OLDUNAME: usize = 109;
    pub const IOPL: usize = 110;
    pub const VHANGUP: usize = 111;
    pub const IDLE: usize = 112;
    pub const VM86OLD: usize = 113;
    pub const WAIT4: usize = 114;
    pub const SWAPOFF: usize = 115;
    pub const SYSINFO: usize = 116;
    pub const IPC: usize = 117;
    pub const FSYNC: usize = 118;
    pub const SIGRETURN: usize = 119;
    pub const CLONE: usize = 120;
    pub const SETDOMAINNAME: usize = 121;
    pub const UNAME: usize = 122;
    pub const MODIFY_LDT: usize = 123;
    pub const ADJTIMEX: usize = 124;
    pub const MPROTECT: usize = 125;
    pub const SIGPROCMASK: usize = 126;
    pub const CREATE_MODULE: usize = 127;
    pub const INIT_MODULE: usize = 128;
    pub const DELETE_MODULE: usize = 129;
    pub const GET_KERNEL_SYMS: usize = 130;
    pub const QUOTACTL: usize = 131;
    pub const GETPGID: usize = 132;
    pub const FCHDIR: usize = 133;
    pub const BDFLUSH: usize = 134;
    pub const SYSFS: usize = 135;
    pub const PERSONALITY: usize = 136;
    pub const AFS_SYSCALL: usize = 137;
    pub const SETFSUID: usize = 138;
    pub const SETFSGID: usize = 139;
    pub const _LLSEEK: usize = 140;
    pub const GETDENTS: usize = 141;
    pub const _NEWSELECT: usize = 142;
    pub const FLOCK: usize = 143;
    pub const MSYNC: usize = 144;
    pub const READV: usize = 145;
    pub const WRITEV: usize = 146;
    pub const GETSID: usize = 147;
    pub const FDATASYNC: usize = 148;
    pub const _SYSCTL: usize = 149;
    pub const MLOCK: usize = 150;
    pub const MUNLOCK: usize = 151;
    pub const MLOCKALL: usize = 152;
    pub const MUNLOCKALL: usize = 153;
    pub const SCHED_SETPARAM: usize = 154;
    pub const SCHED_GETPARAM: usize = 155;
    pub const SCHED_SETSCHEDULER: usize = 156;
    pub const SCHED_GETSCHEDULER: usize = 157;
    pub const SCHED_YIELD: usize = 158;
    pub const SCHED_GET_PRIORITY_MAX: usize = 159;
    pub const SCHED_GET_PRIORITY_MIN: usize = 160;
    pub const SCHED_RR_GET_INTERVAL: usize = 161;
    pub const NANOSLEEP: usize = 162;
    pub const MREMAP: usize = 163;
    pub const SETRESUID: usize = 164;
    pub const GETRESUID: usize = 165;
    pub const VM86: usize = 166;
    pub const QUERY_MODULE: usize = 167;
    pub const POLL: usize = 168;
    pub const NFSSERVCTL: usize = 169;
    pub const SETRESGID: usize = 170;
    pub const GETRESGID: usize = 171;
    pub const PRCTL: usize = 172;
    pub const RT_SIGRETURN: usize = 173;
    pub const RT_SIGACTION: usize = 174;
    pub const RT_SIGPROCMASK: usize = 175;
    pub const RT_SIGPENDING: usize = 176;
    pub const RT_SIGTIMEDWAIT: usize = 177;
    pub const RT_SIGQUEUEINFO: usize = 178;
    pub const RT_SIGSUSPEND: usize = 179;
    pub const PREAD64: usize = 180;
    pub const PWRITE64: usize = 181;
    pub const CHOWN: usize = 182;
    pub const GETCWD: usize = 183;
    pub const CAPGET: usize = 184;
    pub const CAPSET: usize = 185;
    pub const SIGALTSTACK: usize = 186;
    pub const SENDFILE: usize = 187;
    pub const GETPMSG: usize = 188;
    pub const PUTPMSG: usize = 189;
    pub const VFORK: usize = 190;
    pub const UGETRLIMIT: usize = 191;
    pub const MMAP2: usize = 192;
    pub const TRUNCATE64: usize = 193;
    pub const FTRUNCATE64: usize = 194;
    pub const STAT64: usize = 195;
    pub const LSTAT64: usize = 196;
    pub const FSTAT64: usize = 197;
    pub const LCHOWN32: usize = 198;
    pub const GETUID32: usize = 199;
    pub const GETGID32: usize = 200;
    pub const GETEUID32: usize = 201;
    pub const GETEGID32: usize = 202;
    pub const SETREUID32: usize = 203;
    pub const SETREGID32: usize = 204;
    pub const GETGROUPS32: usize = 205;
    pub const SETGROUPS32: usize = 206;
    pub const FCHOWN32: usize = 207;
    pub const SETRESUID32: usize = 208;
    pub const GETRESUID32: usize = 209;
    pub const SETRESGID32: usize = 210;
    pub const GETRESGID32: usize = 211;
    pub const CHOWN32: usize = 212;
    pub const SETUID32: usize = 213;
    pub const SETGID32: usize = 214;
    pub const SETFSUID32: usize = 215;
    pub const SETFSGID32: usize = 216;
    pub const PIVOT_ROOT: usize = 217;
    pub const MINCORE: usize = 218;
    pub const MADVISE: usize = 219;
    pub const GETDENTS64: usize = 220;
    pub const FCNTL64: usize = 221;
    pub const GETTID: usize = 224;
    pub const READAHEAD: usize = 225;
    pub const SETXATTR: usize = 226;
    pub const LSETXATTR: usize = 227;
    pub const FSETXATTR: usize = 228;
    pub const GETXATTR: usize = 229;
    pub const LGETXATTR: usize = 230;
    pub const FGETXATTR: usize = 231;
    pub const LISTXATTR: usize = 232;
    pub const LLISTXATTR: usize = 233;
    pub const FLISTXATTR: usize = 234;
    pub const REMOVEXATTR: usize = 235;
    pub const LREMOVEXATTR: usize = 236;
    pub const FREMOVEXATTR: usize = 237;
    pub const TKILL: usize = 238;
    pub const SENDFILE64: usize = 239;
    pub const FUTEX: usize = 240;
    pub const SCHED_SETAFFINITY: usize = 241;
    pub const SCHED_GETAFFINITY: usize = 242;
    pub const SET_THREAD_AREA: usize = 243;
    pub const GET_THREAD_AREA: usize = 244;
    pub const IO_SETUP: usize = 245;
    pub const IO_DESTROY: usize = 246;
    pub const IO_GETEVENTS: usize = 247;
    pub const IO_SUBMIT: usize = 248;
    pub const IO_CANCEL: usize = 249;
    pub const FADVISE64: usize = 250;
    pub const EXIT_GROUP: usize = 252;
    pub const LOOKUP_DCOOKIE: usize = 253;
    pub const EPOLL_CREATE: usize = 254;
    pub const EPOLL_CTL: usize = 255;
    pub const EPOLL_WAIT: usize = 256;
    pub const REMAP_FILE_PAGES: usize = 257;
    pub const SET_TID_ADDRESS: usize = 258;
    pub const TIMER_CREATE: usize = 259;
    pub const TIMER_SETTIME: usize = 260;
    pub const TIMER_GETTIME: usize = 261;
    pub const TIMER_GETOVERRUN: usize = 262;
    pub const TIMER_DELETE: usize = 263;
    pub const CLOCK_SETTIME: usize = 264;
    pub const CLOCK_GETTIME: usize = 265;
    pub const CLOCK_GETRES: usize = 266;
    pub const CLOCK_NANOSLEEP: usize = 267;
    pub const STATFS64: usize = 268;
    pub const FSTATFS64: usize = 269;
    pub const TGKILL: usize = 270;
    pub const UTIMES: usize = 271;
    pub const FADVISE64_64: usize = 272;
    pub const VSERVER: usize = 273;
    pub const MBIND: usize = 274;
    pub const GET_MEMPOLICY: usize = 275;
    pub const SET_MEMPOLICY: usize = 276;
    pub const MQ_OPEN: usize = 277;
    pub const MQ_UNLINK: usize = 278;
    pub const MQ_TIMEDSEND: usize = 279;
    pub const MQ_TIMEDRECEIVE: usize = 280;
    pub const MQ_NOTIFY: usize = 281;
    pub const MQ_GETSETATTR: usize = 282;
    pub const KEXEC_LOAD: usize = 283;
    pub const WAITID: usize = 284;
    pub const ADD_KEY: usize = 286;
    pub const REQUEST_KEY: usize = 287;
    pub const KEYCTL: usize = 288;
    pub const IOPRIO_SET: usize = 289;
    pub const IOPRIO_GET: usize = 290;
    pub const INOTIFY_INIT: usize = 291;
    pub const INOTIFY_ADD_WATCH: usize = 292;
    pub const INOTIFY_RM_WATCH: usize = 293;
    pub const MIGRATE_PAGES: usize = 294;
    pub const OPENAT: usize = 295;
    pub const MKDIRAT: usize = 296;
    pub const MKNODAT: usize = 297;
    pub const FCHOWNAT: usize = 298;
    pub const FUTIMESAT: usize = 299;
    pub const FSTATAT64: usize = 300;
    pub const UNLINKAT: usize = 301;
    pub const RENAMEAT: usize = 302;
    pub const LINKAT: usize = 303;
    pub const SYMLINKAT: usize = 304;
    pub const READLINKAT: usize = 305;
    pub const FCHMODAT: usize = 306;
    pub const FACCESSAT: usize = 307;
    pub const PSELECT6: usize = 308;
    pub const PPOLL: usize = 309;
    pub const UNSHARE: usize = 310;
    pub const SET_ROBUST_LIST: usize = 311;
    pub const GET_ROBUST_LIST: usize = 312;
    pub const SPLICE: usize = 313;
    pub const SYNC_FILE_RANGE: usize = 314;
    pub const TEE: usize = 315;
    pub const VMSPLICE: usize = 316;
    pub const MOVE_PAGES: usize = 317;
    pub const GETCPU: usize = 318;
    pub const EPOLL_PWAIT: usize = 319;
    pub const UTIMENSAT: usize = 320;
    pub const SIGNALFD: usize = 321;
    pub const TIMERFD_CREATE: usize = 322;
    pub const EVENTFD: usize = 323;
    pub const FALLOCATE: usize = 324;
    pub const TIMERFD_SETTIME: usize = 325;
    pub const TIMERFD_GETTIME: usize = 326;
    pub const SIGNALFD4: usize = 327;
    pub const EVENTFD2: usize = 328;
    pub const EPOLL_CREATE1: usize = 329;
    pub const DUP3: usize = 330;
    pub const PIPE2: usize = 331;
    pub const INOTIFY_INIT1: usize = 332;
    pub const PREADV: usize = 333;
    pub const PWRITEV: usize = 334;
    pub const RT_TGSIGQUEUEINFO: usize = 335;
    pub const PERF_EVENT_OPEN: usize = 336;
    pub const RECVMMSG: usize = 337;
    pub const FANOTIFY_INIT: usize = 338;
    pub const FANOTIFY_MARK: usize = 339;
    pub const PRLIMIT64: usize = 340;
    pub const NAME_TO_HANDLE_AT: usize = 341;
    pub const OPEN_BY_HANDLE_AT: usize = 342;
    pub const CLOCK_ADJTIME: usize = 343;
    pub const SYNCFS: usize = 344;
    pub const SENDMMSG: usize = 345;
    pub const SETNS: usize = 346;
    pub const PROCESS_VM_READV: usize = 347;
    pub const PROCESS_VM_WRITEV: usize = 348;
    pub const KCMP: usize = 349;
    pub const FINIT_MODULE: usize = 350;
    pub const SCHED_SETATTR: usize = 351;
    pub const SCHED_GETATTR: usize = 352;
    pub const RENAMEAT2: usize = 353;
    pub const SECCOMP: usize = 354;
    pub const GETRANDOM: usize = 355;
    pub const MEMFD_CREATE: usize = 356;
    pub const BPF: usize = 357;
    pub const EXECVEAT: usize = 358;
    pub const SOCKET: usize = 359;
    pub const SOCKETPAIR: usize = 360;
    pub const BIND: usize = 361;
    pub const CONNECT: usize = 362;
    pub const LISTEN: usize = 363;
    pub const ACCEPT4: usize = 364;
    pub const GETSOCKOPT: usize = 365;
    pub const SETSOCKOPT: usize = 366;
    pub const GETSOCKNAME: usize = 367;
    pub const GETPEERNAME: usize = 368;
    pub const SENDTO: usize = 369;
    pub const SENDMSG: usize = 370;
    pub const RECVFROM: usize = 371;
    pub const RECVMSG: usize = 372;
    pub const SHUTDOWN: usize = 373;
    pub const USERFAULTFD: usize = 374;
    pub const MEMBARRIER: usize = 375;
    pub const MLOCK2: usize = 376;
    pub const COPY_FILE_RANGE: usize = 377;
    pub const PREADV2: usize = 378;
    pub const PWRITEV2: usize = 379;
    pub const PKEY_MPROTECT: usize = 380;
    pub const PKEY_ALLOC: usize = 381;
    pub const PKEY_FREE: usize = 382;
    pub const STATX: usize = 383;
    pub const ARCH_PRCTL: usize = 384;
    pub const IO_PGETEVENTS: usize = 385;
    pub const RSEQ: usize = 386;
    pub const SEMGET: usize = 393;
    pub const SEMCTL: usize = 394;
    pub const SHMGET: usize = 395;
    pub const SHMCTL: usize = 396;
    pub const SHMAT: usize = 397;
    pub const SHMDT: usize = 398;
    pub const MSGGET: usize = 399;
    pub const MSGSND: usize = 400;
    pub const MSGRCV: usize = 401;
    pub const MSGCTL: usize = 402;
    pub const CLOCK_GETTIME64: usize = 403;
    pub const CLOCK_SETTIME64: usize = 404;
    pub const CLOCK_ADJTIME64: usize = 405;
    pub const CLOCK_GETRES_TIME64: usize = 406;
    pub const CLOCK_NANOSLEEP_TIME64: usize = 407;
    pub const TIMER_GETTIME64: usize = 408;
    pub const TIMER_SETTIME64: usize = 409;
    pub const TIMERFD_GETTIME64: usize = 410;
    pub const TIMERFD_SETTIME64: usize = 411;
    pub const UTIMENSAT_TIME64: usize = 412;
    pub const PSELECT6_TIME64: usize = 413;
    pub const PPOLL_TIME64: usize = 414;
    pub const IO_PGETEVENTS_TIME64: usize = 416;
    pub const RECVMMSG_TIME64: usize = 417;
    pub const MQ_TIMEDSEND_TIME64: usize = 418;
    pub const MQ_TIMEDRECEIVE_TIME64: usize = 419;
    pub const SEMTIMEDOP_TIME64: usize = 420;
    pub const RT_SIGTIMEDWAIT_TIME64: usize = 421;
    pub const FUTEX_TIME64: usize = 422;
    pub const SCHED_RR_GET_INTERVAL_TIME64: usize = 423;
    pub const PIDFD_SEND_SIGNAL: usize = 424;
    pub const IO_URING_SETUP: usize = 425;
    pub const IO_URING_ENTER: usize = 426;
    pub const IO_URING_REGISTER: usize = 427;
    pub const OPEN_TREE: usize = 428;
    pub const MOVE_MOUNT: usize = 429;
    pub const FSOPEN: usize = 430;
    pub const FSCONFIG: usize = 431;
    pub const FSMOUNT: usize = 432;
    pub const FSPICK: usize = 433;
    pub const PIDFD_OPEN: usize = 434;
    pub const CLONE3: usize = 435;
    pub const CLOSE_RANGE: usize = 436;
    pub const OPENAT2: usize = 437;
    pub const PIDFD_GETFD: usize = 438;
    pub const FACCESSAT2: usize = 439;
    pub const PROCESS_MADVISE: usize = 440;
    pub const EPOLL_PWAIT2: usize = 441;
    pub const MOUNT_SETATTR: usize = 442;
    pub const QUOTACTL_FD: usize = 443;
    pub const LANDLOCK_CREATE_RULESET: usize = 444;
    pub const LANDLOCK_ADD_RULE: usize = 445;
    pub const LANDLOCK_RESTRICT_SELF: usize = 446;
    pub const MEMFD_SECRET: usize = 447;
    pub const PROCESS_MRELEASE: usize = 448;
    pub const FUTEX_WAITV: usize = 449;
    pub const SET_MEMPOLICY_HOME_NODE: usize = 450;
    pub const CACHESTAT: usize = 451;
    pub const FCHMODAT2: usize = 452;
    pub const MAP_SHADOW_STACK: usize = 453;
    pub const FUTEX_WAKE: usize = 454;
    pub const FUTEX_WAIT: usize = 455;
    pub const FUTEX_REQUEUE: usize = 456;
    pub const STATMOUNT: usize = 457;
    pub const LISTMOUNT: usize = 458;
    pub const LSM_GET_SELF_ATTR: usize = 459;
    pub const LSM_SET_SELF_ATTR: usize = 460;
    pub const LSM_LIST_MODULES: usize = 461;
    pub const MSEAL: usize = 462;
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::collections::BTreeSet;

    /// Every `nr::` constant with the name it stands for.
    const ALL_64: &[(usize, &str)] = &[
        (nr::READ, "read"),
        (nr::WRITE, "write"),
        (nr::OPEN, "open"),
        (nr::CLOSE, "close"),
        (nr::STAT, "stat"),
        (nr::FSTAT, "fstat"),
        (nr::LSTAT, "lstat"),
        (nr::POLL, "poll"),
        (nr::LSEEK, "lseek"),
        (nr::MMAP, "mmap"),
        (nr::MPROTECT, "mprotect"),
        (nr::MUNMAP, "munmap"),
        (nr::BRK, "brk"),
        (nr::RT_SIGACTION, "rt_sigaction"),
        (nr::RT_SIGPROCMASK, "rt_sigprocmask"),
        (nr::RT_SIGRETURN, "rt_sigreturn"),
        (nr::IOCTL, "ioctl"),
        (nr::PREAD64, "pread64"),
        (nr::PWRITE64, "pwrite64"),
        (nr::READV, "readv"),
        (nr::WRITEV, "writev"),
        (nr::ACCESS, "access"),
        (nr::PIPE, "pipe"),
        (nr::SELECT, "select"),
        (nr::SCHED_YIELD, "sched_yield"),
        (nr::MREMAP, "mremap"),
        (nr::MSYNC, "msync"),
        (nr::MINCORE, "mincore"),
        (nr::MADVISE, "madvise"),
        (nr::SHMGET, "shmget"),
        (nr::SHMAT, "shmat"),
        (nr::SHMCTL, "shmctl"),
        (nr::DUP, "dup"),
        (nr::DUP2, "dup2"),
        (nr::PAUSE, "pause"),
        (nr::NANOSLEEP, "nanosleep"),
        (nr::GETITIMER, "getitimer"),
        (nr::ALARM, "alarm"),
        (nr::SETITIMER, "setitimer"),
        (nr::GETPID, "getpid"),
        (nr::SENDFILE, "sendfile"),
        (nr::SOCKET, "socket"),
        (nr::CONNECT, "connect"),
        (nr::ACCEPT, "accept"),
        (nr::SENDTO, "sendto"),
        (nr::RECVFROM, "recvfrom"),
        (nr::SENDMSG, "sendmsg"),
        (nr::RECVMSG, "recvmsg"),
        (nr::SHUTDOWN, "shutdown"),
        (nr::BIND, "bind"),
        (nr::LISTEN, "listen"),
        (nr::GETSOCKNAME, "getsockname"),
        (nr::GETPEERNAME, "getpeername"),
        (nr::SOCKETPAIR, "socketpair"),
        (nr::SETSOCKOPT, "setsockopt"),
        (nr::GETSOCKOPT, "getsockopt"),
        (nr::CLONE, "clone"),
        (nr::FORK, "fork"),
        (nr::VFORK, "vfork"),
        (nr::EXECVE, "execve"),
        (nr::EXIT, "exit"),
        (nr::WAIT4, "wait4"),
        (nr::KILL, "kill"),
        (nr::UNAME, "uname"),
        (nr::SEMGET, "semget"),
        (nr::SEMOP, "semop"),
        (nr::SEMCTL, "semctl"),
        (nr::SHMDT, "shmdt"),
        (nr::MSGGET, "msgget"),
        (nr::MSGSND, "msgsnd"),
        (nr::MSGRCV, "msgrcv"),
        (nr::MSGCTL, "msgctl"),
        (nr::FCNTL, "fcntl"),
        (nr::FLOCK, "flock"),
        (nr::FSYNC, "fsync"),
        (nr::FDATASYNC, "fdatasync"),
        (nr::TRUNCATE, "truncate"),
        (nr::FTRUNCATE, "ftruncate"),
        (nr::GETDENTS, "getdents"),
        (nr::GETCWD, "getcwd"),
        (nr::CHDIR, "chdir"),
        (nr::FCHDIR, "fchdir"),
        (nr::RENAME, "rename"),
        (nr::MKDIR, "mkdir"),
        (nr::RMDIR, "rmdir"),
        (nr::CREAT, "creat"),
        (nr::LINK, "link"),
        (nr::UNLINK, "unlink"),
        (nr::SYMLINK, "symlink"),
        (nr::READLINK, "readlink"),
        (nr::CHMOD, "chmod"),
        (nr::FCHMOD, "fchmod"),
        (nr::CHOWN, "chown"),
        (nr::FCHOWN, "fchown"),
        (nr::LCHOWN, "lchown"),
        (nr::UMASK, "umask"),
        (nr::GETTIMEOFDAY, "gettimeofday"),
        (nr::GETRLIMIT, "getrlimit"),
        (nr::GETRUSAGE, "getrusage"),
        (nr::SYSINFO, "sysinfo"),
        (nr::TIMES, "times"),
        (nr::PTRACE, "ptrace"),
        (nr::GETUID, "getuid"),
        (nr::SYSLOG, "syslog"),
        (nr::GETGID, "getgid"),
        (nr::SETUID, "setuid"),
        (nr::SETGID, "setgid"),
        (nr::GETEUID, "geteuid"),
        (nr::GETEGID, "getegid"),
        (nr::SETPGID, "setpgid"),
        (nr::GETPPID, "getppid"),
        (nr::GETPGRP, "getpgrp"),
        (nr::SETSID, "setsid"),
        (nr::SETREUID, "setreuid"),
        (nr::SETREGID, "setregid"),
        (nr::GETGROUPS, "getgroups"),
        (nr::SETGROUPS, "setgroups"),
        (nr::SETRESUID, "setresuid"),
        (nr::GETRESUID, "getresuid"),
        (nr::SETRESGID, "setresgid"),
        (nr::GETRESGID, "getresgid"),
        (nr::GETPGID, "getpgid"),
        (nr::SETFSUID, "setfsuid"),
        (nr::SETFSGID, "setfsgid"),
        (nr::GETSID, "getsid"),
        (nr::CAPGET, "capget"),
        (nr::CAPSET, "capset"),
        (nr::RT_SIGPENDING, "rt_sigpending"),
        (nr::RT_SIGTIMEDWAIT, "rt_sigtimedwait"),
        (nr::RT_SIGQUEUEINFO, "rt_sigqueueinfo"),
        (nr::RT_SIGSUSPEND, "rt_sigsuspend"),
        (nr::SIGALTSTACK, "sigaltstack"),
        (nr::UTIME, "utime"),
        (nr::MKNOD, "mknod"),
        (nr::USELIB, "uselib"),
        (nr::PERSONALITY, "personality"),
        (nr::USTAT, "ustat"),
        (nr::STATFS, "statfs"),
        (nr::FSTATFS, "fstatfs"),
        (nr::SYSFS, "sysfs"),
        (nr::GETPRIORITY, "getpriority"),
        (nr::SETPRIORITY, "setpriority"),
        (nr::SCHED_SETPARAM, "sched_setparam"),
        (nr::SCHED_GETPARAM, "sched_getparam"),
        (nr::SCHED_SETSCHEDULER, "sched_setscheduler"),
        (nr::SCHED_GETSCHEDULER, "sched_getscheduler"),
        (nr::SCHED_GET_PRIORITY_MAX, "sched_get_priority_max"),
        (nr::SCHED_GET_PRIORITY_MIN, "sched_get_priority_min"),
        (nr::SCHED_RR_GET_INTERVAL, "sched_rr_get_interval"),
        (nr::MLOCK, "mlock"),
        (nr::MUNLOCK, "munlock"),
        (nr::MLOCKALL, "mlockall"),
        (nr::MUNLOCKALL, "munlockall"),
        (nr::VHANGUP, "vhangup"),
        (nr::MODIFY_LDT, "modify_ldt"),
        (nr::PIVOT_ROOT, "pivot_root"),
        (nr::_SYSCTL, "_sysctl"),
        (nr::PRCTL, "prctl"),
        (nr::ARCH_PRCTL, "arch_prctl"),
        (nr::ADJTIMEX, "adjtimex"),
        (nr::SETRLIMIT, "setrlimit"),
        (nr::CHROOT, "chroot"),
        (nr::SYNC, "sync"),
        (nr::ACCT, "acct"),
        (nr::SETTIMEOFDAY, "settimeofday"),
        (nr::MOUNT, "mount"),
        (nr::UMOUNT2, "umount2"),
        (nr::SWAPON, "swapon"),
        (nr::SWAPOFF, "swapoff"),
        (nr::REBOOT, "reboot"),
        (nr::SETHOSTNAME, "sethostname"),
        (nr::SETDOMAINNAME, "setdomainname"),
        (nr::IOPL, "iopl"),
        (nr::IOPERM, "ioperm"),
        (nr::CREATE_MODULE, "create_module"),
        (nr::INIT_MODULE, "init_module"),
        (nr::DELETE_MODULE, "delete_module"),
        (nr::GET_KERNEL_SYMS, "get_kernel_syms"),
        (nr::QUERY_MODULE, "query_module"),
        (nr::QUOTACTL, "quotactl"),
        (nr::NFSSERVCTL, "nfsservctl"),
        (nr::GETPMSG, "getpmsg"),
        (nr::PUTPMSG, "putpmsg"),
        (nr::AFS_SYSCALL, "afs_syscall"),
        (nr::TUXCALL, "tuxcall"),
        (nr::SECURITY, "security"),
        (nr::GETTID, "gettid"),
        (nr::READAHEAD, "readahead"),
        (nr::SETXATTR, "setxattr"),
        (nr::LSETXATTR, "lsetxattr"),
        (nr::FSETXATTR, "fsetxattr"),
        (nr::GETXATTR, "getxattr"),
        (nr::LGETXATTR, "lgetxattr"),
        (nr::FGETXATTR, "fgetxattr"),
        (nr::LISTXATTR, "listxattr"),
        (nr::LLISTXATTR, "llistxattr"),
        (nr::FLISTXATTR, "flistxattr"),
        (nr::REMOVEXATTR, "removexattr"),
        (nr::LREMOVEXATTR, "lremovexattr"),
        (nr::FREMOVEXATTR, "fremovexattr"),
        (nr::TKILL, "tkill"),
        (nr::TIME, "time"),
        (nr::FUTEX, "futex"),
        (nr::SCHED_SETAFFINITY, "sched_setaffinity"),
        (nr::SCHED_GETAFFINITY, "sched_getaffinity"),
        (nr::SET_THREAD_AREA, "set_thread_area"),
        (nr::IO_SETUP, "io_setup"),
        (nr::IO_DESTROY, "io_destroy"),
        (nr::IO_GETEVENTS, "io_getevents"),
        (nr::IO_SUBMIT, "io_submit"),
        (nr::IO_CANCEL, "io_cancel"),
        (nr::GET_THREAD_AREA, "get_thread_area"),
        (nr::LOOKUP_DCOOKIE, "lookup_dcookie"),
        (nr::EPOLL_CREATE, "epoll_create"),
        (nr::EPOLL_CTL_OLD, "epoll_ctl_old"),
        (nr::EPOLL_WAIT_OLD, "epoll_wait_old"),
        (nr::REMAP_FILE_PAGES, "remap_file_pages"),
        (nr::GETDENTS64, "getdents64"),
        (nr::SET_TID_ADDRESS, "set_tid_address"),
        (nr::RESTART_SYSCALL, "restart_syscall"),
        (nr::SEMTIMEDOP, "semtimedop"),
        (nr::FADVISE64, "fadvise64"),
        (nr::TIMER_CREATE, "timer_create"),
        (nr::TIMER_SETTIME, "timer_settime"),
        (nr::TIMER_GETTIME, "timer_gettime"),
        (nr::TIMER_GETOVERRUN, "timer_getoverrun"),
        (nr::TIMER_DELETE, "timer_delete"),
        (nr::CLOCK_SETTIME, "clock_settime"),
        (nr::CLOCK_GETTIME, "clock_gettime"),
        (nr::CLOCK_GETRES, "clock_getres"),
        (nr::CLOCK_NANOSLEEP, "clock_nanosleep"),
        (nr::EXIT_GROUP, "exit_group"),
        (nr::EPOLL_WAIT, "epoll_wait"),
        (nr::EPOLL_CTL, "epoll_ctl"),
        (nr::TGKILL, "tgkill"),
        (nr::UTIMES, "utimes"),
        (nr::VSERVER, "vserver"),
        (nr::MBIND, "mbind"),
        (nr::SET_MEMPOLICY, "set_mempolicy"),
        (nr::GET_MEMPOLICY, "get_mempolicy"),
        (nr::MQ_OPEN, "mq_open"),
        (nr::MQ_UNLINK, "mq_unlink"),
        (nr::MQ_TIMEDSEND, "mq_timedsend"),
        (nr::MQ_TIMEDRECEIVE, "mq_timedreceive"),
        (nr::MQ_NOTIFY, "mq_notify"),
        (nr::MQ_GETSETATTR, "mq_getsetattr"),
        (nr::KEXEC_LOAD, "kexec_load"),
        (nr::WAITID, "waitid"),
        (nr::ADD_KEY, "add_key"),
        (nr::REQUEST_KEY, "request_key"),
        (nr::KEYCTL, "keyctl"),
        (nr::IOPRIO_SET, "ioprio_set"),
        (nr::IOPRIO_GET, "ioprio_get"),
        (nr::INOTIFY_INIT, "inotify_init"),
        (nr::INOTIFY_ADD_WATCH, "inotify_add_watch"),
        (nr::INOTIFY_RM_WATCH, "inotify_rm_watch"),
        (nr::MIGRATE_PAGES, "migrate_pages"),
        (nr::OPENAT, "openat"),
        (nr::MKDIRAT, "mkdirat"),
        (nr::MKNODAT, "mknodat"),
        (nr::FCHOWNAT, "fchownat"),
        (nr::FUTIMESAT, "futimesat"),
        (nr::NEWFSTATAT, "newfstatat"),
        (nr::UNLINKAT, "unlinkat"),
        (nr::RENAMEAT, "renameat"),
        (nr::LINKAT, "linkat"),
        (nr::SYMLINKAT, "symlinkat"),
        (nr::READLINKAT, "readlinkat"),
        (nr::FCHMODAT, "fchmodat"),
        (nr::FACCESSAT, "faccessat"),
        (nr::PSELECT6, "pselect6"),
        (nr::PPOLL, "ppoll"),
        (nr::UNSHARE, "unshare"),
        (nr::SET_ROBUST_LIST, "set_robust_list"),
        (nr::GET_ROBUST_LIST, "get_robust_list"),
        (nr::SPLICE, "splice"),
        (nr::TEE, "tee"),
        (nr::SYNC_FILE_RANGE, "sync_file_range"),
        (nr::VMSPLICE, "vmsplice"),
        (nr::MOVE_PAGES, "move_pages"),
        (nr::UTIMENSAT, "utimensat"),
        (nr::EPOLL_PWAIT, "epoll_pwait"),
        (nr::SIGNALFD, "signalfd"),
        (nr::TIMERFD_CREATE, "timerfd_create"),
        (nr::EVENTFD, "eventfd"),
        (nr::FALLOCATE, "fallocate"),
        (nr::TIMERFD_SETTIME, "timerfd_settime"),
        (nr::TIMERFD_GETTIME, "timerfd_gettime"),
        (nr::ACCEPT4, "accept4"),
        (nr::SIGNALFD4, "signalfd4"),
        (nr::EVENTFD2, "eventfd2"),
        (nr::EPOLL_CREATE1, "epoll_create1"),
        (nr::DUP3, "dup3"),
        (nr::PIPE2, "pipe2"),
        (nr::INOTIFY_INIT1, "inotify_init1"),
        (nr::PREADV, "preadv"),
        (nr::PWRITEV, "pwritev"),
        (nr::RT_TGSIGQUEUEINFO, "rt_tgsigqueueinfo"),
        (nr::PERF_EVENT_OPEN, "perf_event_open"),
        (nr::RECVMMSG, "recvmmsg"),
        (nr::FANOTIFY_INIT, "fanotify_init"),
        (nr::FANOTIFY_MARK, "fanotify_mark"),
        (nr::PRLIMIT64, "prlimit64"),
        (nr::NAME_TO_HANDLE_AT, "name_to_handle_at"),
        (nr::OPEN_BY_HANDLE_AT, "open_by_handle_at"),
        (nr::CLOCK_ADJTIME, "clock_adjtime"),
        (nr::SYNCFS, "syncfs"),
        (nr::SENDMMSG, "sendmmsg"),
        (nr::SETNS, "setns"),
        (nr::GETCPU, "getcpu"),
        (nr::PROCESS_VM_READV, "process_vm_readv"),
        (nr::PROCESS_VM_WRITEV, "process_vm_writev"),
        (nr::KCMP, "kcmp"),
        (nr::FINIT_MODULE, "finit_module"),
        (nr::SCHED_SETATTR, "sched_setattr"),
        (nr::SCHED_GETATTR, "sched_getattr"),
        (nr::RENAMEAT2, "renameat2"),
        (nr::SECCOMP, "seccomp"),
        (nr::GETRANDOM, "getrandom"),
        (nr::MEMFD_CREATE, "memfd_create"),
        (nr::KEXEC_FILE_LOAD, "kexec_file_load"),
        (nr::BPF, "bpf"),
        (nr::EXECVEAT, "execveat"),
        (nr::USERFAULTFD, "userfaultfd"),
        (nr::MEMBARRIER, "membarrier"),
        (nr::MLOCK2, "mlock2"),
        (nr::COPY_FILE_RANGE, "copy_file_range"),
        (nr::PREADV2, "preadv2"),
        (nr::PWRITEV2, "pwritev2"),
        (nr::PKEY_MPROTECT, "pkey_mprotect"),
        (nr::PKEY_ALLOC, "pkey_alloc"),
        (nr::PKEY_FREE, "pkey_free"),
        (nr::STATX, "statx"),
        (nr::IO_PGETEVENTS, "io_pgetevents"),
        (nr::RSEQ, "rseq"),
        (nr::URETPROBE, "uretprobe"),
        (nr::PIDFD_SEND_SIGNAL, "pidfd_send_signal"),
        (nr::IO_URING_SETUP, "io_uring_setup"),
        (nr::IO_URING_ENTER, "io_uring_enter"),
        (nr::IO_URING_REGISTER, "io_uring_register"),
        (nr::OPEN_TREE, "open_tree"),
        (nr::MOVE_MOUNT, "move_mount"),
        (nr::FSOPEN, "fsopen"),
        (nr::FSCONFIG, "fsconfig"),
        (nr::FSMOUNT, "fsmount"),
        (nr::FSPICK, "fspick"),
        (nr::PIDFD_OPEN, "pidfd_open"),
        (nr::CLONE3, "clone3"),
        (nr::CLOSE_RANGE, "close_range"),
        (nr::OPENAT2, "openat2"),
        (nr::PIDFD_GETFD, "pidfd_getfd"),
        (nr::FACCESSAT2, "faccessat2"),
        (nr::PROCESS_MADVISE, "process_madvise"),
        (nr::EPOLL_PWAIT2, "epoll_pwait2"),
        (nr::MOUNT_SETATTR, "mount_setattr"),
        (nr::QUOTACTL_FD, "quotactl_fd"),
        (nr::LANDLOCK_CREATE_RULESET, "landlock_create_ruleset"),
        (nr::LANDLOCK_ADD_RULE, "landlock_add_rule"),
        (nr::LANDLOCK_RESTRICT_SELF, "landlock_restrict_self"),
        (nr::MEMFD_SECRET, "memfd_secret"),
        (nr::PROCESS_MRELEASE, "process_mrelease"),
        (nr::FUTEX_WAITV, "futex_waitv"),
        (nr::SET_MEMPOLICY_HOME_NODE, "set_mempolicy_home_node"),
        (nr::CACHESTAT, "cachestat"),
        (nr::FCHMODAT2, "fchmodat2"),
        (nr::MAP_SHADOW_STACK, "map_shadow_stack"),
        (nr::FUTEX_WAKE, "futex_wake"),
        (nr::FUTEX_WAIT, "futex_wait"),
        (nr::FUTEX_REQUEUE, "futex_requeue"),
        (nr::STATMOUNT, "statmount"),
        (nr::LISTMOUNT, "listmount"),
        (nr::LSM_GET_SELF_ATTR, "lsm_get_self_attr"),
        (nr::LSM_SET_SELF_ATTR, "lsm_set_self_attr"),
        (nr::LSM_LIST_MODULES, "lsm_list_modules"),
        (nr::MSEAL, "mseal"),
    ];

    /// Every `nr_i386::` constant with the name it stands for.
    const ALL_I386: &[(usize, &str)] = &[
        (nr_i386::RESTART_SYSCALL, "restart_syscall"),
        (nr_i386::EXIT, "exit"),
        (nr_i386::FORK, "fork"),
        (nr_i386::READ, "read"),
        (nr_i386::WRITE, "write"),
        (nr_i386::OPEN, "open"),
        (nr_i386::CLOSE, "close"),
        (nr_i386::WAITPID, "waitpid"),
        (nr_i386::CREAT, "creat"),
        (nr_i386::LINK, "link"),
        (nr_i386::UNLINK, "unlink"),
        (nr_i386::EXECVE, "execve"),
        (nr_i386::CHDIR, "chdir"),
        (nr_i386::TIME, "time"),
        (nr_i386::MKNOD, "mknod"),
        (nr_i386::CHMOD, "chmod"),
        (nr_i386::LCHOWN, "lchown"),
        (nr_i386::BREAK, "break"),
        (nr_i386::OLDSTAT, "oldstat"),
        (nr_i386::LSEEK, "lseek"),
        (nr_i386::GETPID, "getpid"),
        (nr_i386::MOUNT, "mount"),
        (nr_i386::UMOUNT, "umount"),
        (nr_i386::SETUID, "setuid"),
        (nr_i386::GETUID, "getuid"),
        (nr_i386::STIME, "stime"),
        (nr_i386::PTRACE, "ptrace"),
        (nr_i386::ALARM, "alarm"),
        (nr_i386::OLDFSTAT, "oldfstat"),
        (nr_i386::PAUSE, "pause"),
        (nr_i386::UTIME, "utime"),
        (nr_i386::STTY, "stty"),
        (nr_i386::GTTY, "gtty"),
        (nr_i386::ACCESS, "access"),
        (nr_i386::NICE, "nice"),
        (nr_i386::FTIME, "ftime"),
        (nr_i386::SYNC, "sync"),
        (nr_i386::KILL, "kill"),
        (nr_i386::RENAME, "rename"),
        (nr_i386::MKDIR, "mkdir"),
        (nr_i386::RMDIR, "rmdir"),
        (nr_i386::DUP, "dup"),
        (nr_i386::PIPE, "pipe"),
        (nr_i386::TIMES, "times"),
        (nr_i386::PROF, "prof"),
        (nr_i386::BRK, "brk"),
        (nr_i386::SETGID, "setgid"),
        (nr_i386::GETGID, "getgid"),
        (nr_i386::SIGNAL, "signal"),
        (nr_i386::GETEUID, "geteuid"),
        (nr_i386::GETEGID, "getegid"),
        (nr_i386::ACCT, "acct"),
        (nr_i386::UMOUNT2, "umount2"),
        (nr_i386::LOCK, "lock"),
        (nr_i386::IOCTL, "ioctl"),
        (nr_i386::FCNTL, "fcntl"),
        (nr_i386::MPX, "mpx"),
        (nr_i386::SETPGID, "setpgid"),
        (nr_i386::ULIMIT, "ulimit"),
        (nr_i386::OLDOLDUNAME, "oldolduname"),
        (nr_i386::UMASK, "umask"),
        (nr_i386::CHROOT, "chroot"),
        (nr_i386::USTAT, "ustat"),
        (nr_i386::DUP2, "dup2"),
        (nr_i386::GETPPID, "getppid"),
        (nr_i386::GETPGRP, "getpgrp"),
        (nr_i386::SETSID, "setsid"),
        (nr_i386::SIGACTION, "sigaction"),
        (nr_i386::SGETMASK, "sgetmask"),
        (nr_i386::SSETMASK, "ssetmask"),
        (nr_i386::SETREUID, "setreuid"),
        (nr_i386::SETREGID, "setregid"),
        (nr_i386::SIGSUSPEND, "sigsuspend"),
        (nr_i386::SIGPENDING, "sigpending"),
        (nr_i386::SETHOSTNAME, "sethostname"),
        (nr_i386::SETRLIMIT, "setrlimit"),
        (nr_i386::GETRLIMIT, "getrlimit"),
        (nr_i386::GETRUSAGE, "getrusage"),
        (nr_i386::GETTIMEOFDAY, "gettimeofday"),
        (nr_i386::SETTIMEOFDAY, "settimeofday"),
        (nr_i386::GETGROUPS, "getgroups"),
        (nr_i386::SETGROUPS, "setgroups"),
        (nr_i386::SELECT, "select"),
        (nr_i386::SYMLINK, "symlink"),
        (nr_i386::OLDLSTAT, "oldlstat"),
        (nr_i386::READLINK, "readlink"),
        (nr_i386::USELIB, "uselib"),
        (nr_i386::SWAPON, "swapon"),
        (nr_i386::REBOOT, "reboot"),
        (nr_i386::READDIR, "readdir"),
        (nr_i386::MMAP, "mmap"),
        (nr_i386::MUNMAP, "munmap"),
        (nr_i386::TRUNCATE, "truncate"),
        (nr_i386::FTRUNCATE, "ftruncate"),
        (nr_i386::FCHMOD, "fchmod"),
        (nr_i386::FCHOWN, "fchown"),
        (nr_i386::GETPRIORITY, "getpriority"),
        (nr_i386::SETPRIORITY, "setpriority"),
        (nr_i386::PROFIL, "profil"),
        (nr_i386::STATFS, "statfs"),
        (nr_i386::FSTATFS, "fstatfs"),
        (nr_i386::IOPERM, "ioperm"),
        (nr_i386::SOCKETCALL, "socketcall"),
        (nr_i386::SYSLOG, "syslog"),
        (nr_i386::SETITIMER, "setitimer"),
        (nr_i386::GETITIMER, "getitimer"),
        (nr_i386::STAT, "stat"),
        (nr_i386::LSTAT, "lstat"),
        (nr_i386::FSTAT, "fstat"),
        (nr_i386::OLDUNAME, "olduname"),
        (nr_i386::IOPL, "iopl"),
        (nr_i386::VHANGUP, "vhangup"),
        (nr_i386::IDLE, "idle"),
        (nr_i386::VM86OLD, "vm86old"),
        (nr_i386::WAIT4, "wait4"),
        (nr_i386::SWAPOFF, "swapoff"),
        (nr_i386::SYSINFO, "sysinfo"),
        (nr_i386::IPC, "ipc"),
        (nr_i386::FSYNC, "fsync"),
        (nr_i386::SIGRETURN, "sigreturn"),
        (nr_i386::CLONE, "clone"),
        (nr_i386::SETDOMAINNAME, "setdomainname"),
        (nr_i386::UNAME, "uname"),
        (nr_i386::MODIFY_LDT, "modify_ldt"),
        (nr_i386::ADJTIMEX, "adjtimex"),
        (nr_i386::MPROTECT, "mprotect"),
        (nr_i386::SIGPROCMASK, "sigprocmask"),
        (nr_i386::CREATE_MODULE, "create_module"),
        (nr_i386::INIT_MODULE, "init_module"),
        (nr_i386::DELETE_MODULE, "delete_module"),
        (nr_i386::GET_KERNEL_SYMS, "get_kernel_syms"),
        (nr_i386::QUOTACTL, "quotactl"),
        (nr_i386::GETPGID, "getpgid"),
        (nr_i386::FCHDIR, "fchdir"),
        (nr_i386::BDFLUSH, "bdflush"),
        (nr_i386::SYSFS, "sysfs"),
        (nr_i386::PERSONALITY, "personality"),
        (nr_i386::AFS_SYSCALL, "afs_syscall"),
        (nr_i386::SETFSUID, "setfsuid"),
        (nr_i386::SETFSGID, "setfsgid"),
        (nr_i386::_LLSEEK, "_llseek"),
        (nr_i386::GETDENTS, "getdents"),
        (nr_i386::_NEWSELECT, "_newselect"),
        (nr_i386::FLOCK, "flock"),
        (nr_i386::MSYNC, "msync"),
        (nr_i386::READV, "readv"),
        (nr_i386::WRITEV, "writev"),
        (nr_i386::GETSID, "getsid"),
        (nr_i386::FDATASYNC, "fdatasync"),
        (nr_i386::_SYSCTL, "_sysctl"),
        (nr_i386::MLOCK, "mlock"),
        (nr_i386::MUNLOCK, "munlock"),
        (nr_i386::MLOCKALL, "mlockall"),
        (nr_i386::MUNLOCKALL, "munlockall"),
        (nr_i386::SCHED_SETPARAM, "sched_setparam"),
        (nr_i386::SCHED_GETPARAM, "sched_getparam"),
        (nr_i386::SCHED_SETSCHEDULER, "sched_setscheduler"),
        (nr_i386::SCHED_GETSCHEDULER, "sched_getscheduler"),
        (nr_i386::SCHED_YIELD, "sched_yield"),
        (nr_i386::SCHED_GET_PRIORITY_MAX, "sched_get_priority_max"),
        (nr_i386::SCHED_GET_PRIORITY_MIN, "sched_get_priority_min"),
        (nr_i386::SCHED_RR_GET_INTERVAL, "sched_rr_get_interval"),
        (nr_i386::NANOSLEEP, "nanosleep"),
        (nr_i386::MREMAP, "mremap"),
        (nr_i386::SETRESUID, "setresuid"),
        (nr_i386::GETRESUID, "getresuid"),
        (nr_i386::VM86, "vm86"),
        (nr_i386::QUERY_MODULE, "query_module"),
        (nr_i386::POLL, "poll"),
        (nr_i386::NFSSERVCTL, "nfsservctl"),
        (nr_i386::SETRESGID, "setresgid"),
        (nr_i386::GETRESGID, "getresgid"),
        (nr_i386::PRCTL, "prctl"),
        (nr_i386::RT_SIGRETURN, "rt_sigreturn"),
        (nr_i386::RT_SIGACTION, "rt_sigaction"),
        (nr_i386::RT_SIGPROCMASK, "rt_sigprocmask"),
        (nr_i386::RT_SIGPENDING, "rt_sigpending"),
        (nr_i386::RT_SIGTIMEDWAIT, "rt_sigtimedwait"),
        (nr_i386::RT_SIGQUEUEINFO, "rt_sigqueueinfo"),
        (nr_i386::RT_SIGSUSPEND, "rt_sigsuspend"),
        (nr_i386::PREAD64, "pread64"),
        (nr_i386::PWRITE64, "pwrite64"),
        (nr_i386::CHOWN, "chown"),
        (nr_i386::GETCWD, "getcwd"),
        (nr_i386::CAPGET, "capget"),
        (nr_i386::CAPSET, "capset"),
        (nr_i386::SIGALTSTACK, "sigaltstack"),
        (nr_i386::SENDFILE, "sendfile"),
        (nr_i386::GETPMSG, "getpmsg"),
        (nr_i386::PUTPMSG, "putpmsg"),
        (nr_i386::VFORK, "vfork"),
        (nr_i386::UGETRLIMIT, "ugetrlimit"),
        (nr_i386::MMAP2, "mmap2"),
        (nr_i386::TRUNCATE64, "truncate64"),
        (nr_i386::FTRUNCATE64, "ftruncate64"),
        (nr_i386::STAT64, "stat64"),
        (nr_i386::LSTAT64, "lstat64"),
        (nr_i386::FSTAT64, "fstat64"),
        (nr_i386::LCHOWN32, "lchown32"),
        (nr_i386::GETUID32, "getuid32"),
        (nr_i386::GETGID32, "getgid32"),
        (nr_i386::GETEUID32, "geteuid32"),
        (nr_i386::GETEGID32, "getegid32"),
        (nr_i386::SETREUID32, "setreuid32"),
        (nr_i386::SETREGID32, "setregid32"),
        (nr_i386::GETGROUPS32, "getgroups32"),
        (nr_i386::SETGROUPS32, "setgroups32"),
        (nr_i386::FCHOWN32, "fchown32"),
        (nr_i386::SETRESUID32, "setresuid32"),
        (nr_i386::GETRESUID32, "getresuid32"),
        (nr_i386::SETRESGID32, "setresgid32"),
        (nr_i386::GETRESGID32, "getresgid32"),
        (nr_i386::CHOWN32, "chown32"),
        (nr_i386::SETUID32, "setuid32"),
        (nr_i386::SETGID32, "setgid32"),
        (nr_i386::SETFSUID32, "setfsuid32"),
        (nr_i386::SETFSGID32, "setfsgid32"),
        (nr_i386::PIVOT_ROOT, "pivot_root"),
        (nr_i386::MINCORE, "mincore"),
        (nr_i386::MADVISE, "madvise"),
        (nr_i386::GETDENTS64, "getdents64"),
        (nr_i386::FCNTL64, "fcntl64"),
        (nr_i386::GETTID, "gettid"),
        (nr_i386::READAHEAD, "readahead"),
        (nr_i386::SETXATTR, "setxattr"),
        (nr_i386::LSETXATTR, "lsetxattr"),
        (nr_i386::FSETXATTR, "fsetxattr"),
        (nr_i386::GETXATTR, "getxattr"),
        (nr_i386::LGETXATTR, "lgetxattr"),
        (nr_i386::FGETXATTR, "fgetxattr"),
        (nr_i386::LISTXATTR, "listxattr"),
        (nr_i386::LLISTXATTR, "llistxattr"),
        (nr_i386::FLISTXATTR, "flistxattr"),
        (nr_i386::REMOVEXATTR, "removexattr"),
        (nr_i386::LREMOVEXATTR, "lremovexattr"),
        (nr_i386::FREMOVEXATTR, "fremovexattr"),
        (nr_i386::TKILL, "tkill"),
        (nr_i386::SENDFILE64, "sendfile64"),
        (nr_i386::FUTEX, "futex"),
        (nr_i386::SCHED_SETAFFINITY, "sched_setaffinity"),
        (nr_i386::SCHED_GETAFFINITY, "sched_getaffinity"),
        (nr_i386::SET_THREAD_AREA, "set_thread_area"),
        (nr_i386::GET_THREAD_AREA, "get_thread_area"),
        (nr_i386::IO_SETUP, "io_setup"),
        (nr_i386::IO_DESTROY, "io_destroy"),
        (nr_i386::IO_GETEVENTS, "io_getevents"),
        (nr_i386::IO_SUBMIT, "io_submit"),
        (nr_i386::IO_CANCEL, "io_cancel"),
        (nr_i386::FADVISE64, "fadvise64"),
        (nr_i386::EXIT_GROUP, "exit_group"),
        (nr_i386::LOOKUP_DCOOKIE, "lookup_dcookie"),
        (nr_i386::EPOLL_CREATE, "epoll_create"),
        (nr_i386::EPOLL_CTL, "epoll_ctl"),
        (nr_i386::EPOLL_WAIT, "epoll_wait"),
        (nr_i386::REMAP_FILE_PAGES, "remap_file_pages"),
        (nr_i386::SET_TID_ADDRESS, "set_tid_address"),
        (nr_i386::TIMER_CREATE, "timer_create"),
        (nr_i386::TIMER_SETTIME, "timer_settime"),
        (nr_i386::TIMER_GETTIME, "timer_gettime"),
        (nr_i386::TIMER_GETOVERRUN, "timer_getoverrun"),
        (nr_i386::TIMER_DELETE, "timer_delete"),
        (nr_i386::CLOCK_SETTIME, "clock_settime"),
        (nr_i386::CLOCK_GETTIME, "clock_gettime"),
        (nr_i386::CLOCK_GETRES, "clock_getres"),
        (nr_i386::CLOCK_NANOSLEEP, "clock_nanosleep"),
        (nr_i386::STATFS64, "statfs64"),
        (nr_i386::FSTATFS64, "fstatfs64"),
        (nr_i386::TGKILL, "tgkill"),
        (nr_i386::UTIMES, "utimes"),
        (nr_i386::FADVISE64_64, "fadvise64_64"),
        (nr_i386::VSERVER, "vserver"),
        (nr_i386::MBIND, "mbind"),
        (nr_i386::GET_MEMPOLICY, "get_mempolicy"),
        (nr_i386::SET_MEMPOLICY, "set_mempolicy"),
        (nr_i386::MQ_OPEN, "mq_open"),
        (nr_i386::MQ_UNLINK, "mq_unlink"),
        (nr_i386::MQ_TIMEDSEND, "mq_timedsend"),
        (nr_i386::MQ_TIMEDRECEIVE, "mq_timedreceive"),
        (nr_i386::MQ_NOTIFY, "mq_notify"),
        (nr_i386::MQ_GETSETATTR, "mq_getsetattr"),
        (nr_i386::KEXEC_LOAD, "kexec_load"),
        (nr_i386::WAITID, "waitid"),
        (nr_i386::ADD_KEY, "add_key"),
        (nr_i386::REQUEST_KEY, "request_key"),
        (nr_i386::KEYCTL, "keyctl"),
        (nr_i386::IOPRIO_SET, "ioprio_set"),
        (nr_i386::IOPRIO_GET, "ioprio_get"),
        (nr_i386::INOTIFY_INIT, "inotify_init"),
        (nr_i386::INOTIFY_ADD_WATCH, "inotify_add_watch"),
        (nr_i386::INOTIFY_RM_WATCH, "inotify_rm_watch"),
        (nr_i386::MIGRATE_PAGES, "migrate_pages"),
        (nr_i386::OPENAT, "openat"),
        (nr_i386::MKDIRAT, "mkdirat"),
        (nr_i386::MKNODAT, "mknodat"),
        (nr_i386::FCHOWNAT, "fchownat"),
        (nr_i386::FUTIMESAT, "futimesat"),
        (nr_i386::FSTATAT64, "fstatat64"),
        (nr_i386::UNLINKAT, "unlinkat"),
        (nr_i386::RENAMEAT, "renameat"),
        (nr_i386::LINKAT, "linkat"),
        (nr_i386::SYMLINKAT, "symlinkat"),
        (nr_i386::READLINKAT, "readlinkat"),
        (nr_i386::FCHMODAT, "fchmodat"),
        (nr_i386::FACCESSAT, "faccessat"),
        (nr_i386::PSELECT6, "pselect6"),
        (nr_i386::PPOLL, "ppoll"),
        (nr_i386::UNSHARE, "unshare"),
        (nr_i386::SET_ROBUST_LIST, "set_robust_list"),
        (nr_i386::GET_ROBUST_LIST, "get_robust_list"),
        (nr_i386::SPLICE, "splice"),
        (nr_i386::SYNC_FILE_RANGE, "sync_file_range"),
        (nr_i386::TEE, "tee"),
        (nr_i386::VMSPLICE, "vmsplice"),
        (nr_i386::MOVE_PAGES, "move_pages"),
        (nr_i386::GETCPU, "getcpu"),
        (nr_i386::EPOLL_PWAIT, "epoll_pwait"),
        (nr_i386::UTIMENSAT, "utimensat"),
        (nr_i386::SIGNALFD, "signalfd"),
        (nr_i386::TIMERFD_CREATE, "timerfd_create"),
        (nr_i386::EVENTFD, "eventfd"),
        (nr_i386::FALLOCATE, "fallocate"),
        (nr_i386::TIMERFD_SETTIME, "timerfd_settime"),
        (nr_i386::TIMERFD_GETTIME, "timerfd_gettime"),
        (nr_i386::SIGNALFD4, "signalfd4"),
        (nr_i386::EVENTFD2, "eventfd2"),
        (nr_i386::EPOLL_CREATE1, "epoll_create1"),
        (nr_i386::DUP3, "dup3"),
        (nr_i386::PIPE2, "pipe2"),
        (nr_i386::INOTIFY_INIT1, "inotify_init1"),
        (nr_i386::PREADV, "preadv"),
        (nr_i386::PWRITEV, "pwritev"),
        (nr_i386::RT_TGSIGQUEUEINFO, "rt_tgsigqueueinfo"),
        (nr_i386::PERF_EVENT_OPEN, "perf_event_open"),
        (nr_i386::RECVMMSG, "recvmmsg"),
        (nr_i386::FANOTIFY_INIT, "fanotify_init"),
        (nr_i386::FANOTIFY_MARK, "fanotify_mark"),
        (nr_i386::PRLIMIT64, "prlimit64"),
        (nr_i386::NAME_TO_HANDLE_AT, "name_to_handle_at"),
        (nr_i386::OPEN_BY_HANDLE_AT, "open_by_handle_at"),
        (nr_i386::CLOCK_ADJTIME, "clock_adjtime"),
        (nr_i386::SYNCFS, "syncfs"),
        (nr_i386::SENDMMSG, "sendmmsg"),
        (nr_i386::SETNS, "setns"),
        (nr_i386::PROCESS_VM_READV, "process_vm_readv"),
        (nr_i386::PROCESS_VM_WRITEV, "process_vm_writev"),
        (nr_i386::KCMP, "kcmp"),
        (nr_i386::FINIT_MODULE, "finit_module"),
        (nr_i386::SCHED_SETATTR, "sched_setattr"),
        (nr_i386::SCHED_GETATTR, "sched_getattr"),
        (nr_i386::RENAMEAT2, "renameat2"),
        (nr_i386::SECCOMP, "seccomp"),
        (nr_i386::GETRANDOM, "getrandom"),
        (nr_i386::MEMFD_CREATE, "memfd_create"),
        (nr_i386::BPF, "bpf"),
        (nr_i386::EXECVEAT, "execveat"),
        (nr_i386::SOCKET, "socket"),
        (nr_i386::SOCKETPAIR, "socketpair"),
        (nr_i386::BIND, "bind"),
        (nr_i386::CONNECT, "connect"),
        (nr_i386::LISTEN, "listen"),
        (nr_i386::ACCEPT4, "accept4"),
        (nr_i386::GETSOCKOPT, "getsockopt"),
        (nr_i386::SETSOCKOPT, "setsockopt"),
        (nr_i386::GETSOCKNAME, "getsockname"),
        (nr_i386::GETPEERNAME, "getpeername"),
        (nr_i386::SENDTO, "sendto"),
        (nr_i386::SENDMSG, "sendmsg"),
        (nr_i386::RECVFROM, "recvfrom"),
        (nr_i386::RECVMSG, "recvmsg"),
        (nr_i386::SHUTDOWN, "shutdown"),
        (nr_i386::USERFAULTFD, "userfaultfd"),
        (nr_i386::MEMBARRIER, "membarrier"),
        (nr_i386::MLOCK2, "mlock2"),
        (nr_i386::COPY_FILE_RANGE, "copy_file_range"),
        (nr_i386::PREADV2, "preadv2"),
        (nr_i386::PWRITEV2, "pwritev2"),
        (nr_i386::PKEY_MPROTECT, "pkey_mprotect"),
        (nr_i386::PKEY_ALLOC, "pkey_alloc"),
        (nr_i386::PKEY_FREE, "pkey_free"),
        (nr_i386::STATX, "statx"),
        (nr_i386::ARCH_PRCTL, "arch_prctl"),
        (nr_i386::IO_PGETEVENTS, "io_pgetevents"),
        (nr_i386::RSEQ, "rseq"),
        (nr_i386::SEMGET, "semget"),
        (nr_i386::SEMCTL, "semctl"),
        (nr_i386::SHMGET, "shmget"),
        (nr_i386::SHMCTL, "shmctl"),
        (nr_i386::SHMAT, "shmat"),
        (nr_i386::SHMDT, "shmdt"),
        (nr_i386::MSGGET, "msgget"),
        (nr_i386::MSGSND, "msgsnd"),
        (nr_i386::MSGRCV, "msgrcv"),
        (nr_i386::MSGCTL, "msgctl"),
        (nr_i386::CLOCK_GETTIME64, "clock_gettime64"),
        (nr_i386::CLOCK_SETTIME64, "clock_settime64"),
        (nr_i386::CLOCK_ADJTIME64, "clock_adjtime64"),
        (nr_i386::CLOCK_GETRES_TIME64, "clock_getres_time64"),
        (nr_i386::CLOCK_NANOSLEEP_TIME64, "clock_nanosleep_time64"),
        (nr_i386::TIMER_GETTIME64, "timer_gettime64"),
        (nr_i386::TIMER_SETTIME64, "timer_settime64"),
        (nr_i386::TIMERFD_GETTIME64, "timerfd_gettime64"),
        (nr_i386::TIMERFD_SETTIME64, "timerfd_settime64"),
        (nr_i386::UTIMENSAT_TIME64, "utimensat_time64"),
        (nr_i386::PSELECT6_TIME64, "pselect6_time64"),
        (nr_i386::PPOLL_TIME64, "ppoll_time64"),
        (nr_i386::IO_PGETEVENTS_TIME64, "io_pgetevents_time64"),
        (nr_i386::RECVMMSG_TIME64, "recvmmsg_time64"),
        (nr_i386::MQ_TIMEDSEND_TIME64, "mq_timedsend_time64"),
        (nr_i386::MQ_TIMEDRECEIVE_TIME64, "mq_timedreceive_time64"),
        (nr_i386::SEMTIMEDOP_TIME64, "semtimedop_time64"),
        (nr_i386::RT_SIGTIMEDWAIT_TIME64, "rt_sigtimedwait_time64"),
        (nr_i386::FUTEX_TIME64, "futex_time64"),
        (
            nr_i386::SCHED_RR_GET_INTERVAL_TIME64,
            "sched_rr_get_interval_time64",
        ),
        (nr_i386::PIDFD_SEND_SIGNAL, "pidfd_send_signal"),
        (nr_i386::IO_URING_SETUP, "io_uring_setup"),
        (nr_i386::IO_URING_ENTER, "io_uring_enter"),
        (nr_i386::IO_URING_REGISTER, "io_uring_register"),
        (nr_i386::OPEN_TREE, "open_tree"),
        (nr_i386::MOVE_MOUNT, "move_mount"),
        (nr_i386::FSOPEN, "fsopen"),
        (nr_i386::FSCONFIG, "fsconfig"),
        (nr_i386::FSMOUNT, "fsmount"),
        (nr_i386::FSPICK, "fspick"),
        (nr_i386::PIDFD_OPEN, "pidfd_open"),
        (nr_i386::CLONE3, "clone3"),
        (nr_i386::CLOSE_RANGE, "close_range"),
        (nr_i386::OPENAT2, "openat2"),
        (nr_i386::PIDFD_GETFD, "pidfd_getfd"),
        (nr_i386::FACCESSAT2, "faccessat2"),
        (nr_i386::PROCESS_MADVISE, "process_madvise"),
        (nr_i386::EPOLL_PWAIT2, "epoll_pwait2"),
        (nr_i386::MOUNT_SETATTR, "mount_setattr"),
        (nr_i386::QUOTACTL_FD, "quotactl_fd"),
        (nr_i386::LANDLOCK_CREATE_RULESET, "landlock_create_ruleset"),
        (nr_i386::LANDLOCK_ADD_RULE, "landlock_add_rule"),
        (nr_i386::LANDLOCK_RESTRICT_SELF, "landlock_restrict_self"),
        (nr_i386::MEMFD_SECRET, "memfd_secret"),
        (nr_i386::PROCESS_MRELEASE, "process_mrelease"),
        (nr_i386::FUTEX_WAITV, "futex_waitv"),
        (nr_i386::SET_MEMPOLICY_HOME_NODE, "set_mempolicy_home_node"),
        (nr_i386::CACHESTAT, "cachestat"),
        (nr_i386::FCHMODAT2, "fchmodat2"),
        (nr_i386::MAP_SHADOW_STACK, "map_shadow_stack"),
        (nr_i386::FUTEX_WAKE, "futex_wake"),
        (nr_i386::FUTEX_WAIT, "futex_wait"),
        (nr_i386::FUTEX_REQUEUE, "futex_requeue"),
        (nr_i386::STATMOUNT, "statmount"),
        (nr_i386::LISTMOUNT, "listmount"),
        (nr_i386::LSM_GET_SELF_ATTR, "lsm_get_self_attr"),
        (nr_i386::LSM_SET_SELF_ATTR, "lsm_set_self_attr"),
        (nr_i386::LSM_LIST_MODULES, "lsm_list_modules"),
        (nr_i386::MSEAL, "mseal"),
    ];

    #[test]
    fn x86_64_spot_checks() {
        let expect = [
            (0, "read"),
            (1, "write"),
            (39, "getpid"),
            (60, "exit"),
            (110, "getppid"),
            (158, "arch_prctl"),
            (231, "exit_group"),
            (257, "openat"),
            (262, "newfstatat"),
            (302, "prlimit64"),
            (318, "getrandom"),
            (334, "rseq"),
        ];
        for (n, name) in expect {
            assert_eq!(name_64(n), Some(name), "x86-64 {n}");
        }
        assert_eq!(nr::READ, 0);
        assert_eq!(nr::EXIT_GROUP, 231);
        assert_eq!(nr::NEWFSTATAT, 262);
    }

    #[test]
    fn i386_spot_checks() {
        let expect = [
            (1, "exit"),
            (3, "read"),
            (4, "write"),
            (20, "getpid"),
            (64, "getppid"),
            (243, "set_thread_area"),
            (252, "exit_group"),
        ];
        for (n, name) in expect {
            assert_eq!(name_i386(n), Some(name), "i386 {n}");
        }
        assert_eq!(nr_i386::EXIT, 1);
        assert_eq!(nr_i386::WRITE, 4);
        assert_eq!(nr_i386::GETPPID, 64);
        assert_eq!(nr_i386::MMAP2, 192);
    }

    #[test]
    fn gaps_and_bounds() {
        assert_eq!(NR_SYSCALLS_64, 463);
        assert_eq!(NR_SYSCALLS_I386, 463);
        for n in 336..=423 {
            assert_eq!(name_64(n), None, "x86-64 {n} is unused");
        }
        for n in [222, 223, 251, 285, 387, 388, 389, 390, 391, 392, 415] {
            assert_eq!(name_i386(n), None, "i386 {n} is unused");
        }
        // The x32 range is not part of the x86-64 table.
        assert_eq!(name_64(512), None);
        assert_eq!(name_64(NR_SYSCALLS_64 as u64), None);
        assert_eq!(name_i386(NR_SYSCALLS_I386 as u64), None);
        assert_eq!(name_64(u64::MAX), None);
        assert_eq!(name_i386(u64::MAX), None);
        // Both tables end on a real entry.
        assert!(!SYSCALL_NAMES_64[NR_SYSCALLS_64 - 1].is_empty());
        assert!(!SYSCALL_NAMES_I386[NR_SYSCALLS_I386 - 1].is_empty());
    }

    fn check_constants(table: &[&str], all: &[(usize, &str)]) {
        for &(n, name) in all {
            assert_eq!(table.get(n), Some(&name), "constant for {name}");
        }
        // Every named slot has a constant.
        let named = table.iter().filter(|n| !n.is_empty()).count();
        assert_eq!(named, all.len());
    }

    #[test]
    fn constants_agree_with_tables() {
        check_constants(SYSCALL_NAMES_64, ALL_64);
        check_constants(SYSCALL_NAMES_I386, ALL_I386);
    }

    fn check_names(table: &[&str]) {
        let mut seen = BTreeSet::new();
        for (n, name) in table.iter().enumerate().filter(|(_, s)| !s.is_empty()) {
            assert!(seen.insert(*name), "{name} appears twice (again at {n})");
            assert!(!name.starts_with("sys_"), "{name}");
            assert!(
                name.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{name}"
            );
        }
    }

    #[test]
    fn names_are_unique_and_plain() {
        check_names(SYSCALL_NAMES_64);
        check_names(SYSCALL_NAMES_I386);
    }
}
