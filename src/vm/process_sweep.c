/* What a crashed innetd left behind: its programs died with it (bwrap's
 * --die-with-parent), but their network namespaces, cgroups and scratch
 * directories stay. The process backend removes them when it is made,
 * before any module starts (only names <prefix><digits>). */
#include <errno.h>
#include <ftw.h>
#include <glob.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "vm/internal.h"

#define CG_ROOT "/sys/fs/cgroup"

/* path ends in /<prefix><digits> */
static bool ours(const char *path, const char *prefix)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	size_t n = strlen(prefix);
	if (strncmp(b, prefix, n) != 0 || !b[n])
		return false;
	for (b += n; *b; b++)
		if (*b < '0' || *b > '9')
			return false;
	return true;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT ? -1 : 0;
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *f = fopen(p, "we");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* Kill what is left in the group (thawed first: a frozen task dies only
 * when thawed), then remove it, waiting up to a second for the deaths. */
static bool sweep_cgroup(const char *dir)
{
	char p[512];
	write_file(dir, "freezer.state", "THAWED");
	write_file(dir, "cgroup.freeze", "0");
	for (int tries = 0; tries < 100; tries++) {
		snprintf(p, sizeof p, "%s/cgroup.procs", dir);
		FILE *f = fopen(p, "re");
		int pid;
		while (f && fscanf(f, "%d", &pid) == 1)
			kill(pid, SIGKILL);
		if (f)
			fclose(f);
		if (rmdir(dir) == 0 || errno == ENOENT)
			return true;
		nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
	}
	log_warn("process", "left over %s not removed: %s", dir, strerror(errno));
	return false;
}

static int sweep_glob(const char *pattern, const char *prefix, int kind)
{
	glob_t g;
	int n = 0;
	if (glob(pattern, GLOB_NOSORT, NULL, &g) != 0)
		return 0;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		const char *p = g.gl_pathv[i];
		if (!ours(p, prefix))
			continue;
		bool ok;
		if (kind == 0) { /* netns: what `ip netns del` does */
			umount2(p, MNT_DETACH);
			ok = unlink(p) == 0;
		} else if (kind == 1) {
			ok = nftw(p, rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) == 0;
		} else {
			ok = sweep_cgroup(p);
		}
		if (ok) {
			log_info("process", "removed %s, left over by an earlier innetd", p);
			n++;
		} else if (kind != 2) {
			log_warn("process", "left over %s not removed: %s", p, strerror(errno));
		}
	}
	globfree(&g);
	return n;
}

int vm__process_sweep(const char *prefix, const char *scratch_root, const char *cgroup_parent)
{
	char pat[512];
	int n = 0;
	/* cgroups first: nothing may still run in the namespaces */
	snprintf(pat, sizeof pat, CG_ROOT "/*/%s/%s[0-9]*", cgroup_parent, prefix);
	n += sweep_glob(pat, prefix, 2);
	snprintf(pat, sizeof pat, CG_ROOT "/%s/%s[0-9]*", cgroup_parent, prefix);
	n += sweep_glob(pat, prefix, 2);
	snprintf(pat, sizeof pat, "/run/netns/%s[0-9]*", prefix);
	n += sweep_glob(pat, prefix, 0);
	snprintf(pat, sizeof pat, "%s/%s[0-9]*", scratch_root, prefix);
	n += sweep_glob(pat, prefix, 1);
	return n;
}
