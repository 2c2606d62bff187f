/* nftb.c - the nftables backend: the daemon's own table through libnftnl
 * batches over one libmnl socket.
 *
 * Every public call builds one batch (begin, messages each with NLM_F_ACK
 * and its own sequence number, end), sends it in one sendmsg() and drains
 * every answer.  The kernel applies a batch as a whole, so a failure
 * changes nothing; the first error is mapped back through its sequence
 * number to a description of the message that caused it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "log.h"
#include "nftb.h"
#include "util.h"

/* Newer than the Debian 12 kernel headers; the running kernel may have
 * them (6.3+).  DESTROY is DELETE that ignores a missing object. */
#ifndef NFT_MSG_DESTROYTABLE
#define NFT_MSG_DESTROYTABLE 26
#define NFT_MSG_DESTROYSETELEM 30
#endif

/* nftables datatype ids, so `nft list` shows the sets' types. */
#define TQ_TYPE_IPADDR 7
#define TQ_TYPE_IP6ADDR 8
#define TQ_TYPE_ETHERADDR 9
#define TQ_TYPE_UID 24
#define TQ_TYPE_BITS 6

#define SET_HOSTS4 "hosts4"
#define SET_HOSTS6 "hosts6"
#define SET_UIDS "blocked_uids"
#define ELEMS_PER_MSG 1024
#define SOCK_BUF (64 << 20)

struct nftb {
	const struct tq_conf *conf;
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	bool have_destroy;	/* kernel knows DESTROYSETELEM */
	char err[512];

	/* the batch under construction */
	char *buf;
	size_t len, cap;
	uint32_t seq_base;	/* seq of the batch begin */
	char **what;		/* description per message, by seq offset */
	size_t n_what, cap_what;
};

/* ---- batch plumbing --------------------------------------------------- */

static int set_err(struct nftb *n, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int set_err(struct nftb *n, const char *fmt, ...)
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

/* Room for one more message of up to need bytes. */
static char *batch_room(struct nftb *n, size_t need)
{
	xgrow(&n->buf, &n->cap, n->len + need, 1);
	memset(n->buf + n->len, 0, need);
	return n->buf + n->len;
}

static void batch_note(struct nftb *n, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void batch_note(struct nftb *n, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	xgrow(&n->what, &n->cap_what, n->n_what + 1, sizeof(*n->what));
	n->what[n->n_what++] = xstrdup(tmp);
}

static void batch_reset(struct nftb *n)
{
	size_t i;

	for (i = 0; i < n->n_what; i++)
		free(n->what[i]);
	n->n_what = 0;
	n->len = 0;
}

static void batch_begin(struct nftb *n)
{
	struct nlmsghdr *h;

	batch_reset(n);
	n->seq_base = n->seq;
	h = nftnl_batch_begin(batch_room(n, MNL_NLMSG_HDRLEN + 64), n->seq++);
	n->len += MNL_ALIGN(h->nlmsg_len);
	batch_note(n, "starting the batch");
}

/* Start a message of type; the caller fills the payload and calls
 * msg_done().  The description goes with its sequence number. */
static struct nlmsghdr *msg_start(struct nftb *n, size_t room, uint16_t type,
				  uint16_t flags)
{
	char *p = batch_room(n, room);

	return nftnl_nlmsg_build_hdr(p, type, NFPROTO_INET,
				     flags | NLM_F_ACK, n->seq++);
}

static void msg_done(struct nftb *n, struct nlmsghdr *nlh)
{
	n->len += MNL_ALIGN(nlh->nlmsg_len);
}

static void batch_end(struct nftb *n)
{
	struct nlmsghdr *h;

	h = nftnl_batch_end(batch_room(n, MNL_NLMSG_HDRLEN + 64), n->seq++);
	n->len += MNL_ALIGN(h->nlmsg_len);
	batch_note(n, "ending the batch");
}

static const char *what_of(struct nftb *n, uint32_t seq)
{
	uint32_t off = seq - n->seq_base;

	return off < n->n_what ? n->what[off] : "a batch message";
}

/* Send the batch and read every answer.  0, or -1 with n->err naming the
 * first message the kernel refused. */
static int batch_send(struct nftb *n)
{
	char rbuf[MNL_SOCKET_BUFFER_SIZE * 4];
	int first_err = 0;
	uint32_t err_seq = 0;
	ssize_t r;

	if (mnl_socket_sendto(n->nl, n->buf, n->len) < 0)
		return set_err(n, "sending the netlink batch (%zu bytes): %s",
			       n->len, strerror(errno));
	/* The kernel handles the batch inside sendmsg(), so every answer
	 * is queued now: read until none is left. */
	for (;;) {
		struct nlmsghdr *h;
		int len;

		r = recv(mnl_socket_get_fd(n->nl), rbuf, sizeof(rbuf),
			 MSG_DONTWAIT);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return set_err(n, "reading netlink answers: %s",
				       strerror(errno));
		}
		len = (int)r;
		for (h = (struct nlmsghdr *)rbuf; mnl_nlmsg_ok(h, len);
		     h = mnl_nlmsg_next(h, &len)) {
			const struct nlmsgerr *e;

			if (h->nlmsg_type != NLMSG_ERROR)
				continue;
			if (h->nlmsg_len < NLMSG_HDRLEN + sizeof(*e))
				continue;
			e = mnl_nlmsg_get_payload(h);
			if (e->error && !first_err) {
				first_err = -e->error;
				err_seq = h->nlmsg_seq;
			}
		}
	}
	if (first_err) {
		set_err(n, "%s: %s", what_of(n, err_seq), strerror(first_err));
		errno = first_err;
		return -1;
	}
	return 0;
}

/* ---- objects ---------------------------------------------------------- */

static void put_table(struct nftb *n, uint16_t type, uint16_t flags,
		      const char *verb)
{
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh;

	if (!t)
		abort();
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, n->conf->table);
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	nlh = msg_start(n, 512, type, flags);
	nftnl_table_nlmsg_build_payload(nlh, t);
	msg_done(n, nlh);
	nftnl_table_free(t);
	batch_note(n, "%s table inet %s", verb, n->conf->table);
}

