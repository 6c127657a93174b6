/* Process modules' links on the process port (dataplane.h, "Process
 * modules"): the tag space, the commands that publish tag -> module to the
 * fast path, and the kernel side made with netlink (libnl-route-3).
 *
 * Why macvlan and not a VLAN per module: the same isolation (the program
 * has no capability in its namespace, so it can change neither its MAC
 * nor a tag), no 802.1Q module needed in the kernel (some, e.g. small VM
 * kernels, lack it), and 14-byte frames. Private mode: the kernel never
 * passes a frame from one module's interface to another's; everything
 * goes through the fast path.
 *
 * Why netlink and not `ip` through uv_spawn: the link is six small
 * requests (create, read the MAC, up, address, neighbour, two routes),
 * about 5 ms in all on the development VM (mostly the creation); a spawn
 * chain of `ip` would cost seven fork/execs on top and callbacks. The
 * requests that must run inside the module's namespace use a netlink
 * socket opened there: the control thread enters the namespace with
 * setns only for the socket() call and leaves at once (a socket keeps
 * the namespace it was made in). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "innet_build.h"

#if INNET_HAVE_LIBNL
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/addr.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/macvlan.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>
#include <netlink/socket.h>
#endif

#include "base/fmt.h"
#include "dataplane/internal.h"

#if INNET_HAVE_LIBNL

/* A netlink route socket in the namespace nsfd (-1: ours). */
static struct nl_sock *nl_open_in(int nsfd, char *err, size_t errlen)
{
	int self = -1;
	if (nsfd >= 0) {
		self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
		if (self < 0 || setns(nsfd, CLONE_NEWNET) < 0) {
			fmt_err(err, errlen, "process port: cannot enter the module's network namespace: %s",
			        strerror(errno));
			if (self >= 0)
				close(self);
			return NULL;
		}
	}
	struct nl_sock *sk = nl_socket_alloc();
	int r = sk ? nl_connect(sk, NETLINK_ROUTE) : -NLE_NOMEM;
	if (self >= 0) {
		/* back home: the control thread must never stay in a module's namespace */
		if (setns(self, CLONE_NEWNET) < 0)
			abort();
		close(self);
	}
	if (r < 0) {
		fmt_err(err, errlen, "process port: netlink: %s", nl_geterror(r));
		nl_socket_free(sk);
		return NULL;
	}
	return sk;
}

static int nl_fail(int r, const char *what, char *err, size_t errlen)
{
	fmt_err(err, errlen, "process port: %s: %s", what, nl_geterror(r));
	/* libnl's codes are its own; the common ones back to errno */
	switch (-r) {
	case NLE_EXIST: return -EEXIST;
	case NLE_NODEV: case NLE_OBJ_NOTFOUND: return -ENODEV;
	case NLE_PERM: case NLE_NOACCESS: return -EPERM;
	case NLE_NOMEM: return -ENOMEM;
	default: return -EIO;
	}
}

/* The module's interface, a macvlan created straight into the namespace
 * (its lower device stays the process port in ours), its MAC carrying
 * the tag. */
static int make_macvlan(struct dp *dp, int nsfd, uint16_t tag, char *err, size_t errlen)
{
	struct nl_sock *sk = nl_open_in(-1, err, errlen);
	if (!sk)
		return -EIO;
	uint8_t mac[6] = {DP_PROCESS_MAC_PREFIX >> 24, (DP_PROCESS_MAC_PREFIX >> 16) & 0xff,
	                  (DP_PROCESS_MAC_PREFIX >> 8) & 0xff, DP_PROCESS_MAC_PREFIX & 0xff,
	                  (uint8_t)(tag >> 8), (uint8_t)tag};
	struct rtnl_link *l = rtnl_link_macvlan_alloc();
	struct nl_addr *ll = nl_addr_build(AF_LLC, mac, 6);
	int r = l && ll ? 0 : -NLE_NOMEM;
	if (!r) {
		rtnl_link_set_name(l, DP_PROCESS_IFNAME);
		rtnl_link_set_link(l, dp->ctl_proc_ifindex);
		rtnl_link_set_addr(l, ll);
		rtnl_link_macvlan_set_mode(l, rtnl_link_macvlan_str2mode("private"));
		rtnl_link_set_ns_fd(l, nsfd);
		r = rtnl_link_add(sk, l, NLM_F_CREATE | NLM_F_EXCL);
	}
	rtnl_link_put(l);
	nl_addr_put(ll);
	nl_socket_free(sk);
	return r < 0 ? nl_fail(r, "cannot create the module's interface (macvlan)", err, errlen) : 0;
}

