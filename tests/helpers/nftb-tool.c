/* nftb-tool - a small command line over the nftb and ct modules, for the
 * shell tests and the benchmarks.  Run it inside a network namespace.
 *
 *   nftb-tool [--config FILE] COMMAND [ARG...]
 *
 *   create [HOST...]    build the table (replacing it) with these hosts
 *   delete              delete the table
 *   open HOST...        add hosts; HOST is ADDR or ADDR,MAC
 *   close HOST...       remove hosts
 *   block UID...  unblock UID...
 *   list                "ADDR[ MAC] packets N bytes N", one host a line
 *   uids                blocked uids, one a line
 *   allow UID...        add uids to allowed_uids (users on the gateway
 *                       who may go out)
 *   allowed             "UID packets N bytes N", one a line
 *   table-text          the table as text: chains, rules, sets and their
 *                       elements, no handles, counters zeroed
 *   wait-text FILE TIMEOUT_MS T0
 *                       until table-text is FILE's (every millisecond),
 *                       then print the milliseconds since T0 (wall
 *                       clock, in ms: a number, or a /path that will
 *                       hold it); exit 1 after TIMEOUT_MS
 *   intact              prints 1 or 0 (nftb_intact; with 0, what
 *                       differs on stderr)
 *   ct-list             "PROTO SRC SPORT DST DPORT packets N bytes N"
 *   ct-delete ADDR...   delete conntrack entries from these sources,
 *                       prints the count
 *   ct-acct             turn on conntrack accounting
 *   open-many N         open N generated IPv4 hosts from 198.18.16.0 up
 *                       in one batch; prints "opened N in US us
 *                       msgs=M bytes=B" (nftb_last_batch)
 *   bench-one N         N times open and close one more host
 *                       (198.18.250.250); prints the median times and
 *                       the batches (the same each time, else an error)
 *                       "open_us=U close_us=U open_msgs=M open_bytes=B
 *                       close_msgs=M close_bytes=B"
 *
 * Exit status 0 on success, 1 on error (message on stderr).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <time.h>
#include <unistd.h>
#include <linux/netfilter/nf_tables.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#include "conf.h"
#include "ct.h"
#include "nftb.h"
#include "nftbatch.h"
#include "nftrules.h"
#include "util.h"

static int parse_host(const char *s, struct nftb_host *h)
{
	char buf[128], *comma;
	unsigned m[6];
	int i;

	memset(h, 0, sizeof(*h));
	if (tq_strlcpy(buf, s, sizeof(buf)) >= sizeof(buf))
		return -1;
	comma = strchr(buf, ',');
	if (comma) {
		*comma++ = '\0';
		if (sscanf(comma, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2],
			   &m[3], &m[4], &m[5]) != 6)
			return -1;
		for (i = 0; i < 6; i++) {
			if (m[i] > 0xff)
				return -1;
			h->mac[i] = (uint8_t)m[i];
		}
		h->has_mac = true;
	}
	return addr_parse(buf, &h->addr);
}

static struct nftb_host *parse_hosts(char **argv, int argc)
{
	struct nftb_host *v = xcalloc((size_t)argc + 1, sizeof(*v));
	int i;

	for (i = 0; i < argc; i++) {
		if (parse_host(argv[i], &v[i]) < 0) {
			fprintf(stderr, "nftb-tool: bad host: %s\n", argv[i]);
			exit(1);
		}
	}
	return v;
}

static unsigned *parse_uids(char **argv, int argc)
{
	unsigned *v = xcalloc((size_t)argc + 1, sizeof(*v));
	char *end;
	int i;

	for (i = 0; i < argc; i++) {
		errno = 0;
		unsigned long u = strtoul(argv[i], &end, 10);

		if (errno || *end || end == argv[i] || u > 0xffffffffUL) {
			fprintf(stderr, "nftb-tool: bad uid: %s\n", argv[i]);
			exit(1);
		}
		v[i] = (unsigned)u;
	}
	return v;
}

static int cmp_host(const void *a, const void *b)
{
	return addr_cmp(a, b);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void gen_hosts(struct nftb_host *v, size_t n)
{
	uint32_t base = 0xc6121000;	/* 198.18.16.0 */
	size_t i;

	for (i = 0; i < n; i++) {
		uint32_t a = htonl(base + (uint32_t)i);

		memset(&v[i], 0, sizeof(v[i]));
		v[i].addr.family = AF_INET;
		memcpy(v[i].addr.a, &a, 4);
	}
}