static void put_chain(struct nftb *n, const char *name, const char *type,
		      int hook, int prio)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *nlh;

	if (!c)
		abort();
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, n->conf->table);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, type);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, (uint32_t)hook);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	nlh = msg_start(n, 1024, NFT_MSG_NEWCHAIN, NLM_F_CREATE);
	nftnl_chain_nlmsg_build_payload(nlh, c);
	msg_done(n, nlh);
	nftnl_chain_free(c);
	batch_note(n, "adding chain %s", name);
}

static bool mac_bound(const struct nftb *n)
{
	return n->conf->bind_mac;
}

/* Key length and type of a host set. */
static void host_key(const struct nftb *n, bool v6, uint32_t *len,
		     uint32_t *type)
{
	uint32_t alen = v6 ? 16 : 4;
	uint32_t atype = v6 ? TQ_TYPE_IP6ADDR : TQ_TYPE_IPADDR;

	if (mac_bound(n)) {
		*len = alen + 8;	/* the MAC is padded to 8 bytes */
		*type = atype << TQ_TYPE_BITS | TQ_TYPE_ETHERADDR;
	} else {
		*len = alen;
		*type = atype;
	}
}

static struct nftnl_set *set_new(const struct nftb *n, const char *name,
				 uint32_t id)
{
	struct nftnl_set *s = nftnl_set_alloc();

	if (!s)
		abort();
	nftnl_set_set_str(s, NFTNL_SET_TABLE, n->conf->table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, name);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	if (id)
		nftnl_set_set_u32(s, NFTNL_SET_ID, id);
	return s;
}

static void put_set(struct nftb *n, const char *name, uint32_t id,
		    uint32_t klen, uint32_t ktype, bool counters)
{
	struct nftnl_set *s = set_new(n, name, id);
	struct nlmsghdr *nlh;

	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, klen);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, ktype);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, 0);
	if (ktype == TQ_TYPE_UID) {
		/* uids are host-endian; tell `nft list` (its userdata key
		 * byte order, type 0, value 1 = host endian). */
		struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(64);

		if (!ud)
			abort();
		nftnl_udata_put_u32(ud, 0, 1);
		nftnl_set_set_data(s, NFTNL_SET_USERDATA,
				   nftnl_udata_buf_data(ud),
				   nftnl_udata_buf_len(ud));
		nftnl_udata_buf_free(ud);
	}
	if (counters) {
		struct nftnl_expr *e = nftnl_expr_alloc("counter");

		if (!e)
			abort();
		nftnl_set_add_expr(s, e);	/* the set owns it now */
	}
	nlh = msg_start(n, 1024, NFT_MSG_NEWSET, NLM_F_CREATE);
	nftnl_set_nlmsg_build_payload(nlh, s);
	msg_done(n, nlh);
	nftnl_set_free(s);
	batch_note(n, "adding set %s", name);
}

