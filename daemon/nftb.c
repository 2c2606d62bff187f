/* nftb.c - the daemon's own nftables table through libnftnl + libmnl.
 *
 * Every change is one netlink batch: begin, messages (each NLM_F_ACK with
 * its own sequence number), end, sent with one sendmsg(); then every ACK is
 * read and an error is mapped back through its sequence number (and the
 * extended-ACK attribute offset, for a chunk of set elements) to the
 * operation and the object it concerns.
 */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <net/if_arp.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "nftb.h"
#include "util.h"

/* nftables userspace data type ids (nftables' datatype.h), so that
 * `nft list` prints the sets with their proper types. */
#define DT_IPADDR	7
#define DT_IP6ADDR	8
#define DT_ETHERADDR	9
#define DT_UID		24
#define DT_BITS		6

/* Elements per NEWSETELEM message: the element list is one netlink
 * attribute, whose length is 16 bits. */
#define ELEM_CHUNK	256
/* Room always kept free at the end of the batch buffer: more than the
 * largest single message we build. */
#define MSG_ROOM	(64 * 1024)
#define RECV_SIZE	(256 * 1024)
#define SOCK_BUF	(8 * 1024 * 1024)

/* With bind_mac, hosts4/hosts6 hold address . MAC, and a host opened
 * without a known MAC goes to hosts4_unbound/hosts6_unbound (plain
 * addresses), so it works rather than silently not. */
enum { SET_H4, SET_H6, SET_UIDS, SET_H4U, SET_H6U, N_SETS };
static const char *const set_names[N_SETS] = {
	"hosts4", "hosts6", "blocked_uids", "hosts4_unbound", "hosts6_unbound"
};

static bool set_v6(int which)
{
	return which == SET_H6 || which == SET_H6U;
}


enum { CH_FORWARD, CH_POSTROUTING, CH_OUTPUT, CH_BLOCKED, N_CHAINS };
static const char *const chain_names[N_CHAINS] = {
	"forward", "postrouting", "output", "blocked"
};

/* What one message of a batch did, to name it in an error. */
struct rec {
	uint32_t seq;
	size_t off;			/* in the batch buffer */
	const char *verb;		/* "adding", "deleting", ... */
	const char *what;		/* "table", "chain", "element", ... */
	const char *name;		/* object or set name */
	const struct nftb_host *hosts;	/* elements of this message */
	const unsigned *uids;
	size_t n;
};

/* A rule as we built it, for nftb_intact(). */
struct xrule {
	int chain;
	int nexprs;
	char comment[96];
};

struct nftb {
	const struct tq_conf *conf;
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	uint32_t begin_seq;		/* of the batch being sent */
	int sndbuf;

	char *buf;			/* batch being built */
	size_t len, cap;
	struct rec *recs;
	size_t nrec, caprec;
	unsigned nacks;

	struct xrule *xr;		/* the rules conf calls for */
	size_t nxr, capxr;
	bool xr_ready;

	size_t last_msgs, last_bytes;	/* of the last batch sent */

	char *rbuf;			/* receive buffer */
	char err[512];
};

static int n_sets(const struct nftb *n)
{
	return n->conf->bind_mac ? N_SETS : SET_UIDS + 1;
}

/* Does set which hold address . MAC keys? */
static bool set_bound(const struct nftb *n, int which)
{
	return n->conf->bind_mac && (which == SET_H4 || which == SET_H6);
}

static int fail(struct nftb *n, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct nftb *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(n->err, sizeof(n->err), fmt, ap);
	va_end(ap);
	return -1;
}

const char *nftb_error(const struct nftb *n)
{
	return n->err;
}

void nftb_last_batch(const struct nftb *n, size_t *msgs, size_t *bytes)
{
	*msgs = n->last_msgs;
	*bytes = n->last_bytes;
}

struct nftb *nftb_new(const struct tq_conf *conf)
{
	struct nftb *n;
	int one = 1, sz = SOCK_BUF;

