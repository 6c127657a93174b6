/* The sandbox's seccomp filter (libseccomp): the system calls a network
 * server never needs and an escape would (namespaces, mounts, kernel
 * modules, tracing, BPF, keyrings, reboot) fail with EPERM. bwrap loads
 * the BPF from a file descriptor (--seccomp FD) just before it runs the
 * program, after its own namespace set-up. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "innet_build.h"
#include "vm/internal.h"

#if INNET_HAVE_SECCOMP
#include <sched.h>
#include <seccomp.h>

static const char *const DENIED[] = {
	"ptrace", "process_vm_readv", "process_vm_writev",
	"mount", "umount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree",
	"fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
	"unshare", "setns",
	"kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
	"bpf", "perf_event_open", "userfaultfd",
	"keyctl", "add_key", "request_key",
	"swapon", "swapoff", "reboot", "acct", "quotactl",
	"settimeofday", "clock_settime", "adjtimex", "clock_adjtime",
	"open_by_handle_at", "name_to_handle_at", "lookup_dcookie",
	"iopl", "ioperm", "syslog", "personality",
};

/* clone with a namespace flag is unshare by another name; clone3 hides
 * its flags in memory a filter cannot read, so it says ENOSYS and libc
 * falls back to clone (as container runtimes do). */
static const unsigned long NS_FLAGS[] = {
	CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID,
	CLONE_NEWNET, CLONE_NEWCGROUP,
};

static int deny_clone_ns(scmp_filter_ctx ctx)
{
	for (size_t i = 0; i < sizeof(NS_FLAGS) / sizeof(NS_FLAGS[0]); i++) {
		int rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
		                          SCMP_A0(SCMP_CMP_MASKED_EQ, NS_FLAGS[i], NS_FLAGS[i]));
		if (rc < 0)
			return rc;
	}
	int nr = seccomp_syscall_resolve_name("clone3");
	if (nr != __NR_SCMP_ERROR)
		return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0);
	return 0;
}

static int add_rules(scmp_filter_ctx ctx, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(DENIED) / sizeof(DENIED[0]); i++) {
		int nr = seccomp_syscall_resolve_name(DENIED[i]);
		if (nr == __NR_SCMP_ERROR)
			continue; /* not on this architecture */
		int rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
		if (rc < 0) {
			snprintf(err, errlen, "seccomp: the rule for %s: %s", DENIED[i], strerror(-rc));
			return rc;
		}
	}
	int rc = deny_clone_ns(ctx);
	if (rc < 0)
		snprintf(err, errlen, "seccomp: the rules for clone: %s", strerror(-rc));
	return rc;
}

int vm__sbx_seccomp_fd(char *err, size_t errlen)
{
	int fd = -1, rc;
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx) {
		snprintf(err, errlen, "seccomp: seccomp_init failed");
		return -ENOMEM;
	}
	rc = add_rules(ctx, err, errlen);
	if (rc < 0)
		goto cleanup;
	/* the child inherits it: no MFD_CLOEXEC */
	fd = memfd_create("innet-seccomp", 0);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "seccomp: memfd_create: %s", strerror(errno));
		goto cleanup;
	}
	rc = seccomp_export_bpf(ctx, fd);
	if (rc < 0) {
		snprintf(err, errlen, "seccomp: seccomp_export_bpf: %s", strerror(-rc));
		goto cleanup;
	}
	if (lseek(fd, 0, SEEK_SET) < 0) {
		rc = -errno;
		snprintf(err, errlen, "seccomp: lseek: %s", strerror(errno));
		goto cleanup;
	}
	rc = fd;
	fd = -1;
cleanup:
	if (fd >= 0)
		close(fd);
	seccomp_release(ctx);
	return rc;
}

#else

int vm__sbx_seccomp_fd(char *err, size_t errlen)
{
	snprintf(err, errlen, "seccomp: innet was built without libseccomp (Debian "
	         "libseccomp-dev; meson option seccomp): a sandbox without a syscall "
	         "filter is refused");
	return -ENOTSUP;
}

#endif
