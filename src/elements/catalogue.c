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
	X(align) \
	X(alignmentinfo) \
	X(averagecounter) \
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
	X(counter) \
	X(decipttl) \
	X(directiplookup) \
	X(discard) \
	X(dropbroadcasts) \
	X(etherencap) \
	X(ethermirror) \
	X(etherrewrite) \
	X(fixipsrc) \
	X(fromdevice) \
	X(fromnetfront) \
	X(fullnotequeue) \
	X(getipaddress) \
	X(hashswitch) \
	X(hostetherfilter) \
	X(icmperror) \
	X(icmppingresponder) \
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
	X(ipsecespencap) \
	X(idle) \
	X(lineariplookup) \
	X(markipheader) \
	X(null) \
	X(paint) \
	X(paintswitch) \
	X(print) \
	X(pullnull) \
	X(pulltee) \
	X(pushnull) \
	X(queue) \
	X(radixiplookup) \
	X(ratedsplitter) \
	X(ratedunqueue) \
	X(roundrobinswitch) \
	X(script) \
	X(setipaddress) \
	X(setipchecksum) \
	X(setipdscp) \
	X(settcpchecksum) \
	X(settimestamp) \
	X(setudpchecksum) \
	X(shaper) \
	X(simplequeue) \
	X(sortediplookup) \
	X(staticiplookup) \
	X(staticswitch) \
	X(storedata) \
	X(storeipaddress) \
	X(strip) \
	X(stripipheader) \
	X(striptonetworkheader) \
	X(switch) \
	X(tee) \
	X(timedunqueue) \
	X(todevice) \
	X(tonetfront) \
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

const struct click_options elem_click_options = {.lookup = elem_class_find};