	n = xcalloc(1, sizeof(*n));
	n->conf = conf;
	n->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!n->nl)
		goto err_free;
	if (mnl_socket_bind(n->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto err_close;
	n->portid = mnl_socket_get_portid(n->nl);
	/* Short ACKs (no copy of our message), with the offset of the
	 * attribute the kernel rejected. */
	mnl_socket_setsockopt(n->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(n->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	if (setsockopt(mnl_socket_get_fd(n->nl), SOL_SOCKET, SO_RCVBUFFORCE,
		       &sz, sizeof(sz)) < 0)
		setsockopt(mnl_socket_get_fd(n->nl), SOL_SOCKET, SO_RCVBUF,
			   &sz, sizeof(sz));
	{
		/* A kernel that never answers must not hang the daemon. */
		struct timeval tv = { .tv_sec = 10 };

		setsockopt(mnl_socket_get_fd(n->nl), SOL_SOCKET, SO_RCVTIMEO,
			   &tv, sizeof(tv));
	}
	n->seq = (uint32_t)time(NULL);
	n->rbuf = xmalloc(RECV_SIZE);
	return n;

err_close:
	mnl_socket_close(n->nl);
err_free:
	free(n);
	return NULL;
}

void nftb_free(struct nftb *n)
{
	if (!n)
		return;
	mnl_socket_close(n->nl);
	free(n->buf);
	free(n->recs);
	free(n->xr);
	free(n->rbuf);
	free(n);
}

void nftb_set_conf(struct nftb *n, const struct tq_conf *conf)
{
	n->conf = conf;
	n->xr_ready = false;
}

/* ---- batch buffer ---- */

static void batch_reset(struct nftb *n)
{
	n->len = 0;
	n->nrec = 0;
	n->nacks = 0;
}

static char *batch_tail(struct nftb *n)
{
	size_t old = n->cap;

	if (n->cap - n->len < MSG_ROOM) {
		n->cap = n->cap ? n->cap * 2 : 4 * MSG_ROOM;
		n->buf = xrealloc(n->buf, n->cap);
		memset(n->buf + old, 0, n->cap - old);
	}
	return n->buf + n->len;
}

static void batch_commit(struct nftb *n, struct nlmsghdr *nlh)
{
	size_t pad = MNL_ALIGN(nlh->nlmsg_len) - nlh->nlmsg_len;

	assert(nlh->nlmsg_len < MSG_ROOM);
	/* The alignment padding goes to the kernel too: no stale bytes. */
	memset((char *)nlh + nlh->nlmsg_len, 0, pad);
	n->len += MNL_ALIGN(nlh->nlmsg_len);
}

/* Start a message of the batch; the caller fills the payload, then calls
 * batch_commit().  A record names the message for errors. */
static struct rec *batch_rec(struct nftb *n, const char *verb,
			     const char *what, const char *name)
{
	struct rec *r;

	xgrow(&n->recs, &n->caprec, n->nrec + 1, sizeof(*n->recs));
	r = &n->recs[n->nrec++];
	memset(r, 0, sizeof(*r));
	r->seq = n->seq++;
	r->off = n->len;
	r->verb = verb;
	r->what = what;
	r->name = name;
	n->nacks++;
	return r;
}

static void batch_begin(struct nftb *n)
{
	batch_reset(n);
	batch_tail(n);
	n->begin_seq = n->seq;
	batch_commit(n, nftnl_batch_begin(n->buf, n->seq++));
}

static void batch_end(struct nftb *n)
{
	batch_tail(n);
	batch_commit(n, nftnl_batch_end(n->buf + n->len, n->seq++));
}

static struct nlmsghdr *msg_hdr(struct nftb *n, struct rec *r, int type,
				uint16_t flags)
{
	return nftnl_nlmsg_build_hdr(batch_tail(n), type, NFPROTO_INET,
				     flags | NLM_F_ACK, r->seq);
}

/* ---- naming objects in errors ---- */

static void elem_text(const struct nftb *n, const struct rec *r, size_t i,
		      char *buf, size_t len)
{
	char a[TQ_ADDRSTRLEN];
	const uint8_t *m;

	if (r->uids) {
		snprintf(buf, len, "uid %u", r->uids[i]);
		return;
	}
	addr_format(&r->hosts[i].addr, a, sizeof(a));
	m = r->hosts[i].mac;
	if (r->hosts[i].has_mac && n->conf->bind_mac)
		snprintf(buf, len, "%s . %02x:%02x:%02x:%02x:%02x:%02x", a,
			 m[0], m[1], m[2], m[3], m[4], m[5]);
	else
		snprintf(buf, len, "%s", a);
}

/* Which element of message r starts at byte offset off of the message?
 * -1 if none (the error concerns the message as a whole). */
static long elem_at(const struct nftb *n, const struct rec *r, uint32_t off)
{
	const struct nlmsghdr *nlh = (const void *)(n->buf + r->off);
	const struct nlattr *a, *e;
	long i;

	if (!r->n || off == 0)
		return -1;
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		i = 0;
		mnl_attr_for_each_nested(e, a) {
			if ((const char *)e - (const char *)nlh == (long)off)
				return i < (long)r->n ? i : -1;
			i++;
		}
	}
	return -1;
}

static void name_error(struct nftb *n, const struct rec *r, int err,
		       uint32_t off)
{
	char el[96];
	long i;

	if (!r->n) {
		fail(n, "%s %s %s: %s", r->verb, r->what, r->name,
		     strerror(err));
		return;
	}
	i = r->n == 1 ? 0 : elem_at(n, r, off);
	if (i >= 0) {
		elem_text(n, r, (size_t)i, el, sizeof(el));
		fail(n, "%s element %s %s set %s: %s", r->verb, el,
		     strcmp(r->verb, "adding") ? "from" : "to", r->name,
		     strerror(err));
		return;
	}
	elem_text(n, r, 0, el, sizeof(el));
	fail(n, "%s %zu elements (first %s) %s set %s: %s", r->verb, r->n, el,
	     strcmp(r->verb, "adding") ? "from" : "to", r->name,
	     strerror(err));
}

static struct rec *rec_by_seq(struct nftb *n, uint32_t seq)
{
	size_t lo = 0, hi = n->nrec;

	/* Sequence numbers grow through the batch (modulo wrap-around,
	 * hence the subtraction from the first one). */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		uint32_t d = n->recs[mid].seq - n->recs[0].seq;

		if (d == seq - n->recs[0].seq)
			return &n->recs[mid];
		if (d < seq - n->recs[0].seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---- send and read the ACKs ---- */

static int ack_offset(const struct nlmsghdr *nlh, uint32_t *off)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	size_t hlen = sizeof(*e);

	*off = 0;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return 0;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		hlen += e->msg.nlmsg_len - sizeof(e->msg);
	if (MNL_ALIGN(hlen) > mnl_nlmsg_get_payload_len(nlh))
		return 0;
	mnl_attr_for_each(a, nlh, MNL_ALIGN(hlen)) {
		if (mnl_attr_get_type(a) == NLMSGERR_ATTR_OFFS &&
		    mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			*off = mnl_attr_get_u32(a);
	}
	return 0;
}

static int batch_send(struct nftb *n)
{
	int fd = mnl_socket_get_fd(n->nl);
	bool failed = false;
	unsigned acked = 0;

	n->last_msgs = 0;
	n->last_bytes = 0;
	if (n->nacks == 0)
		return 0;	/* an empty batch is not sent */
	batch_end(n);
	n->last_msgs = n->nacks;
	n->last_bytes = n->len;
	if ((int)n->len + 4096 > n->sndbuf) {
		int sz = (int)n->len + 4096;

		if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz,
			       sizeof(sz)) < 0 &&
		    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)) < 0)
			return fail(n, "netlink send buffer: %s",
				    strerror(errno));
		n->sndbuf = sz;
	}
	if (mnl_socket_sendto(n->nl, n->buf, n->len) < 0)
		return fail(n, "sending netlink batch (%zu bytes): %s", n->len,
			    strerror(errno));

	while (acked < n->nacks) {
		ssize_t len = mnl_socket_recvfrom(n->nl, n->rbuf, RECV_SIZE);
		const struct nlmsghdr *nlh;
		int rest;

		if (len < 0) {
			if (errno == EINTR)
				continue;
			return fail(n, "reading netlink acknowledgements: %s",
				    strerror(errno));
		}
		rest = (int)len;
		for (nlh = (const void *)n->rbuf; mnl_nlmsg_ok(nlh, rest);
		     nlh = mnl_nlmsg_next(nlh, &rest)) {
			const struct nlmsgerr *e;
			struct rec *r;
			uint32_t off;

			if (nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
				continue;
			e = mnl_nlmsg_get_payload(nlh);
			r = rec_by_seq(n, nlh->nlmsg_seq);
			if (!r && nlh->nlmsg_seq == n->begin_seq) {
				/* The batch as a whole was refused. */
				if (!failed)
					fail(n, "netlink batch: %s",
					     strerror(-e->error));
				return -1;
			}
			if (!r)
				continue;	/* late answer to an old batch */
			acked++;
			if (e->error == 0 || failed)
				continue;
			failed = true;
			ack_offset(nlh, &off);
			name_error(n, r, -e->error, off);
		}
	}
	return failed ? -1 : 0;
}

/* ---- expressions ---- */

static struct nftnl_expr *expr(struct nftnl_rule *r, const char *name)
{
	struct nftnl_expr *e = nftnl_expr_alloc(name);

	if (!e)
		abort();	/* only on out of memory */
	nftnl_rule_add_expr(r, e);
	return e;
}

static void e_meta(struct nftnl_rule *r, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = expr(r, "meta");

	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
}

static void e_cmp(struct nftnl_rule *r, uint32_t op, const void *data,
		  uint32_t len)
{
	struct nftnl_expr *e = expr(r, "cmp");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
}

static void e_payload(struct nftnl_rule *r, uint32_t base, uint32_t off,
		      uint32_t len, uint32_t dreg)
{
	struct nftnl_expr *e = expr(r, "payload");

	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
}

static void e_bitwise(struct nftnl_rule *r, const void *mask, uint32_t len)
{
	struct nftnl_expr *e = expr(r, "bitwise");
	uint8_t zero[16] = { 0 };

	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, zero, len);
}

