/* nftrules.c - the daemon's table as libnftnl objects: the table, its
 * sets and chains and the sets' elements, and the reading back of dumped
 * ones (a rule's summary, a chain's or a set's attributes, an element).
 *
 * Everything here is a function of the configuration: no socket, no
 * batch, no state between calls.  The rules the chains hold are built in
 * nftchains.c.  Keys: an IPv4 address is 4 bytes, IPv6 16, a bound set's
 * key adds the MAC padded to 8 (registers are 4 bytes), a uid is 4 bytes
 * in host order.  Nothing read back from the kernel is trusted for
 * length.  A libnftnl allocation that fails aborts through xcheck(), as
 * xmalloc() does.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "nftrules.h"
#include "util.h"

/* nftables userspace data type ids (nftables' datatype.h), so that
 * `nft list` prints the sets with their proper types. */
#define DT_IPADDR	7
#define DT_IP6ADDR	8
#define DT_ETHERADDR	9
#define DT_UID		24
#define DT_BITS		6

const char *const nftr_set_names[NFTR_NSETS] = {
	"hosts4", "hosts6", "blocked_uids", "allowed_uids", "hosts4_unbound",
	"hosts6_unbound"
};

const char *const nftr_chain_names[NFTR_NCHAINS] = {
	"forward", "postrouting", "output", "prerouting", "input", "blocked",
	"users"
};

const int nftr_host_sets[4] = { NFTR_H4, NFTR_H6, NFTR_H4U, NFTR_H6U };

int nftr_nsets(const struct tq_conf *c)
{
	return c->bind_mac ? NFTR_NSETS : NFTR_ALLOWED + 1;
}

bool nftr_set_uids(int which)
{
	return which == NFTR_UIDS || which == NFTR_ALLOWED;
}

bool nftr_chain_base(int which)
{
	return which < NFTR_BLOCKED;
}

int nftr_nhost_sets(const struct tq_conf *c)
{
	return c->bind_mac ? 4 : 2;
}

bool nftr_set_v6(int which)
{
	return which == NFTR_H6 || which == NFTR_H6U;
}

bool nftr_set_bound(const struct tq_conf *c, int which)
{
	return c->bind_mac && (which == NFTR_H4 || which == NFTR_H6);
}

unsigned nftr_captive_port(const struct tq_conf *c)
{
	unsigned https = c->portal_port ? (unsigned)c->portal_port : 443;

	if (!c->portal)
		return 0;
	if (!*c->portal_cert)
		return c->portal_port ? (unsigned)c->portal_port : 80;
	/* (a redirector on the HTTPS port itself is none) */
	if ((unsigned)c->portal_redirect_port == https)
		return 0;
	return (unsigned)c->portal_redirect_port;
}

/* ---- table, sets, chains ---- */

struct nftnl_table *nftr_table(const struct tq_conf *c)
{
	struct nftnl_table *t = xcheck(nftnl_table_alloc());

	nftnl_table_set_str(t, NFTNL_TABLE_NAME, c->table);
	return t;
}

struct nftnl_set *nftr_set_ref(const struct tq_conf *c, int which)
{
	struct nftnl_set *s = xcheck(nftnl_set_alloc());

	nftnl_set_set_str(s, NFTNL_SET_TABLE, c->table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, nftr_set_names[which]);
	return s;
}

struct nftnl_set *nftr_set(const struct tq_conf *c, int which)
{
	struct nftnl_set *s = nftr_set_ref(c, which);
	uint32_t klen, ktype, flags = 0;

	switch (which) {
	case NFTR_H4:
	case NFTR_H4U:
		klen = 4;
		ktype = DT_IPADDR;
		break;
	case NFTR_H6:
	case NFTR_H6U:
		klen = 16;
		ktype = DT_IP6ADDR;
		break;
	default:
		klen = 4;
		ktype = DT_UID;
		break;
	}
	if (nftr_set_bound(c, which)) {
		klen += 8;	/* ether_addr, padded to registers */
		ktype = ktype << DT_BITS | DT_ETHERADDR;
	}
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, klen);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, ktype);
	nftnl_set_set_u32(s, NFTNL_SET_ID, (uint32_t)which + 1);
	if (nftr_set_uids(which)) {
		/* uids are host-endian: tell `nft list` through the set's
		 * userdata (NFTNL_UDATA_SET_KEYBYTEORDER = 0, host = 1). */
		struct nftnl_udata_buf *ud = xcheck(nftnl_udata_buf_alloc(64));

		nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_KEYBYTEORDER, 1);
		nftnl_set_set_data(s, NFTNL_SET_USERDATA,
				   nftnl_udata_buf_data(ud),
				   nftnl_udata_buf_len(ud));
		nftnl_udata_buf_free(ud);
	}
	if (which != NFTR_UIDS) {
		/* A counter per element: who carried how much. */
		nftnl_set_add_expr(s, xcheck(nftnl_expr_alloc("counter")));
		flags |= NFT_SET_EXPR;
	}
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, flags);
	return s;
}

