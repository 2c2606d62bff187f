/* fuzz_ct.c - libFuzzer target: ctnetlink entry messages (a dump's
 * answers, NEW/DESTROY events) through ct_parse_msg() and the aggregator.
 * The input is what one recv() would hand the daemon: messages back to
 * back, walked as ct_events_read() walks them, then the whole input as
 * one message.  Whatever the bytes, a
 * parsed entry must be one the rest of the daemon can trust. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>

#include "conf.h"
#include "ct.h"
#include "scan.h"
#include "scanagg.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tq_conf *conf;
static struct scan_agg *agg;

static void check(const struct scan_ct *c)
{
	if (c->state >= SCAN_CT_NSTATES ||
	    (c->state != SCAN_CT_NONE && c->proto != IPPROTO_TCP) ||
	    (c->src.family != AF_INET && c->src.family != AF_INET6) ||
	    c->dst.family != c->src.family ||
	    (!c->has_counters && (c->packets || c->bytes)))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct nlmsghdr *h;
	struct scan_ct c;
	size_t off, step;
	char *buf;

	if (size > 1 << 16)
		return 0;
	if (!conf) {
		conf = conf_defaults();
		agg = scan_agg_new(conf);
	}
	scan_agg_reset(agg);
	/* An exact-size copy: aligned as a socket buffer is, and any read
	 * past the end is the sanitizer's. */
	buf = xmalloc(size ? size : 1);
	memcpy(buf, data, size);
	/* Walked with unsigned lengths, as ct.c walks them (mnl_nlmsg_ok()
	 * lets a header of 2 GiB or more through); ct_parse_msg() is handed
	 * all the bytes left, so it has to keep to the header's length. */
	for (off = 0; size - off >= sizeof(*h); off += step) {
		h = (const struct nlmsghdr *)(buf + off);
		if (h->nlmsg_len < sizeof(*h) || h->nlmsg_len > size - off)
			break;
		if (ct_parse_msg(h, size - off, &c) == 0) {
			check(&c);
			scan_agg_ct(&c, agg);
		}
		step = MNL_ALIGN(h->nlmsg_len);
		if (step > size - off)
			break;
	}
	/* The whole input as one message, whatever its header says. */
	if (ct_parse_msg(buf, size, &c) == 0)
		check(&c);
	free(buf);
	return 0;
}