static struct nl_addr *addr4(uint32_t ip, int plen)
{
	uint32_t be = htonl(ip);
	struct nl_addr *a = nl_addr_build(AF_INET, &be, 4);
	if (a)
		nl_addr_set_prefixlen(a, plen);
	return a;
}

/* Inside the namespace: read the MAC, link up, the address, the gateway
 * as a permanent neighbour and the routes through it. */
static int setup_inside(struct nl_sock *sk, const struct rte_ether_addr *gwmac, uint32_t ip,
                        int *ifindex, struct rte_ether_addr *mac, char *err, size_t errlen)
{
	struct rtnl_link *l = NULL, *up = NULL;
	struct rtnl_addr *a = NULL;
	struct rtnl_neigh *n = NULL;
	struct rtnl_route *rt = NULL, *def = NULL;
	struct nl_addr *local = NULL, *gw = NULL, *gwll = NULL, *any = NULL, *gw32 = NULL;
	const char *what = "cannot read the module's interface";
	int r = rtnl_link_get_kernel(sk, 0, DP_PROCESS_IFNAME, &l);
	if (r < 0)
		goto cleanup;
	*ifindex = rtnl_link_get_ifindex(l);
	struct nl_addr *ll = rtnl_link_get_addr(l);
	if (!ll || nl_addr_get_len(ll) != 6) {
		r = -NLE_INVAL;
		goto cleanup;
	}
	memcpy(mac->addr_bytes, nl_addr_get_binary_addr(ll), 6);
	what = "cannot set the module's interface up";
	up = rtnl_link_alloc();
	r = up ? 0 : -NLE_NOMEM;
	if (r < 0)
		goto cleanup;
	rtnl_link_set_flags(up, IFF_UP);
	if ((r = rtnl_link_change(sk, l, up, 0)) < 0)
		goto cleanup;
	what = "cannot add the module's address";
	a = rtnl_addr_alloc();
	local = addr4(ip, 32);
	r = a && local ? 0 : -NLE_NOMEM;
	if (r < 0)
		goto cleanup;
	rtnl_addr_set_ifindex(a, *ifindex);
	rtnl_addr_set_local(a, local);
	if ((r = rtnl_addr_add(sk, a, 0)) < 0)
		goto cleanup;
	what = "cannot add the gateway's neighbour entry";
	n = rtnl_neigh_alloc();
	gw = addr4(DP_PROCESS_GATEWAY, 32);
	gwll = nl_addr_build(AF_LLC, gwmac->addr_bytes, 6);
	r = n && gw && gwll ? 0 : -NLE_NOMEM;
	if (r < 0)
		goto cleanup;
	rtnl_neigh_set_ifindex(n, *ifindex);
	rtnl_neigh_set_dst(n, gw);
	rtnl_neigh_set_lladdr(n, gwll);
	rtnl_neigh_set_state(n, NUD_PERMANENT);
	if ((r = rtnl_neigh_add(sk, n, NLM_F_CREATE | NLM_F_REPLACE)) < 0)
		goto cleanup;
	what = "cannot add the routes through the gateway";
	/* 169.254.0.1 on the link, then default via it */
	rt = rtnl_route_alloc();
	gw32 = addr4(DP_PROCESS_GATEWAY, 32);
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	r = rt && gw32 && nh ? 0 : -NLE_NOMEM;
	if (r < 0) {
		rtnl_route_nh_free(nh);
		goto cleanup;
	}
	rtnl_route_set_family(rt, AF_INET);
	rtnl_route_set_dst(rt, gw32);
	rtnl_route_set_scope(rt, RT_SCOPE_LINK);
	rtnl_route_set_protocol(rt, RTPROT_STATIC);
	rtnl_route_nh_set_ifindex(nh, *ifindex);
	rtnl_route_add_nexthop(rt, nh);
	if ((r = rtnl_route_add(sk, rt, NLM_F_CREATE | NLM_F_EXCL)) < 0)
		goto cleanup;
	def = rtnl_route_alloc();
	any = addr4(0, 0);
	nh = rtnl_route_nh_alloc();
	r = def && any && nh ? 0 : -NLE_NOMEM;
	if (r < 0) {
		rtnl_route_nh_free(nh);
		goto cleanup;
	}
	rtnl_route_set_family(def, AF_INET);
	rtnl_route_set_dst(def, any);
	rtnl_route_set_protocol(def, RTPROT_STATIC);
	rtnl_route_nh_set_ifindex(nh, *ifindex);
	rtnl_route_nh_set_gateway(nh, gw);
	rtnl_route_add_nexthop(def, nh);
	r = rtnl_route_add(sk, def, NLM_F_CREATE | NLM_F_EXCL);
cleanup:
	if (r < 0)
		r = nl_fail(r, what, err, errlen);
	rtnl_link_put(l);
	rtnl_link_put(up);
	rtnl_addr_put(a);
	rtnl_neigh_put(n);
	rtnl_route_put(rt);
	rtnl_route_put(def);
	nl_addr_put(local);
	nl_addr_put(gw);
	nl_addr_put(gwll);
	nl_addr_put(any);
	nl_addr_put(gw32);
	return r;
}

