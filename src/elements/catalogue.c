/* The catalogue: one sorted table of every element class innet accepts.
 * Adding an element is adding its file and one line below (keep the list
 * sorted by strcmp of the class name; test/elements checks it) and
 * regenerating docs/elements.md from this table. Lookup is a binary search
 * over constant data, so there is no state to share between threads. */
#include <string.h>

#include "elements/element.h"

/* X(c_identifier): the class object is elem_<identifier>, ordered by its
 * Click name (not by the identifier). */
#define ELEM_CLASSES(X) \
	X(arpquerier) \
	X(arpresponder) \
	X(addressinfo) \
	X(align) \
	X(alignmentinfo) \
	X(averagecounter) \
	X(bandwidthmeter) \
	X(bandwidthratedsplitter) \
	X(bandwidthratedunqueue) \
	X(bandwidthshaper) \
	X(changeenforcer) \
	X(checkicmpheader) \
	X(checkipheader) \
	X(checkipheader2) \
	X(checklength) \
	X(checkpaint) \
	X(checktcpheader) \
	X(checkudpheader) \
	X(classifier) \
	X(clickyinfo) \
	X(counter) \
	X(decipttl) \
	X(delayshaper) \
	X(directiplookup) \
	X(discard) \
	X(dropbroadcasts) \
	X(etherencap) \
	X(ethermirror) \
	X(etherrewrite) \
	X(fixipsrc) \
	X(fromdevice) \
	X(fromnetfront) \
	X(fromprocess) \
	X(frontdropqueue) \
	X(fullnotequeue) \
	X(getipaddress) \
	X(hashswitch) \
	X(hostetherfilter) \
	X(icmperror) \
	X(icmppingresponder) \
	X(icmppingrewriter) \
	X(icmppingsource) \
	X(icmprewriter) \
	X(ipaddrrewriter) \
	X(ipclassifier) \
	X(ipencap) \
	X(ipfilter) \
	X(ipfragmenter) \
	X(ipgwoptions) \
	X(ipinputcombo) \
	X(ipmirror) \
	X(ipoutputcombo) \
	X(ipprint) \
	X(iprewriter) \
	X(iprewriterpatterns) \
	X(ipsecespencap) \
	X(idle) \
	X(infinitesource) \
	X(lineariplookup) \
	X(markipheader) \
	X(meter) \
	X(null) \
	X(paint) \
	X(paintswitch) \
	X(painttee) \
	X(polldevice) \
	X(print) \
	X(priosched) \
	X(pullnull) \
	X(pulltee) \
	X(pushnull) \
	X(queue) \
	X(red) \
	X(radixiplookup) \
	X(ratedsource) \
	X(ratedsplitter) \
	X(ratedunqueue) \
	X(roundrobinsched) \
	X(roundrobinswitch) \
	X(scheduleinfo) \
	X(script) \
	X(setipaddress) \
	X(setipchecksum) \
	X(setipdscp) \
	X(settcpchecksum) \
	X(settimestamp) \
	X(setudpchecksum) \
	X(shaper) \
	X(simplepriosched) \
	X(simplequeue) \
	X(simpleroundrobinsched) \
	X(sortediplookup) \
	X(staticiplookup) \
	X(staticswitch) \
	X(storedata) \
	X(storeipaddress) \
	X(stridesched) \
	X(strip) \
	X(stripipheader) \
	X(striptonetworkheader) \
	X(switch) \
	X(tcprewriter) \
	X(tee) \
	X(timedsink) \
	X(timedsource) \
	X(timedunqueue) \
	X(todevice) \
	X(tonetfront) \
	X(toprocess) \
	X(truncate) \
	X(udpipencap) \
	X(unqueue) \
	X(unstrip) \
	X(unstripipheader)

#define DECLARE(id) extern const struct click_class elem_##id;
ELEM_CLASSES(DECLARE)
#undef DECLARE

#define ENTRY(id) &elem_##id,
static const struct click_class *const classes[] = { ELEM_CLASSES(ENTRY) };
#undef ENTRY

#define NCLASSES (sizeof classes / sizeof classes[0])

const struct click_class *elem_class_find(const char *name)
{
	if (!name)
		return NULL;
	size_t lo = 0, hi = NCLASSES;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, classes[mid]->name);
		if (c == 0)
			return classes[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

size_t elem_class_count(void)
{
	return NCLASSES;
}

const struct click_class *elem_class_at(size_t i)
{
	return i < NCLASSES ? classes[i] : NULL;
}

/* Click classes innet deliberately lacks, and why (a tenant porting a
 * Click configuration learns what to use instead). */
static const struct {
	const char *name, *why;
} unavailable[] = {
	{ "ToHost", "a module has no host network stack; its packets leave through its devices (ToDevice)" },
	{ "FromHost", "a module has no host network stack; its packets arrive through its devices (FromDevice)" },
	{ "ToHostSniffers", "a module has no host network stack to copy packets to" },
	{ "KernelTun", "a module has no host network stack; use its devices (FromDevice/ToDevice)" },
	{ "KernelTap", "a module has no host network stack; use its devices (FromDevice/ToDevice)" },
	{ "FromDump", "a module has no files; test with captures by `innet click run --in IN.pcap --out OUT.pcap`" },
	{ "ToDump", "a module has no files; test with captures by `innet click run --in IN.pcap --out OUT.pcap`" },
	{ "FromIPSummaryDump", "a module has no files" },
	{ "ToIPSummaryDump", "a module has no files" },
	{ "ControlSocket", "a module opens no sockets; the operator's API (innetd) manages modules" },
	{ "ChatterSocket", "a module opens no sockets; the operator's API (innetd) manages modules" },
	{ "Socket", "a module opens no sockets; its packets go through its devices" },
	{ "RawSocket", "a module opens no sockets; its packets go through its devices" },
	{ "DriverManager", "a module runs until it is suspended or killed; there is no driver to script" },
};

const char *elem_class_why_unknown(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < sizeof unavailable / sizeof unavailable[0]; i++)
		if (strcmp(unavailable[i].name, name) == 0)
			return unavailable[i].why;
	if (strstr(name, "IP6") || strstr(name, "ICMP6") || strncmp(name, "NDAdv", 5) == 0 ||
	    strncmp(name, "NDSol", 5) == 0)
		return "innet modules carry IPv4 only";
	return NULL;
}

const struct click_options elem_click_options = {.lookup = elem_class_find, .why_unknown = elem_class_why_unknown};