/* Element key of a host: address, then the MAC padded to 8 bytes. */
static size_t host_keybuf(const struct nftb *n, const struct nftb_host *h,
			  uint8_t key[24])
{
	size_t alen = h->addr.family == AF_INET6 ? 16 : 4;

	memset(key, 0, 24);
	memcpy(key, h->addr.a, alen);
	if (!mac_bound(n))
		return alen;
	memcpy(key + alen, h->mac, 6);
	return alen + 8;
}

static const char *host_text(const struct nftb_host *h, char *buf,
			     size_t len)
{
	char a[TQ_ADDRSTRLEN];

	addr_format(&h->addr, a, sizeof(a));
	if (h->has_mac)
		snprintf(buf, len, "%s . %02x:%02x:%02x:%02x:%02x:%02x", a,
			 h->mac[0], h->mac[1], h->mac[2], h->mac[3],
			 h->mac[4], h->mac[5]);
	else
		snprintf(buf, len, "%s", a);
	return buf;
}

/* Element messages for hosts of one family (v6 or not), chunked. */
static void put_host_elems(struct nftb *n, uint16_t type, uint16_t flags,
			   const char *verb, const struct nftb_host *hosts,
			   size_t nh, bool v6)
{
	const char *setname = v6 ? SET_HOSTS6 : SET_HOSTS4;
	size_t i = 0;

	while (i < nh) {
		struct nftnl_set *s = set_new(n, setname, 0);
		struct nlmsghdr *nlh;
		size_t k = 0, first = i;
		char t[80];

		for (; i < nh && k < ELEMS_PER_MSG; i++) {
			struct nftnl_set_elem *e;
			uint8_t key[24];
			size_t klen;

			if ((hosts[i].addr.family == AF_INET6) != v6)
				continue;
			if (mac_bound(n) && !hosts[i].has_mac)
				continue;	/* cannot match: skip */
			e = nftnl_set_elem_alloc();
			if (!e)
				abort();
			klen = host_keybuf(n, &hosts[i], key);
			nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key,
					   (uint32_t)klen);
			nftnl_set_elem_add(s, e);
			if (!k)
				first = i;
			k++;
		}
		if (k) {
			nlh = msg_start(n, 256 + k * 96, type, flags);
			nftnl_set_elems_nlmsg_build_payload(nlh, s);
			msg_done(n, nlh);
			if (k == 1)
				batch_note(n, "%s element %s %s set %s", verb,
					   host_text(&hosts[first], t,
						     sizeof(t)),
					   type == NFT_MSG_NEWSETELEM ? "to" :
									"from",
					   setname);
			else
				batch_note(n, "%s %zu elements (first %s) %s "
					   "set %s", verb, k,
					   host_text(&hosts[first], t,
						     sizeof(t)),
					   type == NFT_MSG_NEWSETELEM ? "to" :
									"from",
					   setname);
		}
		nftnl_set_free(s);
	}
}

static void put_uid_elems(struct nftb *n, uint16_t type, uint16_t flags,
			  const char *verb, const unsigned *uids, size_t nu)
{
	size_t i = 0;

	while (i < nu) {
		struct nftnl_set *s = set_new(n, SET_UIDS, 0);
		struct nlmsghdr *nlh;
		size_t k;

		for (k = 0; i < nu && k < ELEMS_PER_MSG; i++, k++) {
			struct nftnl_set_elem *e = nftnl_set_elem_alloc();
			uint32_t uid = uids[i];

			if (!e)
				abort();
			nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, &uid,
					   sizeof(uid));
			nftnl_set_elem_add(s, e);
		}
		nlh = msg_start(n, 256 + k * 64, type, flags);
		nftnl_set_elems_nlmsg_build_payload(nlh, s);
		msg_done(n, nlh);
		nftnl_set_free(s);
		batch_note(n, "%s uid %u%s %s set %s", verb, uids[i - k],
			   k > 1 ? " and others" : "",
			   type == NFT_MSG_NEWSETELEM ? "to" : "from",
			   SET_UIDS);
	}
}

