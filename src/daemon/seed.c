#include "daemon/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "base/log.h"

/* A file the configuration names could not be read. */
static int file_error(struct diags *d, const char *path, int rc)
{
	diags_error(d, NULL, 0, "%s: %s", path, strerror(-rc));
	return rc;
}

/* The snapshot's own diagnostics, under a line that names the file. */
static void snapshot_errors(struct diags *d, const char *path, struct diags *sd)
{
	diags_error(d, NULL, 0, "%s: the network snapshot is not valid:", path);
	diags_set_file(sd, 0, path);
	diags_move(d, sd);
}

int seed_registry(struct registry *reg, const struct cfg *cfg, struct diags *d)
{
	char flag;
	size_t flen;
	int rc = reg_meta_get(reg, "seeded", &flag, 1, &flen);
	if (rc == 0) {
		if ((cfg->network && *cfg->network) || (cfg->policy && *cfg->policy))
			log_info("seed", "the registry was seeded at its first start: the network and policy "
			         "settings are not read again (change them with PUT /v1/network, POST /v1/policies)");
		return 0;
	}
	if (rc != -ENOENT)
		return rc;
	char *net = NULL, *pol = NULL;
	size_t netlen = 0, pollen = 0;
	struct snapshot *s = NULL;
	if (cfg->network && *cfg->network) {
		if ((rc = file_read_all(cfg->network, 64u << 20, &net, &netlen))) {
			file_error(d, cfg->network, rc);
			goto out;
		}
		struct diags sd;
		diags_init(&sd);
		if ((rc = snapshot_parse_pop(net, netlen, cfg->pop, &s, &sd)) ||
		    (rc = snapshot_check_capacity(s, &sd)))
			snapshot_errors(d, cfg->network, &sd);
		diags_free(&sd);
		if (rc)
			goto out;
	}
	if (cfg->policy && *cfg->policy) {
		if ((rc = file_read_all(cfg->policy, 64 * 1024, &pol, &pollen))) {
			file_error(d, cfg->policy, rc);
			goto out;
		}
		if (strlen(pol) != pollen) {
			rc = diags_error(d, NULL, 0, "%s: NUL byte in the policy text", cfg->policy);
			goto out;
		}
	}
	if (s && (rc = reg_snapshot_put(reg, s, "config", NULL)))
		goto out;
	if (s)
		log_info("seed", "loaded %s as network snapshot version %lld", cfg->network, (long long)s->version);
	int64_t id;
	if (pol && pollen && (rc = reg_policy_add(reg, pol, "config", &id)))
		goto out;
	if (pol && pollen)
		log_info("seed", "loaded %s as policy %lld", cfg->policy, (long long)id);
	rc = reg_meta_set(reg, "seeded", "1", 1);
out:
	snapshot_unref(s);
	free(net);
	free(pol);
	return rc;
}

/* The stored snapshot text (taken) made the API's current one. */
static void serve_stored(struct api *api, int64_t version, char *json)
{
	struct diags d;
	diags_init(&d);
	struct snapshot *s;
	int rc = snapshot_parse_pop(json, strlen(json), api_pop(api), &s, &d);
	if (rc) {
		log_error("seed", "stored snapshot version %lld no longer validates (%s); serving without "
		          "a snapshot until PUT /v1/network", (long long)version, d.n ? d.v[0].msg : "?");
	} else {
		s->version = version;
		log_info("seed", "network snapshot version %lld (%zu nodes)", (long long)version, s->nnodes);
		api_set_snapshot(api, s);
		snapshot_unref(s);
	}
	diags_free(&d);
	free(json);
}

int seed_load_snapshot(struct api *api)
{
	int64_t version;
	char *json;
	int rc = reg_snapshot_current(api_registry(api), &version, &json);
	if (rc == -ENOENT)
		return 0;
	if (!rc)
		serve_stored(api, version, json);
	return rc;
}

/* seed_load_snapshot_async: the read on the registry thread. */
struct snapshot_load {
	struct api *api;
	int64_t version;
	char *json;
	void (*then)(void *ud, int rc);
	void *ud;
};

static int snapshot_load_work(struct registry *reg, void *arg)
{
	struct snapshot_load *sl = arg;
	return reg_snapshot_current(reg, &sl->version, &sl->json);
}

static void snapshot_loaded(void *arg, int rc)
{
	struct snapshot_load *sl = arg;
	if (!rc)
		serve_stored(sl->api, sl->version, sl->json);
	sl->then(sl->ud, rc == -ENOENT ? 0 : rc);
	free(sl);
}

int seed_load_snapshot_async(struct api *api, void (*then)(void *ud, int rc), void *ud)
{
	struct snapshot_load *sl = calloc(1, sizeof *sl);
	if (!sl)
		return -ENOMEM;
	*sl = (struct snapshot_load){.api = api, .then = then, .ud = ud};
	int rc = api_registry_submit(api, snapshot_load_work, snapshot_loaded, sl);
	if (rc)
		free(sl);
	return rc;
}