static void e_lookup(struct nftnl_rule *r, const char *set)
{
	struct nftnl_expr *e = expr(r, "lookup");

	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
}

static void e_verdict(struct nftnl_rule *r, int verdict, const char *chain)
{
	struct nftnl_expr *e = expr(r, "immediate");

	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
	if (chain)
		nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain);
}

/* iifname/oifname NAME; "ppp*" matches every name with that prefix, as
 * in nft (compare the prefix only). */
static void e_ifname(struct nftnl_rule *r, uint32_t key, const char *name)
{
	char buf[16] = { 0 };
	size_t len;

	len = tq_strlcpy(buf, name, sizeof(buf));
	e_meta(r, key, NFT_REG_1);
	if (len > 1 && len < sizeof(buf) && buf[len - 1] == '*')
		e_cmp(r, NFT_CMP_EQ, buf, (uint32_t)len - 1);
	else
		e_cmp(r, NFT_CMP_EQ, buf, sizeof(buf));
}

static void e_nfproto(struct nftnl_rule *r, uint8_t proto)
{
	e_meta(r, NFT_META_NFPROTO, NFT_REG_1);
	e_cmp(r, NFT_CMP_EQ, &proto, 1);
}

/* ip saddr @hosts4, or ip saddr . ether saddr @hosts4 with bind_mac.
 * iif: the input interface is known (not in postrouting), so check that it
 * is Ethernet, as nft does before `ether saddr` (and then prints it so). */