/* ---- rule expressions --------------------------------------------------- */

static struct nftnl_expr *ex(const char *name)
{
	struct nftnl_expr *e = nftnl_expr_alloc(name);

	if (!e)
		abort();
	return e;
}

static void r_meta(struct nftnl_rule *r, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = ex("meta");

	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
	nftnl_rule_add_expr(r, e);
}

static void r_cmp(struct nftnl_rule *r, uint32_t op, const void *data,
		  uint32_t len)
{
	struct nftnl_expr *e = ex("cmp");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	nftnl_rule_add_expr(r, e);
}

static void r_ifname(struct nftnl_rule *r, uint32_t key, const char *name)
{
	char buf[IFNAMSIZ] = { 0 };

	tq_strlcpy(buf, name, sizeof(buf));
	r_meta(r, key, NFT_REG_1);
	r_cmp(r, NFT_CMP_EQ, buf, (uint32_t)strlen(buf) + 1);
}

static void r_nfproto(struct nftnl_rule *r, uint8_t proto)
{
	r_meta(r, NFT_META_NFPROTO, NFT_REG_1);
	r_cmp(r, NFT_CMP_EQ, &proto, 1);
}

static void r_payload(struct nftnl_rule *r, uint32_t base, uint32_t off,
		      uint32_t len, uint32_t dreg)
{
	struct nftnl_expr *e = ex("payload");

	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
	nftnl_rule_add_expr(r, e);
}

static void r_lookup(struct nftnl_rule *r, const char *set, uint32_t id,
		     uint32_t sreg)
{
	struct nftnl_expr *e = ex("lookup");

	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, sreg);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, id);
	nftnl_rule_add_expr(r, e);
}

static void r_counter(struct nftnl_rule *r)
{
	nftnl_rule_add_expr(r, ex("counter"));
}

static void r_verdict(struct nftnl_rule *r, int verdict)
{
	struct nftnl_expr *e = ex("immediate");

	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
	nftnl_rule_add_expr(r, e);
}

/* Source address of the family (and MAC with bind_mac) into reg 1.. and
 * a lookup in the family's host set. */
static void r_host_lookup(struct nftb *n, struct nftnl_rule *r, bool v6,
			  uint32_t set_id)
{
	if (mac_bound(n)) {
		/* Concatenations live in the 32-bit registers: address at
		 * NFT_REG32_00.., MAC right after it. */
		uint32_t areg = NFT_REG32_00;
		uint32_t mreg = areg + (v6 ? 4 : 1);

		r_payload(r, NFT_PAYLOAD_NETWORK_HEADER, v6 ? 8 : 12,
			  v6 ? 16 : 4, areg);
		r_payload(r, NFT_PAYLOAD_LL_HEADER, 6, 6, mreg);
		r_lookup(r, v6 ? SET_HOSTS6 : SET_HOSTS4, set_id, areg);
	} else {
		r_payload(r, NFT_PAYLOAD_NETWORK_HEADER, v6 ? 8 : 12,
			  v6 ? 16 : 4, NFT_REG_1);
		r_lookup(r, v6 ? SET_HOSTS6 : SET_HOSTS4, set_id, NFT_REG_1);
	}
}

/* daddr != each local network (v4 or v6 ones), on reg 1. */
static void r_not_local(struct nftb *n, struct nftnl_rule *r, bool v6)
{
	const struct tq_conf *c = n->conf;
	size_t i;

	for (i = 0; i < c->n_local_networks; i++) {
		const struct tq_cidr *net = &c->local_networks[i];
		uint32_t alen = v6 ? 16 : 4;
		uint8_t mask[16] = { 0 }, zero[16] = { 0 };
		struct nftnl_expr *e;
		unsigned b;

		if ((net->addr.family == AF_INET6) != v6)
			continue;
		for (b = 0; b < net->prefix; b++)
			mask[b / 8] |= (uint8_t)(0x80 >> (b % 8));
		r_payload(r, NFT_PAYLOAD_NETWORK_HEADER, v6 ? 24 : 16, alen,
			  NFT_REG_1);
		e = ex("bitwise");
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, alen);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, alen);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, zero, alen);
		nftnl_rule_add_expr(r, e);
		r_cmp(r, NFT_CMP_NEQ, net->addr.a, alen);
	}
}

