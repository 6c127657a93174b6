/* The process backend's module specs (process.c): checked, copied with
 * "@SCRATCH@" replaced, their files written into the scratch directory
 * before each start, and whether the program listens on their ports. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vm/internal.h"

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

void vm__pspec_free(struct vm__pspec *ps)
{
	if (!ps)
		return;
	strv_free(ps->argv);
	strv_free(ps->env);
	for (size_t i = 0; i < ps->nfiles; i++) {
		free((char *)ps->files[i].name);
		free((char *)ps->files[i].content);
	}
	free(ps->files);
	free(ps->ports);
	free(ps);
}

/* s with every "@SCRATCH@" replaced by scratch. */
static char *subst(const char *s, const char *scratch)
{
	static const char key[] = "@SCRATCH@";
	size_t n = 0, kl = sizeof(key) - 1, sl = strlen(scratch);
	for (const char *q = strstr(s, key); q; q = strstr(q + kl, key))
		n++;
	char *out = malloc(strlen(s) + n * sl + 1), *o = out;
	if (!out)
		return NULL;
	for (const char *q; (q = strstr(s, key)) != NULL; s = q + kl) {
		memcpy(o, s, (size_t)(q - s));
		o += q - s;
		memcpy(o, scratch, sl);
		o += sl;
	}
	strcpy(o, s);
	return out;
}

static char **strv_copy(const char *const *v, const char *scratch)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	char **c = calloc(n + 1, sizeof *c);
	for (size_t i = 0; c && i < n; i++) {
		if (!(c[i] = subst(v[i], scratch))) {
			strv_free(c);
			return NULL;
		}
	}
	return c;
}

static bool file_name_ok(const char *n)
{
	if (!n || !*n || *n == '/' || strlen(n) > 200)
		return false;
	for (const char *p = n; *p; p = strchr(p, '/') ? strchr(p, '/') + 1 : p + strlen(p)) {
		if (!strncmp(p, "..", 2) && (p[2] == '/' || !p[2]))
			return false;
		if (*p == '/')
			return false; /* "a//b" */
	}
	return true;
}

int vm__pspec_check(const struct vm_process_spec *sp, uint64_t id, struct diags *d)
{
	if (!sp->argv || !sp->argv[0] || !*sp->argv[0]) {
		diags_error(d, NULL, 0, "module %llu: its program has no command line",
		            (unsigned long long)id);
		return -EINVAL;
	}
	for (size_t i = 0; i < sp->nfiles; i++) {
		if (!file_name_ok(sp->files[i].name) || !sp->files[i].content) {
			diags_error(d, NULL, 0, "module %llu: file %s: a relative path inside the "
			            "scratch directory (no '..') with a content",
			            (unsigned long long)id, sp->files[i].name ? sp->files[i].name : "?");
			return -EINVAL;
		}
	}
	for (size_t i = 0; i < sp->nports; i++) {
		if ((sp->ports[i].proto != 6 && sp->ports[i].proto != 17) || !sp->ports[i].port) {
			diags_error(d, NULL, 0, "module %llu: port %u/%u: tcp (6) or udp (17) and a "
			            "port above 0", (unsigned long long)id, sp->ports[i].port,
			            sp->ports[i].proto);
			return -EINVAL;
		}
	}
	if (sp->uid == 0 && sp->gid != 0) {
		diags_error(d, NULL, 0, "module %llu: a gid without a uid", (unsigned long long)id);
		return -EINVAL;
	}
	return 0;
}

static void resolve_ids(const struct vm_process_spec *sp, uid_t *uid, gid_t *gid)
{
	*uid = sp->uid;
	*gid = sp->gid;
	if (!*uid) {
		struct passwd *pw = getpwnam("nobody");
		*uid = pw ? pw->pw_uid : 65534;
	}
	if (!*gid) {
		struct group *gr = getgrnam("nogroup");
		*gid = gr ? gr->gr_gid : 65534;
	}
}