static void print_ct(const struct scan_ct *c, void *arg)
{
	char s[TQ_ADDRSTRLEN], d[TQ_ADDRSTRLEN];

	printf("%u %s %u %s %u packets %llu bytes %llu\n", c->proto,
	       addr_format(&c->src, s, sizeof(s)), c->sport,
	       addr_format(&c->dst, d, sizeof(d)), c->dport,
	       (unsigned long long)c->packets, (unsigned long long)c->bytes);
}

/* ---- the table as text, for timing a revert ---- */

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct text {
	const struct tq_conf *conf;
	char *buf;
	size_t len, cap;
};

static void text_put(struct text *t, const char *s)
{
	size_t l = strlen(s);

	xgrow(&t->buf, &t->cap, t->len + l + 2, 1);
	memcpy(t->buf + t->len, s, l);
	t->len += l;
	t->buf[t->len++] = '\n';
	t->buf[t->len] = '\0';
}

static bool text_ours(const struct text *t, const char *table)
{
	return table && strcmp(table, t->conf->table) == 0;
}

static int text_table_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct text *t = arg;
	struct nftnl_table *x = xcheck(nftnl_table_alloc());

	if (nftnl_table_nlmsg_parse(nlh, x) == 0 &&
	    text_ours(t, nftnl_table_get_str(x, NFTNL_TABLE_NAME)))
		text_put(t, "table");
	nftnl_table_free(x);
	return MNL_CB_OK;
}

static int text_chain_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct text *t = arg;
	struct nftnl_chain *x = xcheck(nftnl_chain_alloc());
	char buf[1024];

	if (nftnl_chain_nlmsg_parse(nlh, x) == 0 &&
	    text_ours(t, nftnl_chain_get_str(x, NFTNL_CHAIN_TABLE))) {
		nftnl_chain_unset(x, NFTNL_CHAIN_HANDLE);
		nftnl_chain_unset(x, NFTNL_CHAIN_USE);
		nftnl_chain_snprintf(buf, sizeof(buf), x, NFTNL_OUTPUT_DEFAULT,
				     0);
		text_put(t, buf);
	}
	nftnl_chain_free(x);
	return MNL_CB_OK;
}

static int text_rule_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct text *t = arg;
	struct nftnl_rule *x = xcheck(nftnl_rule_alloc());
	struct nftr_sum *sum = xmalloc(sizeof(*sum));

	if (nftnl_rule_nlmsg_parse(nlh, x) == 0 &&
	    text_ours(t, nftnl_rule_get_str(x, NFTNL_RULE_TABLE))) {
		nftr_summary(x, sum);	/* no handle, counters zeroed */
		text_put(t, sum->comment);
		text_put(t, sum->text);
	}
	free(sum);
	nftnl_rule_free(x);
	return MNL_CB_OK;
}

static int text_set_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct text *t = arg;
	struct nftnl_set *x = xcheck(nftnl_set_alloc());
	char buf[1024];

	if (nftnl_set_nlmsg_parse(nlh, x) == 0 &&
	    text_ours(t, nftnl_set_get_str(x, NFTNL_SET_TABLE))) {
		nftnl_set_unset(x, NFTNL_SET_HANDLE);
		nftnl_set_snprintf(buf, sizeof(buf), x, NFTNL_OUTPUT_DEFAULT,
				   0);
		text_put(t, buf);
	}
	nftnl_set_free(x);
	return MNL_CB_OK;
}

/* The table (chains, rules, sets, elements; no handles, counters zeroed)
 * as text into t, or "" if there is none. */