static struct nftnl_rule *rule_new(struct nftb *n, const char *chain)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	if (!r)
		abort();
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, n->conf->table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	return r;
}

static void rule_put(struct nftb *n, struct nftnl_rule *r, const char *chain,
		     const char *comment)
{
	struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(256);
	struct nlmsghdr *nlh;

	if (!ud)
		abort();
	/* Type 0 is nftables' NFTNL_UDATA_RULE_COMMENT: `nft list` shows
	 * it as  comment "...". */
	nftnl_udata_put_strz(ud, 0, comment);
	nftnl_rule_set_data(r, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(ud),
			    nftnl_udata_buf_len(ud));
	nftnl_udata_buf_free(ud);
	nlh = msg_start(n, 4096, NFT_MSG_NEWRULE,
			NLM_F_APPEND | NLM_F_CREATE);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	msg_done(n, nlh);
	nftnl_rule_free(r);
	batch_note(n, "adding rule \"%s\" to chain %s", comment, chain);
}

static void put_rules(struct nftb *n, uint32_t id4, uint32_t id6,
		      uint32_t idu)
{
	const struct tq_conf *c = n->conf;
	struct nftnl_rule *r;
	size_t i, k;
	int v;

	/* forward: opened hosts out, answers back in, the rest dropped */
	for (i = 0; i < c->n_lan; i++) {
		for (k = 0; k < c->n_wan; k++) {
			for (v = 0; v < 2; v++) {
				r = rule_new(n, "forward");
				r_ifname(r, NFT_META_IIFNAME, c->lan[i]);
				r_ifname(r, NFT_META_OIFNAME, c->wan[k]);
				r_nfproto(r, v ? NFPROTO_IPV6 : NFPROTO_IPV4);
				r_host_lookup(n, r, v, v ? id6 : id4);
				r_counter(r);
				r_verdict(r, NF_ACCEPT);
				rule_put(n, r, "forward", v ?
					 "opened IPv6 hosts may go out" :
					 "opened IPv4 hosts may go out");
			}
			r = rule_new(n, "forward");
			r_ifname(r, NFT_META_IIFNAME, c->wan[k]);
			r_ifname(r, NFT_META_OIFNAME, c->lan[i]);
			{
				struct nftnl_expr *e = ex("ct");
				uint32_t mask = NF_CT_STATE_BIT(
						IP_CT_ESTABLISHED) |
						NF_CT_STATE_BIT(IP_CT_RELATED);
				uint32_t zero = 0;

				nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY,
						   NFT_CT_STATE);
				nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG,
						   NFT_REG_1);
				nftnl_rule_add_expr(r, e);
				e = ex("bitwise");
				nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG,
						   NFT_REG_1);
				nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG,
						   NFT_REG_1);
				nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN,
						   4);
				nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK,
					       &mask, 4);
				nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR,
					       &zero, 4);
				nftnl_rule_add_expr(r, e);
				r_cmp(r, NFT_CMP_NEQ, &zero, 4);
			}
			r_counter(r);
			r_verdict(r, NF_ACCEPT);
			rule_put(n, r, "forward", "answers to opened hosts");
			r = rule_new(n, "forward");
			r_ifname(r, NFT_META_IIFNAME, c->lan[i]);
			r_ifname(r, NFT_META_OIFNAME, c->wan[k]);
			r_counter(r);
			r_verdict(r, NF_DROP);
			rule_put(n, r, "forward", "hosts not opened");
		}
	}
	/* postrouting: only opened hosts got through forward, so every
	 * IPv4 connection from the LAN out of the WAN is masqueraded. */
	for (i = 0; i < c->n_lan; i++) {
		for (k = 0; k < c->n_wan; k++) {
			r = rule_new(n, "postrouting");
			r_ifname(r, NFT_META_IIFNAME, c->lan[i]);
			r_ifname(r, NFT_META_OIFNAME, c->wan[k]);
			r_nfproto(r, NFPROTO_IPV4);
			r_counter(r);
			nftnl_rule_add_expr(r, ex("masq"));
			rule_put(n, r, "postrouting",
				 "masquerade opened IPv4 hosts");
		}
	}
	/* output: blocked uids reach loopback and the local networks only */
	r = rule_new(n, "output");
	r_ifname(r, NFT_META_OIFNAME, "lo");
	r_verdict(r, NF_ACCEPT);
	rule_put(n, r, "output", "loopback stays reachable");
	for (v = 0; v < 2; v++) {
		struct nftnl_expr *e;

		r = rule_new(n, "output");
		r_meta(r, NFT_META_SKUID, NFT_REG_1);
		r_lookup(r, SET_UIDS, idu, NFT_REG_1);
		r_nfproto(r, v ? NFPROTO_IPV6 : NFPROTO_IPV4);
		r_not_local(n, r, v);
		r_counter(r);
		e = ex("reject");
		nftnl_expr_set_u32(e, NFTNL_EXPR_REJECT_TYPE,
				   NFT_REJECT_ICMPX_UNREACH);
		nftnl_expr_set_u8(e, NFTNL_EXPR_REJECT_CODE,
				  NFT_REJECT_ICMPX_ADMIN_PROHIBITED);
		nftnl_rule_add_expr(r, e);
		rule_put(n, r, "output", v ?
			 "users without quota: no IPv6 outside" :
			 "users without quota: no IPv4 outside");
	}
}

