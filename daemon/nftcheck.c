/* nftcheck.c - nftb_intact(): is the kernel's table the one conf calls
 * for, whole?
 *
 * One dump per kind of object (tables, rules, chains, sets, then the uid
 * sets' elements), each compared with what nftrules.c and nftchains.c
 * build: n->xr, the rules in the order nftr_rules() hands them over, is
 * rebuilt here when xr_ready is false.  Only the first difference is
 * kept, in n->diff, as a sentence naming the object.  Nothing here writes
 * to the kernel.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter/nf_tables.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#include "nftb_int.h"
#include "nftbatch.h"
#include "nftrules.h"
#include "util.h"

struct intact_ctx {
	struct nftb *n;
	size_t pos[NFTR_NCHAINS];
	unsigned chains, sets;
	bool table;		/* it exists */
	bool bad;
};

/* Say what differs (the first difference only) and mark the table bad. */
static void differ(struct intact_ctx *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void differ(struct intact_ctx *x, const char *fmt, ...)
{
	va_list ap;

	if (x->bad)
		return;
	x->bad = true;
	va_start(ap, fmt);
	vsnprintf(x->n->diff, sizeof(x->n->diff), fmt, ap);
	va_end(ap);
}

/* The k-th rule we built for chain ch, or NULL. */
static const struct nftr_sum *xrule_nth(const struct nftb *n, int ch,
					size_t k)
{
	size_t i;

	for (i = 0; i < n->nxr; i++)
		if (n->xr[i].chain == ch && k-- == 0)
			return &n->xr[i];
	return NULL;
}

/* The first line where texts a and b differ, into la and lb (trimmed). */
static void first_diff(const char *a, const char *b, char *la, char *lb,
		       size_t len)
{
	size_t ea, eb;

	for (;;) {
		ea = strcspn(a, "\n");
		eb = strcspn(b, "\n");
		if (ea != eb || memcmp(a, b, ea) != 0 || !a[ea] || !b[eb])
			break;
		a += ea + 1;
		b += eb + 1;
	}
	while (*a == ' ')
		a++, ea--;
	while (*b == ' ')
		b++, eb--;
	snprintf(la, len, "%.*s", (int)(ea < len ? ea : len - 1), a);
	snprintf(lb, len, "%.*s", (int)(eb < len ? eb : len - 1), b);
}

static bool str_eq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* The index of name among names[n], or -1. */
static int name_idx(const char *name, const char *const *names, int n)
{
	int i;

	for (i = 0; name && i < n; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -1;
}

static int chain_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct intact_ctx *x = arg;
	struct nftnl_chain *c = xcheck(nftnl_chain_alloc());
	const char *name;
	int i;

	if (nftnl_chain_nlmsg_parse(nlh, c) < 0) {
		differ(x, "a chain the daemon cannot read");
		goto out;
	}
	/* A chain dump is of every table of the family. */
	if (!str_eq(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE),
		    x->n->conf->table))
		goto out;
	name = nftnl_chain_get_str(c, NFTNL_CHAIN_NAME);
	i = name_idx(name, nftr_chain_names, NFTR_NCHAINS);
	if (i < 0) {
		differ(x, "chain %s is not the daemon's", name ? name : "?");
		goto out;
	}
	x->chains |= 1u << i;
	if (!nftr_chain_same(x->n->conf, i, c))
		differ(x, "chain %s: its hook, priority, type or policy "
		       "changed", name);
out:
	nftnl_chain_free(c);
	return MNL_CB_OK;
}

static int rule_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct intact_ctx *x = arg;
	struct nftnl_rule *r = xcheck(nftnl_rule_alloc());
	const struct nftr_sum *w;
	struct nftr_sum *got = xmalloc(sizeof(*got));
	char la[128], lb[128];
	size_t k;

	if (nftnl_rule_nlmsg_parse(nlh, r) < 0) {
		differ(x, "a rule the daemon cannot read");
		goto out;
	}
	nftr_summary(r, got);
	if (got->chain < 0)
		goto out;	/* its chain is reported as foreign */
	k = x->pos[got->chain]++;
	w = xrule_nth(x->n, got->chain, k);
	if (!w) {
		differ(x, "chain %s rule %zu (\"%s\") is not the daemon's",
		       nftr_chain_names[got->chain], k + 1, got->comment);
	} else if (strcmp(w->comment, got->comment) != 0) {
		differ(x, "chain %s rule %zu (\"%s\"): its comment is now "
		       "\"%s\"", nftr_chain_names[got->chain], k + 1,
		       w->comment, got->comment);
	} else if (strcmp(w->text, got->text) != 0) {
		first_diff(w->text, got->text, la, lb, sizeof(la));
		differ(x, "chain %s rule %zu (\"%s\"): %s is now %s",
		       nftr_chain_names[got->chain], k + 1, w->comment, la,
		       lb);
	}
out:
	free(got);
	nftnl_rule_free(r);
	return MNL_CB_OK;
}