static void table_text(struct nftb *n, struct nftbatch *b, struct text *t)
{
	static const struct { int type; mnl_cb_t cb; } dumps[] = {
		{ NFT_MSG_GETCHAIN, text_chain_cb },
		{ NFT_MSG_GETRULE, text_rule_cb },
		{ NFT_MSG_GETSET, text_set_cb },
	};
	struct nlmsghdr *nlh;
	struct nftb_host *h;
	struct nftb_uid *a;
	unsigned *u;
	char line[160], ad[TQ_ADDRSTRLEN];
	size_t i, k;

	t->len = 0;
	text_put(t, "");
	nlh = nftbatch_dump_hdr(b, NFT_MSG_GETTABLE);
	if (nftbatch_dump(b, nlh, text_table_cb, t) < 0 || t->len < 7)
		return;
	for (i = 0; i < sizeof(dumps) / sizeof(dumps[0]); i++) {
		nlh = nftbatch_dump_hdr(b, dumps[i].type);
		mnl_attr_put_strz(nlh, 1, t->conf->table);	/* table */
		nftbatch_dump(b, nlh, dumps[i].cb, t);
	}
	if (nftb_list(n, &h, &k) == 0) {
		qsort(h, k, sizeof(*h), cmp_host);
		for (i = 0; i < k; i++) {
			snprintf(line, sizeof(line), "host %s %d",
				 addr_format(&h[i].addr, ad, sizeof(ad)),
				 h[i].has_mac);
			text_put(t, line);
		}
		free(h);
	}
	if (nftb_list_uids(n, &u, &k) == 0) {
		for (i = 0; i < k; i++) {
			snprintf(line, sizeof(line), "blocked %u", u[i]);
			text_put(t, line);
		}
		free(u);
	}
	if (nftb_list_allowed(n, &a, &k) == 0) {
		for (i = 0; i < k; i++) {
			snprintf(line, sizeof(line), "allowed %u", a[i].uid);
			text_put(t, line);
		}
		free(a);
	}
}

/* The number in file path once it has one (polled every millisecond). */
static long long read_t0(const char *path, long long limit)
{
	long long end = now_ms() + limit, t0 = 0;
	FILE *f;

	while (now_ms() < end) {
		f = fopen(path, "r");
		if (f && fscanf(f, "%lld", &t0) == 1 && t0 > 0) {
			fclose(f);
			return t0;
		}
		if (f)
			fclose(f);
		usleep(1000);
	}
	return now_ms();
}

/* wait-text FILE TIMEOUT_MS T0: until the table's text is FILE's; print
 * the milliseconds since T0 (wall clock), a number or /FILE holding it. */
static int wait_text(struct nftb *n, const struct tq_conf *conf,
		     char **argv, int argc)
{
	struct nftbatch *b = nftbatch_new();
	struct text t = { .conf = conf }, want = { .conf = conf };
	long long t0, limit, now;
	char buf[4096];
	size_t got;
	FILE *f;
	int rc = 1;

	if (argc != 3 || !b || !(f = fopen(argv[0], "r"))) {
		fprintf(stderr, "nftb-tool: wait-text FILE TIMEOUT_MS T0_MS\n");
		return 2;
	}
	while ((got = fread(buf, 1, sizeof(buf), f)) > 0) {
		xgrow(&want.buf, &want.cap, want.len + got + 1, 1);
		memcpy(want.buf + want.len, buf, got);
		want.len += got;
	}
	fclose(f);
	limit = atoll(argv[1]);
	/* T0 from a file the caller writes once its change is in: this
	 * process is already running then, its start is not timed. */
	t0 = argv[2][0] == '/' ? read_t0(argv[2], limit) : atoll(argv[2]);
	for (;;) {
		table_text(n, b, &t);
		now = now_ms();
		if (t.len == want.len && !memcmp(t.buf, want.buf, t.len)) {
			rc = 0;
			break;
		}
		if (now - t0 > limit)
			break;
		usleep(1000);
	}
	printf("%lld\n", now - t0);
	free(t.buf);
	free(want.buf);
	nftbatch_free(b);
	return rc;
}

static int nft_fail(struct nftb *n, const char *what)
{
	fprintf(stderr, "nftb-tool: %s: %s\n", what, nftb_error(n));
	return 1;
}