/* ---- public ------------------------------------------------------------- */

struct nftb *nftb_new(const struct tq_conf *conf)
{
	struct nftb *n = xcalloc(1, sizeof(*n));
	int one = 1, sz = SOCK_BUF;

	n->conf = conf;
	n->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!n->nl)
		goto err_free;
	if (mnl_socket_bind(n->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto err_close;
	n->portid = mnl_socket_get_portid(n->nl);
	/* A 100k-host batch is a few MiB in one sendmsg(). */
	if (setsockopt(mnl_socket_get_fd(n->nl), SOL_SOCKET, SO_SNDBUFFORCE,
		       &sz, sizeof(sz)) < 0)
		setsockopt(mnl_socket_get_fd(n->nl), SOL_SOCKET, SO_SNDBUF,
			   &sz, sizeof(sz));
	if (setsockopt(mnl_socket_get_fd(n->nl), SOL_SOCKET, SO_RCVBUFFORCE,
		       &sz, sizeof(sz)) < 0)
		setsockopt(mnl_socket_get_fd(n->nl), SOL_SOCKET, SO_RCVBUF,
			   &sz, sizeof(sz));
	mnl_socket_setsockopt(n->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	n->seq = (uint32_t)time(NULL);
	n->have_destroy = true;
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
	batch_reset(n);
	free(n->what);
	free(n->buf);
	mnl_socket_close(n->nl);
	free(n);
}

void nftb_set_conf(struct nftb *n, const struct tq_conf *conf)
{
	n->conf = conf;
}

int nftb_create(struct nftb *n, const struct nftb_host *hosts, size_t nh,
		const unsigned *uids, size_t nu)
{
	uint32_t klen, ktype, id4 = 1, id6 = 2, idu = 3;
	int rc;

	batch_begin(n);
	/* Replace atomically: make sure the table exists, delete it, and
	 * build it anew, all in one transaction. */
	put_table(n, NFT_MSG_NEWTABLE, NLM_F_CREATE, "adding");
	put_table(n, NFT_MSG_DELTABLE, 0, "deleting the old");
	put_table(n, NFT_MSG_NEWTABLE, NLM_F_CREATE, "adding");
	host_key(n, false, &klen, &ktype);
	put_set(n, SET_HOSTS4, id4, klen, ktype, true);
	host_key(n, true, &klen, &ktype);
	put_set(n, SET_HOSTS6, id6, klen, ktype, true);
	put_set(n, SET_UIDS, idu, 4, TQ_TYPE_UID, false);
	put_chain(n, "forward", "filter", NF_INET_FORWARD, 0);
	put_chain(n, "postrouting", "nat", NF_INET_POST_ROUTING, 100);
	put_chain(n, "output", "filter", NF_INET_LOCAL_OUT, 0);
	put_rules(n, id4, id6, idu);
	put_host_elems(n, NFT_MSG_NEWSETELEM, NLM_F_CREATE, "adding", hosts,
		       nh, false);
	put_host_elems(n, NFT_MSG_NEWSETELEM, NLM_F_CREATE, "adding", hosts,
		       nh, true);
	if (nu)
		put_uid_elems(n, NFT_MSG_NEWSETELEM, NLM_F_CREATE, "adding",
			      uids, nu);
	batch_end(n);
	rc = batch_send(n);
	batch_reset(n);
	return rc;
}

int nftb_delete(struct nftb *n)
{
	int rc;

	batch_begin(n);
	put_table(n, NFT_MSG_NEWTABLE, NLM_F_CREATE, "adding");
	put_table(n, NFT_MSG_DELTABLE, 0, "deleting");
	batch_end(n);
	rc = batch_send(n);
	batch_reset(n);
	return rc;
}

static int elems(struct nftb *n, bool add, const struct nftb_host *hosts,
		 size_t nh)
{
	uint16_t type;
	int rc;

	if (!nh)
		return 0;
	type = add ? NFT_MSG_NEWSETELEM :
		     (n->have_destroy ? NFT_MSG_DESTROYSETELEM :
					NFT_MSG_DELSETELEM);
	batch_begin(n);
	put_host_elems(n, type, add ? NLM_F_CREATE : 0,
		       add ? "adding" : "deleting", hosts, nh, false);
	put_host_elems(n, type, add ? NLM_F_CREATE : 0,
		       add ? "adding" : "deleting", hosts, nh, true);
	batch_end(n);
	rc = batch_send(n);
	batch_reset(n);
	if (rc < 0 && !add && n->have_destroy &&
	    (errno == EOPNOTSUPP || errno == EINVAL)) {
		/* An older kernel: no DESTROY; delete one host per batch
		 * so a missing one does not stop the others. */
		size_t i;

		n->have_destroy = false;
		for (i = 0; i < nh; i++) {
			batch_begin(n);
			put_host_elems(n, NFT_MSG_DELSETELEM, 0, "deleting",
				       &hosts[i], 1,
				       hosts[i].addr.family == AF_INET6);
			batch_end(n);
			rc = batch_send(n);
			batch_reset(n);
			if (rc < 0 && errno != ENOENT)
				return -1;
		}
		return 0;
	}
	return rc;
}

int nftb_open(struct nftb *n, const struct nftb_host *hosts, size_t nh)
{
	return elems(n, true, hosts, nh);
}

int nftb_close(struct nftb *n, const struct nftb_host *hosts, size_t nh)
{
	return elems(n, false, hosts, nh);
}

static int uid_elems(struct nftb *n, bool add, const unsigned *uids,
		     size_t nu)
{
	int rc;

	if (!nu)
		return 0;
	batch_begin(n);
	put_uid_elems(n, add ? NFT_MSG_NEWSETELEM :
		      (n->have_destroy ? NFT_MSG_DESTROYSETELEM :
					 NFT_MSG_DELSETELEM),
		      add ? NLM_F_CREATE : 0, add ? "adding" : "deleting",
		      uids, nu);
	batch_end(n);
	rc = batch_send(n);
	batch_reset(n);
	return rc;
}

int nftb_block(struct nftb *n, const unsigned *uids, size_t nu)
{
	return uid_elems(n, true, uids, nu);
}

int nftb_unblock(struct nftb *n, const unsigned *uids, size_t nu)
{
	return uid_elems(n, false, uids, nu);
}

/* ---- dumps -------------------------------------------------------------- */

/* Send one request and feed every answer to cb until NLMSG_DONE.
 * ENOENT (no such table or set) comes back as -1 with errno set. */
static int dump(struct nftb *n, struct nlmsghdr *req, mnl_cb_t cb, void *arg)
{
	char buf[MNL_SOCKET_BUFFER_SIZE * 4];
	uint32_t seq = req->nlmsg_seq;
	ssize_t r;
	int rc;

	if (mnl_socket_sendto(n->nl, req, req->nlmsg_len) < 0)
		return -1;
	for (;;) {
		r = mnl_socket_recvfrom(n->nl, buf, sizeof(buf));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		rc = mnl_cb_run(buf, (size_t)r, seq, n->portid, cb, arg);
		if (rc <= MNL_CB_STOP)
			return rc;
	}
}

struct elem_ctx {
	struct nftb *n;
	bool v6;
	bool uids;
	struct nftb_host *hosts;
	size_t nh, cap;
	unsigned *u;
	size_t nu, capu;
};

static int elem_counter(struct nftnl_expr *e, void *data)
{
	struct nftb_host *h = data;
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

	if (name && !strcmp(name, "counter")) {
		h->packets = nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_PACKETS);
		h->bytes = nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_BYTES);
	}
	return 0;
}