static void e_hosts(struct nftb *n, struct nftnl_rule *r, int which,
		    bool iif)
{
	bool v6 = set_v6(which);

	if (set_bound(n, which) && iif) {
		uint16_t ether = ARPHRD_ETHER;

		e_meta(r, NFT_META_IIFTYPE, NFT_REG_1);
		e_cmp(r, NFT_CMP_EQ, &ether, sizeof(ether));
	}
	e_nfproto(r, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
	e_payload(r, NFT_PAYLOAD_NETWORK_HEADER, v6 ? 8 : 12, v6 ? 16 : 4,
		  NFT_REG_1);
	if (set_bound(n, which))
		e_payload(r, NFT_PAYLOAD_LL_HEADER, 6, 6,
			  v6 ? NFT_REG32_04 : NFT_REG32_01);
	e_lookup(r, set_names[which]);
}

/* ip daddr NET / ip6 daddr NET */
static void e_daddr_net(struct nftnl_rule *r, const struct tq_cidr *c)
{
	bool v6 = c->addr.family == AF_INET6;
	uint32_t len = v6 ? 16 : 4, i;
	uint8_t mask[16] = { 0 };

	e_nfproto(r, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
	if (c->prefix == 0)
		return;
	e_payload(r, NFT_PAYLOAD_NETWORK_HEADER, v6 ? 24 : 16, len,
		  NFT_REG_1);
	if (c->prefix < len * 8) {
		for (i = 0; i < c->prefix; i++)
			mask[i / 8] |= (uint8_t)(0x80 >> (i % 8));
		e_bitwise(r, mask, len);
	}
	e_cmp(r, NFT_CMP_EQ, c->addr.a, len);
}

/* ---- table, sets, chains, rules ---- */

static void add_table_msg(struct nftb *n, int type, uint16_t flags,
			  const char *verb)
{
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh;
	struct rec *r;

	nftnl_table_set_str(t, NFTNL_TABLE_NAME, n->conf->table);
	r = batch_rec(n, verb, "table inet", n->conf->table);
	nlh = msg_hdr(n, r, type, flags);
	nftnl_table_nlmsg_build_payload(nlh, t);
	batch_commit(n, nlh);
	nftnl_table_free(t);
}

static void add_set(struct nftb *n, int which)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nlmsghdr *nlh;
	struct rec *r;
	uint32_t klen, ktype, flags = 0;

	switch (which) {
	case SET_H4:
	case SET_H4U:
		klen = 4;
		ktype = DT_IPADDR;
		break;
	case SET_H6:
	case SET_H6U:
		klen = 16;
		ktype = DT_IP6ADDR;
		break;
	default:
		klen = 4;
		ktype = DT_UID;
		break;
	}
	if (set_bound(n, which)) {
		klen += 8;	/* ether_addr, padded to registers */
		ktype = ktype << DT_BITS | DT_ETHERADDR;
	}
	nftnl_set_set_str(s, NFTNL_SET_TABLE, n->conf->table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, set_names[which]);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, klen);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, ktype);
	nftnl_set_set_u32(s, NFTNL_SET_ID, (uint32_t)which + 1);
	if (which == SET_UIDS) {
		/* uids are host-endian: tell `nft list` through the set's
		 * userdata (NFTNL_UDATA_SET_KEYBYTEORDER = 0, host = 1). */
		struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(64);

		nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_KEYBYTEORDER, 1);
		nftnl_set_set_data(s, NFTNL_SET_USERDATA,
				   nftnl_udata_buf_data(ud),
				   nftnl_udata_buf_len(ud));
		nftnl_udata_buf_free(ud);
	} else {
		/* A counter per element: who carried how much. */
		nftnl_set_add_expr(s, nftnl_expr_alloc("counter"));
		flags |= NFT_SET_EXPR;
	}
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, flags);
	r = batch_rec(n, "adding", "set", set_names[which]);
	nlh = msg_hdr(n, r, NFT_MSG_NEWSET, NLM_F_CREATE | NLM_F_EXCL);
	nftnl_set_nlmsg_build_payload(nlh, s);
	batch_commit(n, nlh);
	nftnl_set_free(s);
}

static void add_chain(struct nftb *n, int which)
{
	static const struct {
		int hook, prio;
		const char *type;
	} base[] = {
		[CH_FORWARD] = { NF_INET_FORWARD, 0, "filter" },
		[CH_POSTROUTING] = { NF_INET_POST_ROUTING, 100, "nat" },
		[CH_OUTPUT] = { NF_INET_LOCAL_OUT, 0, "filter" },
	};
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *nlh;
	struct rec *r;

	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, n->conf->table);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, chain_names[which]);
	if (which != CH_BLOCKED) {
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM,
				    (uint32_t)base[which].hook);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, base[which].prio);
		nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, base[which].type);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	}
	r = batch_rec(n, "adding", "chain", chain_names[which]);
	nlh = msg_hdr(n, r, NFT_MSG_NEWCHAIN, NLM_F_CREATE | NLM_F_EXCL);
	nftnl_chain_nlmsg_build_payload(nlh, c);
	batch_commit(n, nlh);
	nftnl_chain_free(c);
}

static struct nftnl_rule *rule_new(void)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	if (!r)
		abort();
	return r;
}

static int count_expr(struct nftnl_expr *e, void *data)
{
	(*(int *)data)++;
	return 0;
}

/* Host sets in rule order: with bind_mac the bound ones, then those
 * without a MAC. */
static const int host_sets[] = { SET_H4, SET_H6, SET_H4U, SET_H6U };

static int n_host_sets(const struct nftb *n)
{
	return n->conf->bind_mac ? 4 : 2;
}

static const char *const open_comment[N_SETS] = {
	[SET_H4] = "opened IPv4 hosts",
	[SET_H6] = "opened IPv6 hosts",
	[SET_H4U] = "opened IPv4 hosts without a MAC binding",
	[SET_H6U] = "opened IPv6 hosts without a MAC binding",
};

/* Append rule r (counter and verdict already in it) to chain ch, with a
 * comment, and remember it for nftb_intact(). */
static void add_rule(struct nftb *n, int ch, struct nftnl_rule *r,
		     const char *comment)
{
	struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(256);
	struct nlmsghdr *nlh;
	struct xrule *x;
	struct rec *rc;

	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, n->conf->table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain_names[ch]);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	nftnl_udata_put_strz(ud, NFTNL_UDATA_RULE_COMMENT, comment);
	nftnl_rule_set_data(r, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(ud),
			    nftnl_udata_buf_len(ud));
	nftnl_udata_buf_free(ud);

	xgrow(&n->xr, &n->capxr, n->nxr + 1, sizeof(*n->xr));
	x = &n->xr[n->nxr++];
	x->chain = ch;
	x->nexprs = 0;
	nftnl_expr_foreach(r, count_expr, &x->nexprs);
	tq_strlcpy(x->comment, comment, sizeof(x->comment));

	rc = batch_rec(n, "adding", "rule to chain", chain_names[ch]);
	nlh = msg_hdr(n, rc, NFT_MSG_NEWRULE,
		      NLM_F_CREATE | NLM_F_EXCL | NLM_F_APPEND);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	batch_commit(n, nlh);
	nftnl_rule_free(r);
}

