/* Sandbox: a seccomp allow-list for the daemon and the nft/iptables children it spawns. */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>

#include "sandbox.h"

/*
 * What blockd's threads use (netlink queues, raw sockets for injected
 * answers, the control socket, the log, list loading) and what nft,
 * iptables-nft and iptables-legacy use when run for hooks at reload and stop
 * (process start-up, netlink, the xtables lock). Deliberately absent: mount,
 * ptrace, module loading, bpf, kexec, keyctl, personality, setuid and friends.
 */
static const char *const allowed[] = {
    /* memory and threads */
    "brk",
    "mmap",
    "munmap",
    "mprotect",
    "mremap",
    "madvise",
    "futex",
    "set_robust_list",
    "get_robust_list",
    "set_tid_address",
    "rseq",
    "clone",
    "clone3",
    "exit",
    "exit_group",
    "sched_yield",
    "sched_getaffinity",
    "setpriority", /* a reload's thread lowers its own priority (daemon.c) */
    "arch_prctl",
    "prlimit64",
    "getrlimit",
    "membarrier",
    "gettid",
    "getpid",
    "getppid",
    "tgkill",
    "kill",
    "restart_syscall",
    /* processes: the spawned nft/iptables */
    "execve",
    "execveat",
    "fork",
    "vfork",
    "wait4",
    "waitid",
    "prctl",
    /* identity (read only) */
    "getuid",
    "geteuid",
    "getgid",
    "getegid",
    "getresuid",
    "getresgid",
    "getgroups",
    "capget",
    "uname",
    "sysinfo",
    /* signals */
    "rt_sigaction",
    "rt_sigprocmask",
    "rt_sigreturn",
    "sigaltstack",
    "rt_sigtimedwait",
    "signalfd4",
    "alarm",
    /* time */
    "clock_gettime",
    "clock_getres",
    "clock_nanosleep",
    "nanosleep",
    "gettimeofday",
    "time",
    "timerfd_create",
    "timerfd_settime",
    "timerfd_gettime",
    /* files */
    "read",
    "write",
    "readv",
    "writev",
    "pread64",
    "pwrite64",
    "openat",
    "open",
    "close",
    "close_range",
    "lseek",
    "fstat",
    "stat",
    "lstat",
    "newfstatat",
    "statx",
    "statfs",
    "fstatfs",
    "access",
    "faccessat",
    "faccessat2",
    "readlink",
    "readlinkat",
    "getdents64",
    "getcwd",
    "fcntl",
    "flock",
    "fsync",
    "fdatasync",
    "ftruncate",
    "rename",
    "renameat",
    "renameat2",
    "unlink",
    "unlinkat",
    "mkdir",
    "mkdirat",
    "rmdir",
    "symlink",
    "symlinkat",
    "link",
    "linkat",
    "fchmodat",
    "utimensat",
    "fchmod",
    "chmod",
    "fchown",
    "umask",
    "dup",
    "dup2",
    "dup3",
    "pipe",
    "pipe2",
    "ioctl",
    "getrandom",
    "inotify_init1",
    "inotify_add_watch",
    "inotify_rm_watch",
    "eventfd2",
    "memfd_create",
    "sendfile",
    /* polling */
    "poll",
    "ppoll",
    "select",
    "pselect6",
    "epoll_create1",
    "epoll_ctl",
    "epoll_wait",
    "epoll_pwait",
    /* sockets */
    "socket",
    "socketpair",
    "bind",
    "listen",
    "accept",
    "accept4",
    "connect",
    "getsockname",
    "getpeername",
    "getsockopt",
    "setsockopt",
    "sendto",
    "sendmsg",
    "sendmmsg",
    "recvfrom",
    "recvmsg",
    "recvmmsg",
    "shutdown",
};

int
sandbox_apply(char *err, size_t errlen)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	int rc;

	if (ctx == NULL) {
		snprintf(err, errlen, "seccomp_init failed");
		return -1;
	}
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1)) < 0 ||
	    (rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) < 0)
		goto fail;
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		int nr = seccomp_syscall_resolve_name(allowed[i]);
		if (nr == __NR_SCMP_ERROR)
			continue; /* not on this architecture (open, stat, fork on arm64) */
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0)) < 0)
			goto fail;
	}
	if ((rc = seccomp_load(ctx)) < 0)
		goto fail;
	seccomp_release(ctx);
	return 0;
fail:
	snprintf(err, errlen, "seccomp filter: %s", strerror(-rc));
	seccomp_release(ctx);
	return -1;
}