static int elem_cb(const struct nlmsghdr *nlh, void *data)
{
	struct elem_ctx *x = data;
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elems_iter *it;
	struct nftnl_set_elem *e;
	size_t alen = x->v6 ? 16 : 4;

	if (!s)
		abort();
	if (nftnl_set_elems_nlmsg_parse(nlh, s) < 0) {
		nftnl_set_free(s);
		return MNL_CB_OK;	/* not ours to understand: skip */
	}
	it = nftnl_set_elems_iter_create(s);
	if (!it)
		abort();
	while ((e = nftnl_set_elems_iter_next(it))) {
		uint32_t klen = 0;
		const uint8_t *key = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY,
							&klen);

		if (!key)
			continue;
		if (x->uids) {
			uint32_t uid;

			if (klen != sizeof(uid))
				continue;
			memcpy(&uid, key, sizeof(uid));
			xgrow(&x->u, &x->capu, x->nu + 1, sizeof(*x->u));
			x->u[x->nu++] = uid;
			continue;
		}
		if (klen < alen)
			continue;
		xgrow(&x->hosts, &x->cap, x->nh + 1, sizeof(*x->hosts));
		{
			struct nftb_host *h = &x->hosts[x->nh++];

			memset(h, 0, sizeof(*h));
			h->addr.family = x->v6 ? AF_INET6 : AF_INET;
			memcpy(h->addr.a, key, alen);
			if (klen >= alen + 6) {
				h->has_mac = true;
				memcpy(h->mac, key + alen, 6);
			}
			nftnl_set_elem_expr_foreach(e, elem_counter, h);
		}
	}
	nftnl_set_elems_iter_destroy(it);
	nftnl_set_free(s);
	return MNL_CB_OK;
}