static void add_rules(struct nftb *n)
{
	const struct tq_conf *c = n->conf;
	struct nftnl_rule *r;
	char cm[128], net[64];
	size_t i, j, l;
	int k, w;

	n->nxr = 0;
	for (i = 0; i < c->n_lan; i++) {
		for (j = 0; j < c->n_wan; j++) {
			/* Local networks are free: any LAN host reaches them,
			 * and ahead of the host sets, so that this traffic
			 * never moves an element counter (the daemon's
			 * measure of a host's activity, hence its charge). */
			for (l = 0; l < c->n_local_networks; l++) {
				r = rule_new();
				e_ifname(r, NFT_META_IIFNAME, c->lan[i]);
				e_ifname(r, NFT_META_OIFNAME, c->wan[j]);
				e_daddr_net(r, &c->local_networks[l]);
				expr(r, "counter");
				e_verdict(r, NF_ACCEPT, NULL);
				cidr_format(&c->local_networks[l], net,
					    sizeof(net));
				snprintf(cm, sizeof(cm),
					 "local network %s: free", net);
				add_rule(n, CH_FORWARD, r, cm);
			}
			for (k = 0; k < n_host_sets(n); k++) {
				w = host_sets[k];
				r = rule_new();
				e_ifname(r, NFT_META_IIFNAME, c->lan[i]);
				e_ifname(r, NFT_META_OIFNAME, c->wan[j]);
				e_hosts(n, r, w, true);
				expr(r, "counter");
				e_verdict(r, NF_ACCEPT, NULL);
				add_rule(n, CH_FORWARD, r, open_comment[w]);
			}
			r = rule_new();
			e_ifname(r, NFT_META_IIFNAME, c->wan[j]);
			e_ifname(r, NFT_META_OIFNAME, c->lan[i]);
			{
				uint32_t st = NF_CT_STATE_BIT(IP_CT_ESTABLISHED)
					| NF_CT_STATE_BIT(IP_CT_RELATED);
				uint32_t zero = 0;
				struct nftnl_expr *e = expr(r, "ct");

				nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY,
						   NFT_CT_STATE);
				nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG,
						   NFT_REG_1);
				e_bitwise(r, &st, sizeof(st));
				e_cmp(r, NFT_CMP_NEQ, &zero, sizeof(zero));
			}
			expr(r, "counter");
			e_verdict(r, NF_ACCEPT, NULL);
			add_rule(n, CH_FORWARD, r, "replies");

			/* The chain's policy is accept: without this, any
			 * Internet host could connect in, to every LAN host
			 * by IPv6 (routed, no NAT) and by IPv4 wherever a
			 * route to the LAN exists. */
			r = rule_new();
			e_ifname(r, NFT_META_IIFNAME, c->wan[j]);
			e_ifname(r, NFT_META_OIFNAME, c->lan[i]);
			expr(r, "counter");
			e_verdict(r, NF_DROP, NULL);
			add_rule(n, CH_FORWARD, r,
				 "new connections from the Internet");

			r = rule_new();
			e_ifname(r, NFT_META_IIFNAME, c->lan[i]);
			e_ifname(r, NFT_META_OIFNAME, c->wan[j]);
			expr(r, "counter");
			e_verdict(r, NF_DROP, NULL);
			add_rule(n, CH_FORWARD, r, "hosts not opened");
		}
	}

	/* Traffic to a local network across the WAN is masqueraded whoever
	 * sends it (the forward chain lets every LAN host reach it, and such
	 * a network need not route the LAN back), by a rule of its own ahead
	 * of the host sets: their lookup would move the element counter (once
	 * per connection) and so charge. */
	for (j = 0; j < c->n_wan; j++) {
		for (i = 0; i < c->n_local_networks; i++) {
			if (c->local_networks[i].addr.family != AF_INET)
				continue;	/* no IPv6 NAT */
			r = rule_new();
			e_ifname(r, NFT_META_OIFNAME, c->wan[j]);
			e_daddr_net(r, &c->local_networks[i]);
			expr(r, "counter");
			expr(r, "masq");
			cidr_format(&c->local_networks[i], net, sizeof(net));
			snprintf(cm, sizeof(cm), "local network %s: "
				 "masqueraded for every host", net);
			add_rule(n, CH_POSTROUTING, r, cm);
		}
	}
	for (j = 0; j < c->n_wan; j++) {
		for (k = 0; k < n_host_sets(n); k++) {
			w = host_sets[k];
			if (set_v6(w))
				continue;
			r = rule_new();
			e_ifname(r, NFT_META_OIFNAME, c->wan[j]);
			e_hosts(n, r, w, false);
			expr(r, "counter");
			expr(r, "masq");
			add_rule(n, CH_POSTROUTING, r, w == SET_H4 ?
				 "masquerade opened IPv4 hosts" :
				 "masquerade opened IPv4 hosts without a "
				 "MAC binding");
		}
	}

	r = rule_new();
	e_meta(r, NFT_META_SKUID, NFT_REG_1);
	e_lookup(r, set_names[SET_UIDS]);
	e_verdict(r, NFT_JUMP, chain_names[CH_BLOCKED]);
	add_rule(n, CH_OUTPUT, r, "users without quota");

	r = rule_new();
	e_ifname(r, NFT_META_OIFNAME, "lo");
	e_verdict(r, NFT_RETURN, NULL);
	add_rule(n, CH_BLOCKED, r, "loopback stays reachable");
	for (i = 0; i < c->n_local_networks; i++) {
		r = rule_new();
		e_daddr_net(r, &c->local_networks[i]);
		e_verdict(r, NFT_RETURN, NULL);
		cidr_format(&c->local_networks[i], net, sizeof(net));
		snprintf(cm, sizeof(cm), "local network %s", net);
		add_rule(n, CH_BLOCKED, r, cm);
	}
	r = rule_new();
	expr(r, "counter");
	{
		struct nftnl_expr *e = expr(r, "reject");

		nftnl_expr_set_u32(e, NFTNL_EXPR_REJECT_TYPE,
				   NFT_REJECT_ICMPX_UNREACH);
		nftnl_expr_set_u8(e, NFTNL_EXPR_REJECT_CODE,
				  NFT_REJECT_ICMPX_ADMIN_PROHIBITED);
	}
	add_rule(n, CH_BLOCKED, r, "no quota: outside is closed");
}