static void delete_link(int nsfd, int ifindex)
{
	char err[128];
	struct nl_sock *sk = nl_open_in(nsfd, err, sizeof err);
	if (!sk)
		return;
	struct rtnl_link *l = rtnl_link_alloc();
	if (l) {
		rtnl_link_set_ifindex(l, ifindex);
		rtnl_link_delete(sk, l); /* gone already with its namespace: fine */
		rtnl_link_put(l);
	}
	nl_socket_free(sk);
}

int dp__proc_kernel_link(struct dp *dp, struct dp__mod *m, uint16_t tag, const char *netns,
                         uint32_t ip, struct rte_ether_addr *mac, char *err, size_t errlen)
{
	char path[256];
	if (!netns || !netns[0] || strchr(netns, '/') ||
	    (size_t)snprintf(path, sizeof path, "/run/netns/%s", netns) >= sizeof path) {
		fmt_err(err, errlen, "process port: '%s' is not a network namespace name", netns ? netns : "");
		return -EINVAL;
	}
	int nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0) {
		int e = errno;
		fmt_err(err, errlen, "process port: network namespace %s: %s", path, strerror(e));
		return -e;
	}
	int r = make_macvlan(dp, nsfd, tag, err, errlen);
	if (r < 0) {
		close(nsfd);
		return r;
	}
	struct nl_sock *sk = nl_open_in(nsfd, err, errlen);
	int ifindex = 0;
	r = sk ? setup_inside(sk, &dp->proc.mac, ip, &ifindex, mac, err, errlen) : -EIO;
	nl_socket_free(sk);
	if (r < 0) {
		/* nothing left behind: the interface goes, with its address and routes */
		if (ifindex)
			delete_link(nsfd, ifindex);
		close(nsfd);
		return r;
	}
	m->ctl_nsfd = nsfd;
	m->ctl_ifindex = ifindex;
	return 0;
}

void dp__proc_kernel_unlink(struct dp *dp, struct dp__mod *m)
{
	(void)dp;
	delete_link(m->ctl_nsfd, m->ctl_ifindex);
	close(m->ctl_nsfd);
	m->ctl_nsfd = -1;
	m->ctl_ifindex = 0;
}

#else /* !INNET_HAVE_LIBNL */

int dp__proc_kernel_link(struct dp *dp, struct dp__mod *m, uint16_t tag, const char *netns,
                         uint32_t ip, struct rte_ether_addr *mac, char *err, size_t errlen)
{
	(void)dp; (void)m; (void)tag; (void)netns; (void)ip; (void)mac;
	fmt_err(err, errlen, "process port: this innet was built without libnl-route-3 "
	                     "(install libnl-route-3-dev and run meson setup again)");
	return -ENOTSUP;
}

