/* The sandbox's cgroup: memory, CPU and pids limits, the freezer, the
 * figures and the OOM count. Two layouts: cgroup v1 with one hierarchy per
 * controller at /sys/fs/cgroup/<controller> (Debian 12 in hybrid mode,
 * this project's machines), and cgroup2 where memory, cpu and pids are
 * enabled (/sys/fs/cgroup or /sys/fs/cgroup/unified). Every file here is
 * a small sysfs file: reads and writes do not block the loop. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vm/internal.h"

#define CG_ROOT "/sys/fs/cgroup"

static const char *const V1_NAMES[VM_SBX_CG_N] = {"memory", "cpu", "cpuacct", "pids", "freezer"};
/* cpuacct only gives the CPU time figure: a machine without it still runs */
static const bool V1_REQUIRED[VM_SBX_CG_N] = {true, true, false, true, true};

static int write_str(const char *dir, const char *file, const char *val)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, val, strlen(val));
	int rc = n < 0 ? -errno : 0;
	close(fd);
	return rc;
}

static ssize_t read_str(const char *dir, const char *file, char *buf, size_t len)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, len - 1);
	int e = errno;
	close(fd);
	if (n < 0)
		return -e;
	buf[n] = 0;
	return n;
}

static uint64_t read_u64(const char *dir, const char *file)
{
	char buf[64];
	if (read_str(dir, file, buf, sizeof(buf)) <= 0)
		return 0;
	return strtoull(buf, NULL, 10);
}

/* The value of "key N" in a flat keyed file (memory.events, cpu.stat). */
static uint64_t read_key(const char *dir, const char *file, const char *key)
{
	char buf[4096];
	if (read_str(dir, file, buf, sizeof(buf)) <= 0)
		return 0;
	size_t kl = strlen(key);
	for (char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, key, kl) == 0 && p[kl] == ' ')
			return strtoull(p + kl + 1, NULL, 10);
	return 0;
}

static bool file_exists(const char *dir, const char *file)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return access(path, F_OK) == 0;
}

/* A cgroup2 root with memory, cpu and pids available, or NULL. */
static const char *v2_root(void)
{
	static const char *const roots[] = {CG_ROOT, CG_ROOT "/unified"};
	for (size_t i = 0; i < 2; i++) {
		char buf[512];
		if (read_str(roots[i], "cgroup.controllers", buf, sizeof(buf)) <= 0)
			continue;
		if (strstr(buf, "memory") && strstr(buf, "pids") && strstr(buf, "cpu"))
			return roots[i];
	}
	return NULL;
}

int vm__sbx_cg_check(char *err, size_t errlen)
{
	if (v2_root())
		return 0;
	for (int i = 0; i < VM_SBX_CG_N; i++) {
		char path[64];
		snprintf(path, sizeof(path), CG_ROOT "/%s", V1_NAMES[i]);
		if (V1_REQUIRED[i] && !file_exists(path, "cgroup.procs")) {
			snprintf(err, errlen, "cgroup: neither a cgroup2 tree with memory, cpu and "
			         "pids (" CG_ROOT "/cgroup.controllers) nor the cgroup v1 controller "
			         "%s (%s/cgroup.procs)", V1_NAMES[i], path);
			return -ENODEV;
		}
	}
	return 0;
}

static int mkdir_ok(const char *path)
{
	if (mkdir(path, 0755) == 0)
		return 1;
	return errno == EEXIST ? 0 : -errno;
}

/* cgroup2: enable the controllers for the parent's children. */
static int v2_enable(const char *root, const char *parent, char *err, size_t errlen)
{
	char pdir[PATH_MAX];
	snprintf(pdir, sizeof(pdir), "%s/%s", root, parent);
	int rc = mkdir_ok(pdir);
	if (rc < 0) {
		snprintf(err, errlen, "cgroup: %s: mkdir: %s", pdir, strerror(-rc));
		return rc;
	}
	const char *dirs[] = {root, pdir};
	for (size_t i = 0; i < 2; i++) {
		rc = write_str(dirs[i], "cgroup.subtree_control", "+memory +cpu +pids");
		if (rc < 0) {
			snprintf(err, errlen, "cgroup: %s/cgroup.subtree_control: enabling memory, "
			         "cpu and pids: %s", dirs[i], strerror(-rc));
			return rc;
		}
	}
	return 0;
}