/* ---- elements ---- */

static int host_set(const struct nftb *n, const struct nftb_host *h)
{
	bool unbound = n->conf->bind_mac && !h->has_mac;

	if (h->addr.family == AF_INET6)
		return unbound ? SET_H6U : SET_H6;
	return unbound ? SET_H4U : SET_H4;
}

static size_t host_key(const struct nftb *n, const struct nftb_host *h,
		       uint8_t *key)
{
	size_t len = h->addr.family == AF_INET6 ? 16 : 4;

	memcpy(key, h->addr.a, len);
	if (!set_bound(n, host_set(n, h)))
		return len;
	memset(key + len, 0, 8);
	memcpy(key + len, h->mac, 6);
	return len + 8;
}

/* One or more NEWSETELEM/DELSETELEM messages for the elements of one set
 * among hosts[] (or uids[]), ELEM_CHUNK per message. */
static void add_elems(struct nftb *n, int which, int type, uint16_t flags,
		      const struct nftb_host *hosts, const unsigned *uids,
		      size_t count)
{
	const char *verb = type == NFT_MSG_NEWSETELEM ? "adding" : "deleting";
	size_t i = 0;

	while (i < count) {
		struct nftnl_set *s = nftnl_set_alloc();
		struct nlmsghdr *nlh;
		struct rec *r;
		size_t k = 0, first;

		nftnl_set_set_str(s, NFTNL_SET_TABLE, n->conf->table);
		nftnl_set_set_str(s, NFTNL_SET_NAME, set_names[which]);
		/* Skip to this set's elements; hosts[] mixes families, so a
		 * chunk is a run of same-set hosts. */
		while (i < count && hosts && host_set(n, &hosts[i]) != which)
			i++;
		first = i;
		while (i < count && k < ELEM_CHUNK) {
			struct nftnl_set_elem *e;
			uint8_t key[32];
			size_t klen;

			if (hosts && host_set(n, &hosts[i]) != which)
				break;
			e = nftnl_set_elem_alloc();
			if (hosts) {
				klen = host_key(n, &hosts[i], key);
			} else {
				uint32_t u = uids[i];

				memcpy(key, &u, sizeof(u));
				klen = sizeof(u);
			}
			nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key,
					   (uint32_t)klen);
			nftnl_set_elem_add(s, e);
			i++;
			k++;
		}
		if (k > 0) {
			r = batch_rec(n, verb, "element", set_names[which]);
			r->n = k;
			if (hosts)
				r->hosts = &hosts[first];
			else
				r->uids = &uids[first];
			nlh = msg_hdr(n, r, type, flags);
			nftnl_set_elems_nlmsg_build_payload(nlh, s);
			batch_commit(n, nlh);
		}
		nftnl_set_free(s);
	}
}

static void add_hosts(struct nftb *n, int type, uint16_t flags,
		      const struct nftb_host *hosts, size_t nh)
{
	int k;

	for (k = 0; k < n_host_sets(n); k++)
		add_elems(n, host_sets[k], type, flags, hosts, NULL, nh);
}

/* ---- public operations ---- */

int nftb_create(struct nftb *n, const struct nftb_host *hosts, size_t nh,
		const unsigned *uids, size_t nu)
{
	int i;

	batch_begin(n);
	/* Add (a no-op if it exists), delete, add: the table is replaced
	 * in one transaction, and a missing one is no error. */
	add_table_msg(n, NFT_MSG_NEWTABLE, NLM_F_CREATE, "adding");
	add_table_msg(n, NFT_MSG_DELTABLE, 0, "replacing");
	add_table_msg(n, NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_EXCL,
		      "adding");
	for (i = 0; i < n_sets(n); i++)
		add_set(n, i);
	for (i = 0; i < N_CHAINS; i++)
		add_chain(n, i);
	add_rules(n);
	add_hosts(n, NFT_MSG_NEWSETELEM, NLM_F_CREATE, hosts, nh);
	add_elems(n, SET_UIDS, NFT_MSG_NEWSETELEM, NLM_F_CREATE, NULL, uids,
		  nu);
	n->xr_ready = true;
	return batch_send(n);
}

int nftb_delete(struct nftb *n)
{
	batch_begin(n);
	add_table_msg(n, NFT_MSG_NEWTABLE, NLM_F_CREATE, "adding");
	add_table_msg(n, NFT_MSG_DELTABLE, 0, "deleting");
	return batch_send(n);
}