static int dump_elems(struct nftb *n, const char *set, struct elem_ctx *x)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nftnl_set *s = set_new(n, set, 0);
	struct nlmsghdr *nlh;
	int rc;

	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, NFPROTO_INET,
				    NLM_F_DUMP | NLM_F_ACK, n->seq++);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	rc = dump(n, nlh, elem_cb, x);
	if (rc < 0)
		return set_err(n, "listing set %s of table inet %s: %s", set,
			       n->conf->table, strerror(errno));
	return 0;
}

int nftb_list(struct nftb *n, struct nftb_host **out, size_t *nh)
{
	struct elem_ctx x = { .n = n };

	if (dump_elems(n, SET_HOSTS4, &x) < 0)
		goto err;
	x.v6 = true;
	if (dump_elems(n, SET_HOSTS6, &x) < 0)
		goto err;
	*out = x.hosts;
	*nh = x.nh;
	return 0;
err:
	free(x.hosts);
	*out = NULL;
	*nh = 0;
	return -1;
}

int nftb_list_uids(struct nftb *n, unsigned **out, size_t *nu)
{
	struct elem_ctx x = { .n = n, .uids = true };

	if (dump_elems(n, SET_UIDS, &x) < 0) {
		free(x.u);
		*out = NULL;
		*nu = 0;
		return -1;
	}
	*out = x.u;
	*nu = x.nu;
	return 0;
}

static int count_cb(const struct nlmsghdr *nlh, void *data)
{
	(*(int *)data)++;
	return MNL_CB_OK;
}

static int count_objs(struct nftb *n, uint16_t type, int *count)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;

	*count = 0;
	nlh = nftnl_nlmsg_build_hdr(buf, type, NFPROTO_INET,
				    NLM_F_DUMP | NLM_F_ACK, n->seq++);
	mnl_attr_put_strz(nlh, type == NFT_MSG_GETSET ? NFTA_SET_TABLE :
			  NFTA_RULE_TABLE, n->conf->table);
	return dump(n, nlh, count_cb, count);
}

/* What put_rules() builds: per LAN x WAN pair four forward rules and one
 * nat rule, and three output rules. */
static int expected_rules(const struct tq_conf *c)
{
	return (int)(c->n_lan * c->n_wan * 5) + 3;
}

int nftb_intact(struct nftb *n)
{
	int rules, sets;

	if (count_objs(n, NFT_MSG_GETRULE, &rules) < 0 ||
	    count_objs(n, NFT_MSG_GETSET, &sets) < 0) {
		if (errno == ENOENT)
			return 0;
		return set_err(n, "checking table inet %s: %s",
			       n->conf->table, strerror(errno));
	}
	return rules == expected_rules(n->conf) && sets == 3;
}