struct nftnl_chain *nftr_chain(const struct tq_conf *c, int which)
{
	static const struct {
		int hook, prio;
		const char *type;
	} base[] = {
		[NFTR_FORWARD] = { NF_INET_FORWARD, 0, "filter" },
		[NFTR_POSTROUTING] = { NF_INET_POST_ROUTING, 100, "nat" },
		[NFTR_OUTPUT] = { NF_INET_LOCAL_OUT, 0, "filter" },
		[NFTR_PREROUTING] = { NF_INET_PRE_ROUTING, -100, "nat" },
		[NFTR_INPUT] = { NF_INET_LOCAL_IN, 0, "filter" },
	};
	struct nftnl_chain *ch = xcheck(nftnl_chain_alloc());

	nftnl_chain_set_str(ch, NFTNL_CHAIN_TABLE, c->table);
	nftnl_chain_set_str(ch, NFTNL_CHAIN_NAME, nftr_chain_names[which]);
	if (nftr_chain_base(which)) {
		nftnl_chain_set_u32(ch, NFTNL_CHAIN_HOOKNUM,
				    (uint32_t)base[which].hook);
		nftnl_chain_set_s32(ch, NFTNL_CHAIN_PRIO, base[which].prio);
		nftnl_chain_set_str(ch, NFTNL_CHAIN_TYPE, base[which].type);
		nftnl_chain_set_u32(ch, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	}
	return ch;
}

/* ---- summaries and comparisons ---- */

static int count_expr(struct nftnl_expr *e, void *data)
{
	(*(int *)data)++;
	return 0;
}

static int comment_cb(const struct nftnl_udata *attr, void *data)
{
	const char **c = data;
	uint8_t len = nftnl_udata_len(attr);
	const char *v = nftnl_udata_get(attr);

	if (nftnl_udata_type(attr) == NFTNL_UDATA_RULE_COMMENT && len > 0 &&
	    v[len - 1] == '\0')
		*c = v;
	return 0;
}

static int zero_counter(struct nftnl_expr *e, void *data)
{
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

	if (name && strcmp(name, "counter") == 0) {
		nftnl_expr_set_u64(e, NFTNL_EXPR_CTR_PACKETS, 0);
		nftnl_expr_set_u64(e, NFTNL_EXPR_CTR_BYTES, 0);
	}
	return 0;
}

void nftr_summary(struct nftnl_rule *r, struct nftr_sum *s)
{
	const char *chain = nftnl_rule_get_str(r, NFTNL_RULE_CHAIN);
	const char *comment = "";
	const void *ud;
	uint32_t udlen = 0;

	/* What the kernel adds or counts is no part of the rule. */
	nftnl_rule_unset(r, NFTNL_RULE_HANDLE);
	nftnl_rule_unset(r, NFTNL_RULE_POSITION);
	nftnl_rule_unset(r, NFTNL_RULE_ID);
	nftnl_expr_foreach(r, zero_counter, NULL);
	nftnl_rule_snprintf(s->text, sizeof(s->text), r, NFTNL_OUTPUT_DEFAULT,
			    0);

	for (s->chain = 0; s->chain < NFTR_NCHAINS; s->chain++)
		if (chain && strcmp(chain, nftr_chain_names[s->chain]) == 0)
			break;
	if (s->chain == NFTR_NCHAINS)
		s->chain = -1;
	ud = nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &udlen);
	if (ud)
		nftnl_udata_parse(ud, udlen, comment_cb, &comment);
	tq_strlcpy(s->comment, comment, sizeof(s->comment));
	s->nexprs = 0;
	nftnl_expr_foreach(r, count_expr, &s->nexprs);
}

static bool str_same(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

bool nftr_chain_same(const struct tq_conf *c, int which,
		     const struct nftnl_chain *ch)
{
	struct nftnl_chain *w = nftr_chain(c, which);
	static const uint16_t attrs[] = {
		NFTNL_CHAIN_HOOKNUM, NFTNL_CHAIN_PRIO, NFTNL_CHAIN_POLICY,
	};
	bool same = true;
	size_t i;

	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		if (nftnl_chain_is_set(w, attrs[i]) !=
		    nftnl_chain_is_set(ch, attrs[i]))
			same = false;
		else if (nftnl_chain_is_set(w, attrs[i]) &&
			 nftnl_chain_get_u32(w, attrs[i]) !=
			 nftnl_chain_get_u32(ch, attrs[i]))
			same = false;
	}
	if (!str_same(nftnl_chain_get_str(w, NFTNL_CHAIN_TYPE),
		      nftnl_chain_get_str(ch, NFTNL_CHAIN_TYPE)) ||
	    nftnl_chain_is_set(ch, NFTNL_CHAIN_DEV))
		same = false;
	nftnl_chain_free(w);
	return same;
}