int nftb_open(struct nftb *n, const struct nftb_host *hosts, size_t nh)
{
	if (nh == 0)
		return 0;
	batch_begin(n);
	add_hosts(n, NFT_MSG_NEWSETELEM, NLM_F_CREATE, hosts, nh);
	return batch_send(n);
}

/* With bind_mac, a host is closed whatever MAC it was bound to: find its
 * elements in the sets.  *out is malloc'ed. */
static int bound_hosts(struct nftb *n, const struct nftb_host *hosts,
		       size_t nh, struct nftb_host **out, size_t *nout)
{
	struct nftb_host *all, *v;
	size_t na, i, j, k = 0;

	if (nftb_list(n, &all, &na) < 0)
		return -1;
	/* Only the bound elements (unbound ones are the host itself). */
	for (i = 0, j = 0; i < na; i++)
		if (all[i].has_mac)
			all[j++] = all[i];
	na = j;
	qsort(all, na, sizeof(*all), addr_cmp);	/* addr is the first field */
	v = xcalloc(nh + na + 1, sizeof(*v));
	for (i = 0; i < nh; i++) {
		struct nftb_host *f;

		/* The host itself: with a MAC its bound element, without
		 * one its element in the unbound set. */
		v[k++] = hosts[i];
		if (hosts[i].has_mac)
			continue;
		f = bsearch(&hosts[i], all, na, sizeof(*all), addr_cmp);
		if (!f)
			continue;
		while (f > all && addr_equal(&f[-1].addr, &hosts[i].addr))
			f--;
		for (j = (size_t)(f - all);
		     j < na && addr_equal(&all[j].addr, &hosts[i].addr); j++)
			v[k++] = all[j];
	}
	free(all);
	*out = v;
	*nout = k;
	return 0;
}

int nftb_close(struct nftb *n, const struct nftb_host *hosts, size_t nh)
{
	struct nftb_host *v = NULL;
	int rc;

	if (nh == 0)
		return 0;
	if (n->conf->bind_mac) {
		if (bound_hosts(n, hosts, nh, &v, &nh) < 0)
			return -1;
		hosts = v;
	}
	batch_begin(n);
	/* Add first (a no-op if present), then delete: removing a host
	 * that is absent is no error, at no extra cost. */
	add_hosts(n, NFT_MSG_NEWSETELEM, NLM_F_CREATE, hosts, nh);
	add_hosts(n, NFT_MSG_DELSETELEM, 0, hosts, nh);
	rc = batch_send(n);
	free(v);
	return rc;
}

int nftb_block(struct nftb *n, const unsigned *uids, size_t nu)
{
	batch_begin(n);
	add_elems(n, SET_UIDS, NFT_MSG_NEWSETELEM, NLM_F_CREATE, NULL, uids,
		  nu);
	return batch_send(n);
}

int nftb_unblock(struct nftb *n, const unsigned *uids, size_t nu)
{
	batch_begin(n);
	add_elems(n, SET_UIDS, NFT_MSG_NEWSETELEM, NLM_F_CREATE, NULL, uids,
		  nu);
	add_elems(n, SET_UIDS, NFT_MSG_DELSETELEM, 0, NULL, uids, nu);
	return batch_send(n);
}

/* ---- dumps ---- */

typedef int (*dump_cb)(const struct nlmsghdr *nlh, void *arg);

/* Send a dump request (already in n->buf) and feed every answer to cb.
 * Returns 0, or -1 with errno (ENOENT: no such table or set). */
static int dump_run(struct nftb *n, struct nlmsghdr *nlh, mnl_cb_t cb,
		    void *arg)
{
	uint32_t seq = nlh->nlmsg_seq;
	ssize_t len;
	int rc;

	if (mnl_socket_sendto(n->nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	for (;;) {
		len = mnl_socket_recvfrom(n->nl, n->rbuf, RECV_SIZE);
		if (len < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		rc = mnl_cb_run(n->rbuf, (size_t)len, seq, n->portid, cb,
				arg);
		if (rc < 0)
			return -1;
		if (rc == MNL_CB_STOP)
			return 0;
	}
}

static struct nlmsghdr *dump_hdr(struct nftb *n, int type)
{
	batch_reset(n);
	return nftnl_nlmsg_build_hdr(batch_tail(n), type, NFPROTO_INET,
				     NLM_F_DUMP, n->seq++);
}

struct elem_ctx {
	struct nftb *n;
	int which;
	struct nftb_host *hosts;
	unsigned *uids;
	size_t count, cap;
	bool bad;
};

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

static int elem_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct elem_ctx *x = arg;
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elems_iter *it;
	struct nftnl_set_elem *e;
	size_t alen = set_v6(x->which) ? 16 : 4;
	size_t want = alen + (set_bound(x->n, x->which) ? 8 : 0);

	if (nftnl_set_elems_nlmsg_parse(nlh, s) < 0) {
		nftnl_set_free(s);
		x->bad = true;
		return MNL_CB_ERROR;
	}
	it = nftnl_set_elems_iter_create(s);
	while (it && (e = nftnl_set_elems_iter_next(it))) {
		uint32_t klen = 0;
		const uint8_t *key = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY,
							&klen);

		/* Nothing from the kernel is trusted for length. */
		if (!key || klen != want) {
			x->bad = true;
			continue;
		}
		if (x->which == SET_UIDS) {
			uint32_t u;

			xgrow(&x->uids, &x->cap, x->count + 1,
			      sizeof(*x->uids));
			memcpy(&u, key, sizeof(u));
			x->uids[x->count++] = u;
		} else {
			struct nftb_host *h;

			xgrow(&x->hosts, &x->cap, x->count + 1,
			      sizeof(*x->hosts));
			h = &x->hosts[x->count++];
			memset(h, 0, sizeof(*h));
			h->addr.family = set_v6(x->which) ? AF_INET6 : AF_INET;
			memcpy(h->addr.a, key, alen);
			if (want > alen) {
				h->has_mac = true;
				memcpy(h->mac, key + alen, 6);
			}
			nftnl_set_elem_expr_foreach(e, ctr_cb, h);
		}
	}
	nftnl_set_elems_iter_destroy(it);
	nftnl_set_free(s);
	return MNL_CB_OK;
}

static int dump_elems(struct nftb *n, struct elem_ctx *x)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nlmsghdr *nlh;
	int rc;

	nftnl_set_set_str(s, NFTNL_SET_TABLE, n->conf->table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, set_names[x->which]);
	nlh = dump_hdr(n, NFT_MSG_GETSETELEM);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	rc = dump_run(n, nlh, elem_cb, x);
	if (rc < 0)
		return fail(n, "listing set %s: %s", set_names[x->which],
			    strerror(errno));
	return 0;
}