static int setup_dirs(struct vm__sbx_cg *cg, const char *parent, const char *name, char *err,
                      size_t errlen)
{
	const char *root2 = v2_root();
	cg->v2 = root2 != NULL;
	if (cg->v2) {
		int rc = v2_enable(root2, parent, err, errlen);
		if (rc < 0)
			return rc;
	}
	for (int i = 0; i < VM_SBX_CG_N; i++) {
		char croot[PATH_MAX], real[PATH_MAX];
		if (cg->v2)
			snprintf(croot, sizeof(croot), "%s", root2);
		else
			snprintf(croot, sizeof(croot), CG_ROOT "/%s", V1_NAMES[i]);
		if (!realpath(croot, real)) {
			if (!V1_REQUIRED[i])
				continue;
			snprintf(err, errlen, "cgroup: %s: %s", croot, strerror(errno));
			return -ENODEV;
		}
		char pdir[PATH_MAX];
		if (snprintf(pdir, sizeof(pdir), "%s/%s", real, parent) >= (int)sizeof(pdir) ||
		    snprintf(cg->dir[i], sizeof(cg->dir[i]), "%s/%s", pdir, name) >=
		    (int)sizeof(cg->dir[i])) {
			snprintf(err, errlen, "cgroup: %s/%s/%s: path too long", real, parent, name);
			cg->dir[i][0] = 0;
			return -ENAMETOOLONG;
		}
		/* v2, or v1 controllers mounted together (cpu,cpuacct): one directory */
		bool shared = false;
		for (int j = 0; j < i; j++)
			shared |= strcmp(cg->dir[j], cg->dir[i]) == 0;
		if (shared)
			continue;
		int rc = mkdir_ok(pdir);
		if (rc >= 0)
			rc = mkdir(cg->dir[i], 0755) == 0 ? 0 : -errno;
		if (rc < 0) {
			snprintf(err, errlen, "cgroup: %s: mkdir: %s", cg->dir[i], strerror(-rc));
			cg->dir[i][0] = 0;
			return rc;
		}
		cg->made[i] = true;
	}
	return 0;
}

static int set_limit(const char *dir, const char *file, const char *val, char *err, size_t errlen)
{
	int rc = write_str(dir, file, val);
	if (rc < 0)
		snprintf(err, errlen, "cgroup: %s/%s: writing %s: %s", dir, file, val, strerror(-rc));
	return rc;
}

static int limits_v1(const struct vm__sbx_cg *cg, const struct vm__sbx_limits *l, char *err,
                     size_t errlen)
{
	char v[64];
	int rc = 0;
	const char *mem = cg->dir[VM_SBX_CG_MEMORY], *cpu = cg->dir[VM_SBX_CG_CPU];
	if (l->mem_bytes) {
		snprintf(v, sizeof(v), "%" PRIu64, l->mem_bytes);
		rc = set_limit(mem, "memory.limit_in_bytes", v, err, errlen);
		/* no swap beyond the limit (the file exists when swap accounting is on) */
		if (rc == 0 && file_exists(mem, "memory.memsw.limit_in_bytes"))
			rc = set_limit(mem, "memory.memsw.limit_in_bytes", v, err, errlen);
	}
	if (rc == 0 && l->cpu_shares) {
		snprintf(v, sizeof(v), "%" PRIu32, l->cpu_shares);
		rc = set_limit(cpu, "cpu.shares", v, err, errlen);
	}
	if (rc == 0 && l->cpu_quota_us) {
		snprintf(v, sizeof(v), "%" PRIu32, l->cpu_period_us ? l->cpu_period_us : 100000);
		rc = set_limit(cpu, "cpu.cfs_period_us", v, err, errlen);
		snprintf(v, sizeof(v), "%" PRIu32, l->cpu_quota_us);
		if (rc == 0)
			rc = set_limit(cpu, "cpu.cfs_quota_us", v, err, errlen);
	}
	if (rc == 0 && l->pids_max) {
		snprintf(v, sizeof(v), "%" PRIu32, l->pids_max);
		rc = set_limit(cg->dir[VM_SBX_CG_PIDS], "pids.max", v, err, errlen);
	}
	return rc;
}

static int limits_v2(const struct vm__sbx_cg *cg, const struct vm__sbx_limits *l, char *err,
                     size_t errlen)
{
	char v[64];
	int rc = 0;
	const char *dir = cg->dir[VM_SBX_CG_MEMORY];
	if (l->mem_bytes) {
		snprintf(v, sizeof(v), "%" PRIu64, l->mem_bytes);
		rc = set_limit(dir, "memory.max", v, err, errlen);
		if (rc == 0 && file_exists(dir, "memory.swap.max"))
			rc = set_limit(dir, "memory.swap.max", "0", err, errlen);
	}
	if (rc == 0 && l->cpu_shares) {
		/* cgroup2's weight (1..10000) for v1's shares (2..262144) */
		uint64_t w = 1 + ((uint64_t)(l->cpu_shares < 2 ? 2 : l->cpu_shares) - 2) * 9999 / 262142;
		snprintf(v, sizeof(v), "%" PRIu64, w > 10000 ? 10000 : w);
		rc = set_limit(dir, "cpu.weight", v, err, errlen);
	}
	if (rc == 0 && l->cpu_quota_us) {
		snprintf(v, sizeof(v), "%" PRIu32 " %" PRIu32, l->cpu_quota_us,
		         l->cpu_period_us ? l->cpu_period_us : 100000);
		rc = set_limit(dir, "cpu.max", v, err, errlen);
	}
	if (rc == 0 && l->pids_max) {
		snprintf(v, sizeof(v), "%" PRIu32, l->pids_max);
		rc = set_limit(dir, "pids.max", v, err, errlen);
	}
	return rc;
}