void dp__proc_kernel_unlink(struct dp *dp, struct dp__mod *m) { (void)dp; (void)m; }

#endif

/* ---- the tag space and the fast path's table -------------------------------- */

static int tag_take(struct dp *dp, uint16_t tag, char *err, size_t errlen)
{
	if (tag > DP_PROCESS_TAG_MAX) {
		fmt_err(err, errlen, "process port: tag %u is over %d", tag, DP_PROCESS_TAG_MAX);
		return -ERANGE;
	}
	if (tag) {
		if (dp->ctl_tags[tag]) {
			fmt_err(err, errlen, "process port: tag %u is taken", tag);
			return -EADDRINUSE;
		}
		return tag;
	}
	for (int t = 1; t <= DP_PROCESS_TAG_MAX; t++)
		if (!dp->ctl_tags[t])
			return t;
	fmt_err(err, errlen, "process port: all %d tags are taken", DP_PROCESS_TAG_MAX);
	return -ENOSPC;
}

int dp_process_link(struct dp *dp, uint64_t module_id, uint16_t tag, const char *netns, uint32_t ip,
                    char *err, size_t errlen)
{
	if (!dp) {
		fmt_err(err, errlen, "process port: no fast path");
		return -ENOTCONN;
	}
	if (!dp->has_proc) {
		fmt_err(err, errlen, "process port: none is configured; process modules need the "
		                     "process-port setting (e.g. process-port = innet-proc)");
		return -ENOTSUP;
	}
	struct dp__mod *m = dp__find(dp, module_id);
	if (!m) {
		fmt_err(err, errlen, "process port: no module %llu", (unsigned long long)module_id);
		return -ENOENT;
	}
	if (m->ctl_tag) {
		fmt_err(err, errlen, "process port: module %llu is linked (tag %u)",
		        (unsigned long long)module_id, m->ctl_tag);
		return -EALREADY;
	}
	int t = tag_take(dp, tag, err, errlen);
	if (t < 0)
		return t;
	struct dp__cmd *c = dp__cmd_new(DP__CMD_LINK, m);
	if (!c)
		return -ENOMEM;
	int r = dp__proc_kernel_link(dp, m, (uint16_t)t, netns, ip, &c->mac, err, errlen);
	if (r < 0) {
		free(c);
		return r;
	}
	c->tag = (uint16_t)t;
	if ((r = dp__cmd_send(dp, c)) < 0) {
		dp__proc_kernel_unlink(dp, m);
		return r;
	}
	/* the workers polling the process port find the module (and its
	 * owner) from now on */
	__atomic_store_n(&dp->tags[t], dp__tagged(m, m->owner), __ATOMIC_RELEASE);
	dp->ctl_tags[t] = true;
	m->ctl_tag = (uint16_t)t;
	dp->ctl_nlinks++;
	return t;
}

int dp_process_unlink(struct dp *dp, uint64_t module_id)
{
	struct dp__mod *m = dp ? dp__find(dp, module_id) : NULL;
	if (!m)
		return dp ? -ENOENT : -ENOTCONN;
	if (!m->ctl_tag)
		return -ENOTCONN;
	struct dp__cmd *c = dp__cmd_new(DP__CMD_UNLINK, m);
	if (!c)
		return -ENOMEM;
	/* frames of the tag are no module's from now on (one still on its
	 * way reaches this module, which lives until a grace period after
	 * its removal, dp_module_remove) */
	__atomic_store_n(&dp->tags[m->ctl_tag], NULL, __ATOMIC_RELEASE);
	int r = dp__cmd_send(dp, c);
	if (r < 0)
		return r;
	/* the tag is free again once the owner forgot it: its commands run in
	 * order, so a later LINK with it comes after this UNLINK */
	dp->ctl_tags[m->ctl_tag] = false;
	m->ctl_tag = 0;
	dp->ctl_nlinks--;
	dp__proc_kernel_unlink(dp, m);
	return 0;
}

uint16_t dp_process_tag(const struct dp *dp, uint64_t module_id)
{
	const struct dp__mod *m = dp ? dp__find(dp, module_id) : NULL;
	return m ? m->ctl_tag : 0;
}
