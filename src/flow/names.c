/* Built-in name tables of IPFilter/IPClassifier (the protocol, port and
 * ICMP type names Click's IPFilter documents).
 * /etc/services and /etc/protocols are deliberately not consulted: the
 * verifier and the fast path must read a pattern the same way on every
 * machine. */
#include "flow/flow_int.h"

#include <string.h>

struct name { const char *s; uint32_t v; };

static const struct name protos[] = {
	{"dccp", 33}, {"gre", 47}, {"icmp", 1}, {"igmp", 2}, {"ipip", 4},
	{"payload", FLOW__PROTO_PAYLOAD}, {"sctp", 132}, {"tcp", 6},
	{"tcpudp", FLOW__PROTO_TCP_OR_UDP}, {"transp", FLOW__PROTO_TRANSP},
	{"udp", 17},
};

static const struct name ports[] = {
	{"auth", 113}, {"bootpc", 68}, {"bootps", 67}, {"chargen", 19},
	{"daytime", 13}, {"discard", 9}, {"dns", 53}, {"domain", 53},
	{"echo", 7}, {"finger", 79}, {"ftp", 21}, {"ftp-data", 20},
	{"https", 443}, {"imap3", 220}, {"imaps", 993}, {"irc", 194},
	{"netbios-dgm", 138}, {"netbios-ns", 137}, {"netbios-ssn", 139},
	{"nntp", 119}, {"ntp", 123}, {"pop3", 110}, {"pop3s", 995},
	{"pptp", 1723}, {"rip", 520}, {"route", 520}, {"smtp", 25},
	{"snmp", 161}, {"snmp-trap", 162}, {"ssh", 22}, {"sunrpc", 111},
	{"telnet", 23}, {"tftp", 69}, {"www", 80},
};

static const struct name tcpopts[] = {
	{"ack", 0x10}, {"fin", 0x01}, {"psh", 0x08}, {"rst", 0x04},
	{"syn", 0x02}, {"urg", 0x20},
};

static const struct name icmptypes[] = {
	{"echo", 8}, {"echo-reply", 0}, {"inforeq", 15}, {"inforeq-reply", 16},
	{"maskreq", 17}, {"maskreq-reply", 18}, {"parameterproblem", 12},
	{"redirect", 5}, {"routeradvert", 9}, {"routersolicit", 10},
	{"sourcequench", 4}, {"timeexceeded", 11}, {"timestamp", 13},
	{"timestamp-reply", 14}, {"unreachable", 3},
};

static bool find(const struct name *t, size_t nt, const char *w, size_t n, uint32_t *v)
{
	for (size_t i = 0; i < nt; i++)
		if (strlen(t[i].s) == n && memcmp(t[i].s, w, n) == 0) {
			*v = t[i].v;
			return true;
		}
	return false;
}

#define FIND(t) find(t, sizeof t / sizeof t[0], w, n, v)
bool flow__lookup_proto(const char *w, size_t n, uint32_t *v) { return FIND(protos); }
bool flow__lookup_port(const char *w, size_t n, uint32_t *v) { return FIND(ports); }
bool flow__lookup_tcpopt(const char *w, size_t n, uint32_t *v) { return FIND(tcpopts); }
bool flow__lookup_icmptype(const char *w, size_t n, uint32_t *v) { return FIND(icmptypes); }