static int run_nft(struct nftb *n, const struct tq_conf *conf,
		   const char *cmd, char **argv, int argc)
{
	struct nftb_host *h;
	unsigned *u;
	size_t i, k;
	int rc;

	if (!strcmp(cmd, "create")) {
		h = parse_hosts(argv, argc);
		rc = nftb_create(n, h, (size_t)argc, NULL, 0);
		free(h);
		return rc < 0 ? nft_fail(n, cmd) : 0;
	}
	if (!strcmp(cmd, "delete"))
		return nftb_delete(n) < 0 ? nft_fail(n, cmd) : 0;
	if (!strcmp(cmd, "open") || !strcmp(cmd, "close")) {
		h = parse_hosts(argv, argc);
		rc = cmd[0] == 'o' ? nftb_open(n, h, (size_t)argc) :
				     nftb_close(n, h, (size_t)argc);
		free(h);
		return rc < 0 ? nft_fail(n, cmd) : 0;
	}
	if (!strcmp(cmd, "block") || !strcmp(cmd, "unblock")) {
		u = parse_uids(argv, argc);
		rc = cmd[0] == 'b' ? nftb_block(n, u, (size_t)argc) :
				     nftb_unblock(n, u, (size_t)argc);
		free(u);
		return rc < 0 ? nft_fail(n, cmd) : 0;
	}
	if (!strcmp(cmd, "list")) {
		char a[TQ_ADDRSTRLEN];

		if (nftb_list(n, &h, &k) < 0)
			return nft_fail(n, cmd);
		qsort(h, k, sizeof(*h), cmp_host);
		for (i = 0; i < k; i++) {
			printf("%s", addr_format(&h[i].addr, a, sizeof(a)));
			if (h[i].has_mac)
				printf(" %02x:%02x:%02x:%02x:%02x:%02x",
				       h[i].mac[0], h[i].mac[1], h[i].mac[2],
				       h[i].mac[3], h[i].mac[4], h[i].mac[5]);
			printf(" packets %llu bytes %llu\n",
			       (unsigned long long)h[i].packets,
			       (unsigned long long)h[i].bytes);
		}
		free(h);
		return 0;
	}
	if (!strcmp(cmd, "allow")) {
		size_t added, removed;

		u = parse_uids(argv, argc);
		rc = nftb_allow(n, u, (size_t)argc, &added, &removed);
		free(u);
		return rc < 0 ? nft_fail(n, cmd) : 0;
	}
	if (!strcmp(cmd, "allowed")) {
		struct nftb_uid *v;

		if (nftb_list_allowed(n, &v, &k) < 0)
			return nft_fail(n, cmd);
		for (i = 0; i < k; i++)
			printf("%u packets %llu bytes %llu\n", v[i].uid,
			       (unsigned long long)v[i].packets,
			       (unsigned long long)v[i].bytes);
		free(v);
		return 0;
	}
	if (!strcmp(cmd, "uids")) {
		if (nftb_list_uids(n, &u, &k) < 0)
			return nft_fail(n, cmd);
		for (i = 0; i < k; i++)
			printf("%u\n", u[i]);
		free(u);
		return 0;
	}
	if (!strcmp(cmd, "table-text")) {
		struct nftbatch *b = nftbatch_new();
		struct text t = { .conf = conf };

		if (!b)
			return nft_fail(n, cmd);
		table_text(n, b, &t);
		fwrite(t.buf, 1, t.len, stdout);
		free(t.buf);
		nftbatch_free(b);
		return 0;
	}
	if (!strcmp(cmd, "wait-text"))
		return wait_text(n, conf, argv, argc);
	if (!strcmp(cmd, "intact")) {
		rc = nftb_intact(n);
		if (rc < 0)
			return nft_fail(n, cmd);
		printf("%d\n", rc);
		if (rc == 0)
			fprintf(stderr, "nftb-tool: %s\n", nftb_intact_diff(n));
		return 0;
	}
	if (!strcmp(cmd, "open-many") && argc == 1) {
		size_t msgs, bytes;
		uint64_t t0;

		k = strtoul(argv[0], NULL, 10);
		h = xcalloc(k + 1, sizeof(*h));
		gen_hosts(h, k);
		t0 = tq_now_us();
		rc = nftb_open(n, h, k);
		free(h);
		if (rc < 0)
			return nft_fail(n, cmd);
		t0 = tq_now_us() - t0;
		nftb_last_batch(n, &msgs, &bytes);
		printf("opened %zu in %llu us msgs=%zu bytes=%zu\n", k,
		       (unsigned long long)t0, msgs, bytes);
		return 0;
	}
	if (!strcmp(cmd, "bench-one") && argc == 1) {
		struct nftb_host one;
		uint64_t *to, *tc, t0;
		size_t b[4], m[4];	/* open, close: first and this time */

		k = strtoul(argv[0], NULL, 10);
		if (k == 0)
			k = 1;
		to = xcalloc(k, sizeof(*to));
		tc = xcalloc(k, sizeof(*tc));
		parse_host("198.18.250.250", &one);
		for (i = 0; i < k; i++) {
			t0 = tq_now_us();
			if (nftb_open(n, &one, 1) < 0)
				return nft_fail(n, cmd);
			to[i] = tq_now_us() - t0;
			nftb_last_batch(n, &m[1], &b[1]);
			t0 = tq_now_us();
			if (nftb_close(n, &one, 1) < 0)
				return nft_fail(n, cmd);
			tc[i] = tq_now_us() - t0;
			nftb_last_batch(n, &m[3], &b[3]);
			if (i == 0) {
				m[0] = m[1];
				b[0] = b[1];
				m[2] = m[3];
				b[2] = b[3];
			}
			if (m[1] != m[0] || b[1] != b[0] || m[3] != m[2] ||
			    b[3] != b[2]) {
				fprintf(stderr, "nftb-tool: bench-one: batch "
					"%zu differs from the first\n", i);
				return 1;
			}
		}
		qsort(to, k, sizeof(*to), cmp_u64);
		qsort(tc, k, sizeof(*tc), cmp_u64);
		printf("open_us=%llu close_us=%llu open_msgs=%zu "
		       "open_bytes=%zu close_msgs=%zu close_bytes=%zu\n",
		       (unsigned long long)to[k / 2],
		       (unsigned long long)tc[k / 2], m[0], b[0], m[2], b[2]);
		free(to);
		free(tc);
		return 0;
	}
	fprintf(stderr, "nftb-tool: unknown command or arguments: %s\n", cmd);
	return 2;
}

