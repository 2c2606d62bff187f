/* fuzz_proc.c - libFuzzer target: the /proc/net/tcp{,6} and nf_conntrack
 * parsers and the aggregator.  The first byte picks the parser. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "conf.h"
#include "scan.h"
#include "scanagg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tq_conf *conf;
static struct scan_agg *agg;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scan_stats st = { 0 };
	FILE *f;

	if (size < 1)
		return 0;
	if (!conf) {
		conf = conf_defaults();
		agg = scan_agg_new(conf);
	}
	scan_agg_reset(agg);
	f = fmemopen((void *)(data + 1), size - 1, "r");
	if (!f)
		return 0;
	switch (data[0] % 3) {
	case 0:
		scan_tcp(f, AF_INET, scan_agg_sock, agg, &st);
		break;
	case 1:
		scan_tcp(f, AF_INET6, scan_agg_sock, agg, &st);
		break;
	default:
		scan_conntrack(f, scan_agg_ct, agg, &st);
		break;
	}
	fclose(f);
	if (st.records + st.skipped > st.lines)
		__builtin_trap();
	return 0;
}
