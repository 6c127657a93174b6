/* Internal pieces of the controller, exported for its unit tests. */
#ifndef INNET_CONTROLLER_INTERNAL_H
#define INNET_CONTROLLER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/inet.h"
#include "click/click.h"
#include "registry.h"
#include "verify/verify.h"

enum ctl_verdict { CTL_SAFE, CTL_SANDBOXED, CTL_REJECTED };
const char *ctl__verdict_name(enum ctl_verdict v);

/* ---- security rules (rules.c; DESIGN section 9) ---- */
struct ctl_rules_in {
	enum reg_kind kind;
	uint32_t module_addr;
	/* default-off destinations: the tenant's prefixes, its whitelist and
	 * its other modules' addresses (as /32) */
	const struct inet_prefix *allowed;
	size_t nallowed;
};
/* Classify every exit flow and decide the verdict. *report (new ref):
 * {"verdict", "flows", "exits", "rules": [{"rule", "applies", "result",
 * "violations": [{"device", "problem", "result", "src", "dst", "trace"}]}]}. */
int ctl__rules_check(const struct ctl_rules_in *in, const struct vfy_exits *x,
                     enum ctl_verdict *verdict, json_t **report);

/* ---- sandboxing (sandbox.c) ---- */
/* The flat graph g as Click text with a ChangeEnforcer per device number
 * between every input device and what it feeds, and between everything
 * that feeds an output device and that device. allow_all: the default-off
 * rule does not apply (clients): ALLOW 0.0.0.0/0. *out malloc'd. */
int ctl__sandbox_click(const struct click_graph *g, uint32_t addr, const struct inet_prefix *allow,
                       size_t nallow, bool allow_all, char **out);
/* The flat graph as Click text (what is verified and deployed). */
int ctl__graph_text(const struct click_graph *g, char **out);
/* The protocol and destination port the configuration accepts on device 0
 * when the first element after it is an IPFilter/IPClassifier whose first
 * rule names one protocol (udp/tcp) and one destination port; 0 otherwise. */
void ctl__detect_filter(const struct click_graph *g, uint8_t *proto, uint16_t *port);

#endif