struct vm__pspec *vm__pspec_copy(const struct vm_process_spec *sp, const char *scratch)
{
	struct vm__pspec *ps = calloc(1, sizeof *ps);
	if (!ps)
		return NULL;
	ps->argv = strv_copy(sp->argv, scratch);
	ps->env = sp->env ? strv_copy(sp->env, scratch) : NULL;
	ps->files = calloc(sp->nfiles + 1, sizeof *ps->files);
	ps->ports = calloc(sp->nports + 1, sizeof *ps->ports);
	bool ok = ps->argv && (ps->env || !sp->env) && ps->files && ps->ports;
	for (size_t i = 0; ok && i < sp->nfiles; i++, ps->nfiles++) {
		size_t len = sp->files[i].len ? sp->files[i].len : strlen(sp->files[i].content);
		char *c = malloc(len + 1);
		if (c) {
			memcpy(c, sp->files[i].content, len);
			c[len] = 0;
		}
		if (c && !sp->files[i].len) { /* text: @SCRATCH@ replaced as in argv */
			char *t = subst(c, scratch);
			free(c);
			c = t;
			len = c ? strlen(c) : 0;
		}
		ps->files[i].name = strdup(sp->files[i].name);
		ps->files[i].content = c;
		ps->files[i].len = len;
		ok = c && ps->files[i].name;
	}
	if (!ok) {
		vm__pspec_free(ps);
		return NULL;
	}
	if (sp->nports)
		memcpy(ps->ports, sp->ports, sp->nports * sizeof *ps->ports);
	ps->nports = sp->nports;
	resolve_ids(sp, &ps->uid, &ps->gid);
	ps->lim.mem_bytes = sp->mem_bytes;
	ps->lim.cpu_shares = sp->cpu_shares;
	ps->lim.cpu_quota_us = sp->cpu_quota_us;
	ps->lim.pids_max = sp->pids_max ? sp->pids_max : 64;
	ps->restart = sp->restart;
	ps->timeout_ms = sp->start_timeout_ms;
	return ps;
}

/* One of /proc/<pid>/net/{tcp,tcp6,udp,udp6} has `port` (TCP: LISTEN). */
static bool port_in(int pid, const char *file, uint16_t port, bool tcp)
{
	char path[64], line[512];
	snprintf(path, sizeof path, "/proc/%d/net/%s", pid, file);
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	bool found = false;
	while (!found && fgets(line, sizeof line, f)) {
		unsigned lport, st;
		if (sscanf(line, " %*u: %*[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%*x %x", &lport, &st) != 2)
			continue; /* the header */
		found = lport == port && (!tcp || st == 0x0A);
	}
	fclose(f);
	return found;
}

/* The program listens on every port of its spec. Read through a process
 * that is in the module's netns (checked: before `ip netns exec` the
 * launcher is still in the host's). */
bool vm__pspec_listening(const struct vm__pspec *ps, const struct vm__sbx *sbx, const char *netns)
{
	int pid = vm__sbx_pid(sbx);
	if (!pid || !vm__sbx_started(sbx))
		return false;
	char path[PATH_MAX];
	struct stat a, b;
	snprintf(path, sizeof path, "/proc/%d/ns/net", pid);
	if (stat(path, &a) < 0)
		return false;
	snprintf(path, sizeof path, "/run/netns/%s", netns);
	if (stat(path, &b) < 0 || a.st_ino != b.st_ino || a.st_dev != b.st_dev)
		return false;
	for (size_t i = 0; i < ps->nports; i++) {
		uint16_t port = ps->ports[i].port;
		bool tcp = ps->ports[i].proto == 6;
		if (!port_in(pid, tcp ? "tcp" : "udp", port, tcp) &&
		    !port_in(pid, tcp ? "tcp6" : "udp6", port, tcp))
			return false;
	}
	return true;
}

/* The scratch directory exists (mode 0700, the program's): its files. */
int vm__pspec_write(const char *scratch, void *arg)
{
	struct vm__pspec *ps = arg;
	ps->bad_file = NULL;
	for (size_t i = 0; i < ps->nfiles; i++) {
		const struct vm_process_file *f = &ps->files[i];
		ps->bad_file = f->name; /* named in the start's error if it fails */
		char path[PATH_MAX];
		if (snprintf(path, sizeof path, "%s/%s", scratch, f->name) >= (int)sizeof path)
			return -ENAMETOOLONG;
		for (char *q = path + strlen(scratch) + 1; (q = strchr(q, '/')) != NULL; q++) {
			*q = 0;
			int rc = mkdir(path, 0755) < 0 && errno != EEXIST ? -errno : 0;
			if (rc == 0 && chown(path, ps->uid, ps->gid) < 0)
				rc = -errno;
			*q = '/';
			if (rc < 0)
				return rc;
		}
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0)
			return -errno;
		int rc = 0;
		for (size_t off = 0; rc == 0 && off < f->len;) {
			ssize_t n = write(fd, f->content + off, f->len - off);
			if (n < 0 && errno != EINTR)
				rc = -errno;
			else if (n > 0)
				off += (size_t)n;
		}
		if (rc == 0 && fchown(fd, ps->uid, ps->gid) < 0)
			rc = -errno;
		if (close(fd) < 0 && rc == 0)
			rc = -errno;
		if (rc < 0)
			return rc;
	}
	ps->bad_file = NULL;
	return 0;
}