int vm__sbx_cg_create(struct vm__sbx_cg *cg, const char *parent, const char *name,
                      const struct vm__sbx_limits *lim, char *err, size_t errlen)
{
	memset(cg, 0, sizeof(*cg));
	int rc = vm__sbx_cg_check(err, errlen);
	if (rc < 0)
		return rc;
	rc = setup_dirs(cg, parent, name, err, errlen);
	if (rc == 0)
		rc = cg->v2 ? limits_v2(cg, lim, err, errlen) : limits_v1(cg, lim, err, errlen);
	if (rc < 0)
		vm__sbx_cg_remove(cg); /* empty: nothing joined yet */
	return rc;
}

size_t vm__sbx_cg_procs(const struct vm__sbx_cg *cg, char out[][272], size_t max)
{
	size_t n = 0;
	for (int i = 0; i < VM_SBX_CG_N && n < max; i++)
		if (cg->made[i])
			snprintf(out[n++], 272, "%s/cgroup.procs", cg->dir[i]);
	return n;
}

int vm__sbx_cg_remove(struct vm__sbx_cg *cg)
{
	int rc = 0;
	for (int i = 0; i < VM_SBX_CG_N; i++) {
		if (!cg->made[i])
			continue;
		if (rmdir(cg->dir[i]) < 0 && errno != ENOENT) {
			rc = -errno;
			continue;
		}
		cg->made[i] = false;
	}
	return rc;
}

int vm__sbx_cg_freeze(const struct vm__sbx_cg *cg, bool freeze)
{
	const char *dir = cg->dir[VM_SBX_CG_FREEZER];
	if (cg->v2)
		return write_str(dir, "cgroup.freeze", freeze ? "1" : "0");
	return write_str(dir, "freezer.state", freeze ? "FROZEN" : "THAWED");
}

int vm__sbx_cg_frozen(const struct vm__sbx_cg *cg)
{
	const char *dir = cg->dir[VM_SBX_CG_FREEZER];
	if (cg->v2)
		return read_key(dir, "cgroup.events", "frozen") == 1;
	char buf[32];
	ssize_t n = read_str(dir, "freezer.state", buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	return strncmp(buf, "FROZEN", 6) == 0;
}

int vm__sbx_cg_signal(const struct vm__sbx_cg *cg, int sig, int except)
{
	const char *dir = cg->dir[VM_SBX_CG_PIDS];
	if (cg->v2 && sig == SIGKILL && !except && file_exists(dir, "cgroup.kill"))
		return write_str(dir, "cgroup.kill", "1");
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	int pid, n = 0;
	while (fscanf(f, "%d", &pid) == 1)
		if (pid != except && kill(pid, sig) == 0)
			n++;
	fclose(f);
	return n;
}

uint64_t vm__sbx_cg_oom_kills(const struct vm__sbx_cg *cg)
{
	const char *dir = cg->dir[VM_SBX_CG_MEMORY];
	if (cg->v2)
		return read_key(dir, "memory.events", "oom_kill");
	return read_key(dir, "memory.oom_control", "oom_kill");
}

int vm__sbx_cg_oom_notifier(const struct vm__sbx_cg *cg, char *path, size_t len)
{
	const char *dir = cg->dir[VM_SBX_CG_MEMORY];
	path[0] = 0;
	if (cg->v2) {
		snprintf(path, len, "%s/memory.events", dir);
		return -1;
	}
	char p[PATH_MAX], v[64];
	snprintf(p, sizeof(p), "%s/memory.oom_control", dir);
	int cfd = open(p, O_RDONLY | O_CLOEXEC);
	if (cfd < 0)
		return -errno;
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int rc = efd < 0 ? -errno : 0;
	if (rc == 0) {
		snprintf(v, sizeof(v), "%d %d", efd, cfd);
		rc = write_str(dir, "cgroup.event_control", v);
	}
	close(cfd); /* the registration holds what it needs */
	if (rc < 0) {
		if (efd >= 0)
			close(efd);
		return rc;
	}
	return efd;
}

int vm__sbx_cg_stats(const struct vm__sbx_cg *cg, struct vm__sbx_stats *st)
{
	const char *mem = cg->dir[VM_SBX_CG_MEMORY];
	if (!cg->made[VM_SBX_CG_MEMORY])
		return -ESRCH;
	if (cg->v2) {
		st->mem_bytes = read_u64(mem, "memory.current");
		st->mem_peak_bytes = read_u64(mem, "memory.peak"); /* Linux 5.19+ */
		st->cpu_ns = read_key(mem, "cpu.stat", "usage_usec") * 1000;
	} else {
		st->mem_bytes = read_u64(mem, "memory.usage_in_bytes");
		st->mem_peak_bytes = read_u64(mem, "memory.max_usage_in_bytes");
		if (cg->dir[VM_SBX_CG_CPUACCT][0])
			st->cpu_ns = read_u64(cg->dir[VM_SBX_CG_CPUACCT], "cpuacct.usage");
	}
	st->pids = read_u64(cg->dir[VM_SBX_CG_PIDS], "pids.current");
	st->oom_kills = vm__sbx_cg_oom_kills(cg);
	return 0;
}