int nftb_list(struct nftb *n, struct nftb_host **out, size_t *nh)
{
	struct elem_ctx x = { .n = n };
	int k;

	for (k = 0; k < n_host_sets(n); k++) {
		x.which = host_sets[k];
		if (dump_elems(n, &x) < 0)
			goto err;
	}
	if (!x.hosts)
		x.hosts = xcalloc(1, sizeof(*x.hosts));
	*out = x.hosts;
	*nh = x.count;
	return 0;
err:
	free(x.hosts);
	return -1;
}

int nftb_list_uids(struct nftb *n, unsigned **out, size_t *nu)
{
	struct elem_ctx x = { .n = n, .which = SET_UIDS };

	if (dump_elems(n, &x) < 0) {
		free(x.uids);
		return -1;
	}
	if (!x.uids)
		x.uids = xcalloc(1, sizeof(*x.uids));
	*out = x.uids;
	*nu = x.count;
	return 0;
}

/* ---- nftb_intact ---- */

struct intact_ctx {
	struct nftb *n;
	size_t pos[N_CHAINS];
	unsigned sets;
	bool bad;
};

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

/* The k-th rule we built for chain ch, or NULL. */
static const struct xrule *xrule_nth(const struct nftb *n, int ch, size_t k)
{
	size_t i;

	for (i = 0; i < n->nxr; i++)
		if (n->xr[i].chain == ch && k-- == 0)
			return &n->xr[i];
	return NULL;
}

static int rule_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct intact_ctx *x = arg;
	struct nftnl_rule *r = nftnl_rule_alloc();
	const struct xrule *want;
	const char *chain, *comment = "";
	const void *ud;
	uint32_t udlen = 0;
	int ch, nexprs = 0;

	if (nftnl_rule_nlmsg_parse(nlh, r) < 0) {
		x->bad = true;
		goto out;
	}
	chain = nftnl_rule_get_str(r, NFTNL_RULE_CHAIN);
	for (ch = 0; ch < N_CHAINS; ch++)
		if (chain && strcmp(chain, chain_names[ch]) == 0)
			break;
	if (ch == N_CHAINS) {
		x->bad = true;
		goto out;
	}
	ud = nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &udlen);
	if (ud)
		nftnl_udata_parse(ud, udlen, comment_cb, &comment);
	nftnl_expr_foreach(r, count_expr, &nexprs);
	want = xrule_nth(x->n, ch, x->pos[ch]++);
	if (!want || want->nexprs != nexprs ||
	    strcmp(want->comment, comment) != 0)
		x->bad = true;
out:
	nftnl_rule_free(r);
	return MNL_CB_OK;
}

static int set_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct intact_ctx *x = arg;
	struct nftnl_set *s = nftnl_set_alloc();
	const char *name;
	int i;

	if (nftnl_set_nlmsg_parse(nlh, s) == 0 &&
	    (name = nftnl_set_get_str(s, NFTNL_SET_NAME))) {
		for (i = 0; i < N_SETS; i++)
			if (strcmp(name, set_names[i]) == 0)
				x->sets |= 1u << i;
	}
	nftnl_set_free(s);
	return MNL_CB_OK;
}

int nftb_intact(struct nftb *n)
{
	struct intact_ctx x = { .n = n };
	struct nftnl_rule *r;
	struct nftnl_set *s;
	struct nlmsghdr *nlh;
	int ch;

	if (!n->xr_ready) {
		/* What the table should hold: build the rules into a batch
		 * that is never sent. */
		batch_begin(n);
		add_rules(n);
		batch_reset(n);
		n->xr_ready = true;
	}

	r = nftnl_rule_alloc();
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, n->conf->table);
	nlh = dump_hdr(n, NFT_MSG_GETRULE);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	if (dump_run(n, nlh, rule_cb, &x) < 0) {
		if (errno == ENOENT)
			return 0;
		return fail(n, "listing rules of table %s: %s",
			    n->conf->table, strerror(errno));
	}
	for (ch = 0; ch < N_CHAINS; ch++)
		if (xrule_nth(n, ch, x.pos[ch]) != NULL)
			x.bad = true;	/* rules missing */
	if (x.bad)
		return 0;

	s = nftnl_set_alloc();
	nftnl_set_set_str(s, NFTNL_SET_TABLE, n->conf->table);
	nlh = dump_hdr(n, NFT_MSG_GETSET);
	nftnl_set_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	if (dump_run(n, nlh, set_cb, &x) < 0) {
		if (errno == ENOENT)
			return 0;
		return fail(n, "listing sets of table %s: %s", n->conf->table,
			    strerror(errno));
	}
	return x.sets == (1u << n_sets(n)) - 1;
}