static int expr_name_cb(struct nftnl_expr *e, void *data)
{
	char *names = data;
	const char *n = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
	size_t len = strlen(names);

	snprintf(names + len, 128 - len, "%s,", n ? n : "?");
	return 0;
}

bool nftr_set_same(const struct tq_conf *c, int which,
		   const struct nftnl_set *s)
{
	struct nftnl_set *w = nftr_set(c, which);
	static const uint16_t attrs[] = {
		NFTNL_SET_FLAGS, NFTNL_SET_KEY_TYPE, NFTNL_SET_KEY_LEN,
	};
	char en[128] = "", gn[128] = "";
	const void *wu, *gu;
	uint32_t wl = 0, gl = 0;
	bool same = true;
	size_t i;

	/* (the kernel leaves out flags 0) */
	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
		if (nftnl_set_get_u32(w, attrs[i]) !=
		    (nftnl_set_is_set(s, attrs[i]) ?
		     nftnl_set_get_u32(s, attrs[i]) : 0))
			same = false;
	/* Anything a set may hold that ours do not. */
	if (nftnl_set_is_set(s, NFTNL_SET_DATA_TYPE) ||
	    nftnl_set_is_set(s, NFTNL_SET_OBJ_TYPE) ||
	    nftnl_set_is_set(s, NFTNL_SET_TIMEOUT) ||
	    (nftnl_set_is_set(s, NFTNL_SET_POLICY) &&
	     nftnl_set_get_u32(s, NFTNL_SET_POLICY) != NFT_SET_POL_PERFORMANCE))
		same = false;
	nftnl_set_expr_foreach(w, expr_name_cb, en);
	nftnl_set_expr_foreach((struct nftnl_set *)s, expr_name_cb, gn);
	wu = nftnl_set_get_data(w, NFTNL_SET_USERDATA, &wl);
	gu = nftnl_set_get_data(s, NFTNL_SET_USERDATA, &gl);
	if (strcmp(en, gn) != 0 || wl != gl || (wl && memcmp(wu, gu, wl)))
		same = false;
	nftnl_set_free(w);
	return same;
}

/* ---- elements ---- */

int nftr_host_set(const struct tq_conf *c, const struct nftb_host *h)
{
	bool unbound = c->bind_mac && !h->has_mac;

	if (h->addr.family == AF_INET6)
		return unbound ? NFTR_H6U : NFTR_H6;
	return unbound ? NFTR_H4U : NFTR_H4;
}

struct nftnl_set_elem *nftr_host_elem(const struct tq_conf *c,
				      const struct nftb_host *h)
{
	struct nftnl_set_elem *e = xcheck(nftnl_set_elem_alloc());
	size_t len = h->addr.family == AF_INET6 ? 16 : 4;
	uint8_t key[32];

	memcpy(key, h->addr.a, len);
	if (nftr_set_bound(c, nftr_host_set(c, h))) {
		memset(key + len, 0, 8);
		memcpy(key + len, h->mac, 6);
		len += 8;
	}
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, (uint32_t)len);
	return e;
}

struct nftnl_set_elem *nftr_uid_elem(unsigned uid)
{
	struct nftnl_set_elem *e = xcheck(nftnl_set_elem_alloc());
	uint32_t u = uid;

	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, &u, sizeof(u));
	return e;
}

static int ctr_cb(struct nftnl_expr *e, void *data)
{
	struct nftb_host *h = data;
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

	if (name && strcmp(name, "counter") == 0) {
		h->packets += nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_PACKETS);
		h->bytes += nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_BYTES);
	}
	return 0;
}

int nftr_elem_parse(const struct tq_conf *c, int which,
		    struct nftnl_set_elem *e, struct nftb_host *h,
		    unsigned *uid)
{
	size_t alen = nftr_set_v6(which) ? 16 : 4;
	size_t want = alen + (nftr_set_bound(c, which) ? 8 : 0);
	uint32_t klen = 0, u;
	const uint8_t *key = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &klen);

	/* Nothing from the kernel is trusted for length. */
	if (!key || klen != want)
		return -1;
	memset(h, 0, sizeof(*h));
	if (nftr_set_uids(which)) {
		memcpy(&u, key, sizeof(u));
		*uid = u;
		nftnl_set_elem_expr_foreach(e, ctr_cb, h);
		return 0;
	}
	h->addr.family = nftr_set_v6(which) ? AF_INET6 : AF_INET;
	memcpy(h->addr.a, key, alen);
	if (want > alen) {
		h->has_mac = true;
		memcpy(h->mac, key + alen, 6);
	}
	nftnl_set_elem_expr_foreach(e, ctr_cb, h);
	return 0;
}