static int set_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct intact_ctx *x = arg;
	struct nftnl_set *s = xcheck(nftnl_set_alloc());
	const char *name;
	int i;

	if (nftnl_set_nlmsg_parse(nlh, s) < 0) {
		differ(x, "a set the daemon cannot read");
		goto out;
	}
	name = nftnl_set_get_str(s, NFTNL_SET_NAME);
	i = name_idx(name, nftr_set_names, NFTR_NSETS);
	if (i < 0 || i >= nftr_nsets(x->n->conf)) {
		differ(x, "set %s is not the daemon's", name ? name : "?");
		goto out;
	}
	x->sets |= 1u << i;
	if (!nftr_set_same(x->n->conf, i, s))
		differ(x, "set %s: its type, flags or expressions changed",
		       name);
out:
	nftnl_set_free(s);
	return MNL_CB_OK;
}

/* Dump type of the table (a rule, chain or set per message) into cb; 1 if
 * the table is gone (said in x), 0, -1 on error. */
static int dump_table(struct nftb *n, int type, mnl_cb_t cb,
		      struct intact_ctx *x)
{
	struct nlmsghdr *nlh;

	nlh = nftbatch_dump_hdr(n->b, type);
	/* table (and no chain or set name) is the same attribute, 1, in
	 * each of these messages */
	mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, n->conf->table);
	if (nftbatch_dump(n->b, nlh, cb, x) == 0)
		return 0;
	if (errno == ENOENT) {
		differ(x, "table inet %s missing", n->conf->table);
		return 1;
	}
	return nftbatch_fail(n->b, "listing table %s: %s", n->conf->table,
			     strerror(errno));
}

/* The uids of set which against want[] (sorted), those the daemon put
 * there. */
static int uids_same(struct nftb *n, int which, const unsigned *want,
		     size_t nw, struct intact_ctx *x)
{
	struct nftb_elems e = { .n = n, .which = which };
	unsigned *got;
	size_t i, ng;

	if (nftb_dump_elems(n, &e) < 0)
		return -1;
	got = xcalloc(e.count + 1, sizeof(*got));
	for (i = 0; i < e.count; i++)
		got[i] = which == NFTR_UIDS ? e.uids[i] : e.ucnt[i].uid;
	ng = e.count;
	qsort(got, ng, sizeof(*got), tq_uint_cmp);
	for (i = 0; i < ng; i++)
		if (!nw || !bsearch(&got[i], want, nw, sizeof(*want),
				    tq_uint_cmp))
			differ(x, "set %s: uid %u is not the daemon's",
			       nftr_set_names[which], got[i]);
	for (i = 0; i < nw; i++)
		if (!ng || !bsearch(&want[i], got, ng, sizeof(*got),
				    tq_uint_cmp))
			differ(x, "set %s: uid %u missing",
			       nftr_set_names[which], want[i]);
	free(got);
	free(e.uids);
	free(e.ucnt);
	return 0;
}

/* Is this table among the dumped ones? */
static int table_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct intact_ctx *x = arg;
	struct nftnl_table *t = xcheck(nftnl_table_alloc());

	if (nftnl_table_nlmsg_parse(nlh, t) == 0 &&
	    str_eq(nftnl_table_get_str(t, NFTNL_TABLE_NAME),
		   x->n->conf->table))
		x->table = true;
	nftnl_table_free(t);
	return MNL_CB_OK;
}

int nftb_intact(struct nftb *n)
{
	struct intact_ctx x = { .n = n };
	struct nlmsghdr *nlh;
	int ch, i, rc;

	n->diff[0] = '\0';
	if (!n->xr_ready) {
		/* What the table should hold. */
		n->nxr = 0;
		nftr_rules(n->conf, nftb_want_rule, n);
		n->xr_ready = true;
	}
	nlh = nftbatch_dump_hdr(n->b, NFT_MSG_GETTABLE);
	if (nftbatch_dump(n->b, nlh, table_cb, &x) < 0)
		return nftbatch_fail(n->b, "listing tables: %s",
				     strerror(errno));
	if (!x.table) {
		differ(&x, "table inet %s missing", n->conf->table);
		return 0;
	}
	rc = dump_table(n, NFT_MSG_GETRULE, rule_cb, &x);
	if (rc != 0)
		return rc > 0 ? 0 : -1;
	if (dump_table(n, NFT_MSG_GETCHAIN, chain_cb, &x) < 0)
		return -1;
	for (ch = 0; ch < NFTR_NCHAINS; ch++)
		if (!(x.chains & (1u << ch)))
			differ(&x, "chain %s missing", nftr_chain_names[ch]);
	for (ch = 0; ch < NFTR_NCHAINS; ch++) {
		const struct nftr_sum *w = xrule_nth(n, ch, x.pos[ch]);

		if (w)
			differ(&x, "chain %s rule %zu (\"%s\") missing",
			       nftr_chain_names[ch], x.pos[ch] + 1,
			       w->comment);
	}
	if (dump_table(n, NFT_MSG_GETSET, set_cb, &x) < 0)
		return -1;
	for (i = 0; i < nftr_nsets(n->conf); i++)
		if (!(x.sets & (1u << i)))
			differ(&x, "set %s missing", nftr_set_names[i]);
	/* The uid sets hold what this process put there (the host sets
	 * are the caller's: fw_repair_sets). */
	if (!x.bad && n->elems_known &&
	    (uids_same(n, NFTR_UIDS, n->blocked, n->nblocked, &x) < 0 ||
	     uids_same(n, NFTR_ALLOWED, n->allowed, n->nallowed, &x) < 0))
		return -1;
	return !x.bad;
}

const char *nftb_intact_diff(const struct nftb *n)
{
	return n->diff;
}