static int run_ct(const char *cmd, char **argv, int argc)
{
	struct tq_addr *a;
	struct ct *c;
	long nd;
	int i, rc = 0;

	if (!strcmp(cmd, "ct-acct")) {
		if (ct_enable_acct() < 0) {
			perror("nftb-tool: nf_conntrack_acct");
			return 1;
		}
		return 0;
	}
	c = ct_new();
	if (!c) {
		perror("nftb-tool: ctnetlink");
		return 1;
	}
	if (!strcmp(cmd, "ct-list")) {
		if (ct_dump(c, print_ct, NULL) < 0) {
			perror("nftb-tool: ct-list");
			rc = 1;
		}
	} else {
		a = xcalloc((size_t)argc + 1, sizeof(*a));
		for (i = 0; i < argc; i++) {
			if (addr_parse(argv[i], &a[i]) < 0) {
				fprintf(stderr, "nftb-tool: bad address: %s\n",
					argv[i]);
				exit(1);
			}
		}
		nd = ct_delete_hosts(c, a, (size_t)argc);
		if (nd < 0) {
			perror("nftb-tool: ct-delete");
			rc = 1;
		} else {
			printf("%ld\n", nd);
		}
		free(a);
	}
	ct_free(c);
	return rc;
}

int main(int argc, char **argv)
{
	struct tq_conf *conf;
	struct nftb *n;
	char err[512];
	const char *cmd;
	int rc;

	argv++;
	argc--;
	if (argc >= 2 && !strcmp(argv[0], "--config")) {
		conf = conf_load(argv[1], err, sizeof(err));
		if (!conf) {
			fprintf(stderr, "nftb-tool: %s\n", err);
			return 1;
		}
		argv += 2;
		argc -= 2;
	} else {
		conf = conf_defaults();
	}
	if (argc < 1) {
		fprintf(stderr, "usage: nftb-tool [--config FILE] COMMAND "
			"[ARG...]\n");
		conf_free(conf);
		return 2;
	}
	cmd = argv[0];
	if (!strncmp(cmd, "ct-", 3)) {
		rc = run_ct(cmd, argv + 1, argc - 1);
		conf_free(conf);
		return rc;
	}
	n = nftb_new(conf);
	if (!n) {
		perror("nftb-tool: netlink");
		conf_free(conf);
		return 1;
	}
	rc = run_nft(n, conf, cmd, argv + 1, argc - 1);
	nftb_free(n);
	conf_free(conf);
	return rc;
}
