/* nftchains.c - what the daemon's chains hold: their rules, built from
 * libnftnl expressions.
 *
 * Everything here is a function of the configuration: no socket, no
 * batch, no state between calls.  nftr_rules() hands the rules over in
 * the order each chain holds them, and nftb_intact() relies on that order
 * (nftr_summary() reads a built and a dumped rule alike).  An element
 * counter is the daemon's measure of a host's activity and so of its
 * charge: it counts both directions (the replies to a host are looked up
 * by destination), and in the forward and postrouting chains the local
 * networks' rules, both ways, come ahead of the host sets, so that
 * traffic with them never moves one.  Every rule has a counter where
 * nftb.h shows one, and a comment.  The table, sets and chains
 * themselves, and the reading back of dumped objects, are nftrules.c's.
 * A libnftnl allocation that fails aborts through xcheck(), as xmalloc()
 * does.
 */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <net/if_arp.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>

#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/udata.h>

#include "nftrules.h"
#include "util.h"

static const char *const open_comment[NFTR_NSETS] = {
	[NFTR_H4] = "opened IPv4 hosts",
	[NFTR_H6] = "opened IPv6 hosts",
	[NFTR_H4U] = "opened IPv4 hosts without a MAC binding",
	[NFTR_H6U] = "opened IPv6 hosts without a MAC binding",
};

static const char *const reply_comment[NFTR_NSETS] = {
	[NFTR_H4] = "replies to opened IPv4 hosts",
	[NFTR_H6] = "replies to opened IPv6 hosts",
	[NFTR_H4U] = "replies to opened IPv4 hosts without a MAC binding",
	[NFTR_H6U] = "replies to opened IPv6 hosts without a MAC binding",
};

/* ---- expressions ---- */

static struct nftnl_expr *expr(struct nftnl_rule *r, const char *name)
{
	struct nftnl_expr *e = xcheck(nftnl_expr_alloc(name));

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

/* lookup in set, or with inv its negation (!= @set), which never moves an
 * element counter (the kernel updates an element's expressions only when
 * it is found). */
static void e_lookup_inv(struct nftnl_rule *r, const char *set, bool inv)
{
	struct nftnl_expr *e = expr(r, "lookup");

	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
	/* as the kernel lists it (nftb_intact compares the text) */
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS,
			   inv ? NFT_LOOKUP_F_INV : 0);
}

static void e_lookup(struct nftnl_rule *r, const char *set)
{
	e_lookup_inv(r, set, false);
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

/* iifname IN oifname OUT */
static void e_ifpair(struct nftnl_rule *r, const char *in, const char *out)
{
	e_ifname(r, NFT_META_IIFNAME, in);
	e_ifname(r, NFT_META_OIFNAME, out);
}

/* byteorder reg 1 = hton(reg 1, 4, 4) */
static void e_hton32(struct nftnl_rule *r)
{
	struct nftnl_expr *e = expr(r, "byteorder");

	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_OP, NFT_BYTEORDER_HTON);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_LEN, 4);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_SIZE, 4);
}

static void e_nfproto(struct nftnl_rule *r, uint8_t proto)
{
	e_meta(r, NFT_META_NFPROTO, NFT_REG_1);
	e_cmp(r, NFT_CMP_EQ, &proto, 1);
}

/* Offset of the source (dst false) or destination address in the IPv4
 * or IPv6 header. */
static uint32_t addr_off(bool v6, bool dst)
{
	if (v6)
		return dst ? 24 : 8;
	return dst ? 16 : 12;
}

/* ip saddr @hosts4, or ip saddr . ether saddr @hosts4 with bind_mac;
 * dst: ip daddr @hosts4 (the replies; never a bound set: a reply carries
 * no MAC of the host).  iif: the input interface is known (not in
 * postrouting), so check that it is Ethernet, as nft does before `ether
 * saddr` (and then prints it so). */
static void e_hosts_inv(const struct tq_conf *c, struct nftnl_rule *r,
			int which, bool iif, bool dst, bool inv)
{
	bool v6 = nftr_set_v6(which);

	if (nftr_set_bound(c, which) && iif) {
		uint16_t ether = ARPHRD_ETHER;

		e_meta(r, NFT_META_IIFTYPE, NFT_REG_1);
		e_cmp(r, NFT_CMP_EQ, &ether, sizeof(ether));
	}
	e_nfproto(r, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
	e_payload(r, NFT_PAYLOAD_NETWORK_HEADER, addr_off(v6, dst),
		  v6 ? 16 : 4, NFT_REG_1);
	/* The MAC right after the address: 32-bit register 4 (for IPv6)
	 * is the 128-bit NFT_REG_2, named so as the kernel lists it. */
	if (nftr_set_bound(c, which))
		e_payload(r, NFT_PAYLOAD_LL_HEADER, 6, 6,
			  v6 ? NFT_REG_2 : NFT_REG32_01);
	e_lookup_inv(r, nftr_set_names[which], inv);
}

static void e_hosts(const struct tq_conf *c, struct nftnl_rule *r, int which,
		    bool iif, bool dst)
{
	e_hosts_inv(c, r, which, iif, dst, false);
}

/* meta l4proto tcp [tcp dport PORT] (port 0: any) */
static void e_tcp(struct nftnl_rule *r, uint16_t port)
{
	uint8_t tcp = IPPROTO_TCP;

	e_meta(r, NFT_META_L4PROTO, NFT_REG_1);
	e_cmp(r, NFT_CMP_EQ, &tcp, 1);
	if (!port)
		return;
	port = htons(port);
	e_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1);
	e_cmp(r, NFT_CMP_EQ, &port, 2);
}

/* reject with tcp reset, or icmpx admin-prohibited */
static void e_reject(struct nftnl_rule *r, bool tcp_reset)
{
	struct nftnl_expr *e = expr(r, "reject");

	nftnl_expr_set_u32(e, NFTNL_EXPR_REJECT_TYPE, tcp_reset ?
			   NFT_REJECT_TCP_RST : NFT_REJECT_ICMPX_UNREACH);
	nftnl_expr_set_u8(e, NFTNL_EXPR_REJECT_CODE, tcp_reset ? 0 :
			  NFT_REJECT_ICMPX_ADMIN_PROHIBITED);
}

/* redirect to :PORT (the packet's input interface's address) */
static void e_redirect(struct nftnl_rule *r, uint16_t port)
{
	struct nftnl_expr *e = expr(r, "immediate");

	port = htons(port);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_1);
	nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, &port, sizeof(port));
	/* as the kernel lists it (nftb_intact compares the text) */
	e = expr(r, "redir");
	nftnl_expr_set_u32(e, NFTNL_EXPR_REDIR_REG_PROTO_MIN, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_REDIR_REG_PROTO_MAX, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_REDIR_FLAGS,
			   NF_NAT_RANGE_PROTO_SPECIFIED);
}

/* ip daddr NET / ip6 daddr NET, or with src the source address. */
static void e_addr_net(struct nftnl_rule *r, const struct tq_cidr *c,
		       bool src)
{
	bool v6 = c->addr.family == AF_INET6;
	uint32_t len = v6 ? 16 : 4, i;
	uint8_t mask[16] = { 0 };

	e_nfproto(r, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
	if (c->prefix == 0)
		return;
	e_payload(r, NFT_PAYLOAD_NETWORK_HEADER, addr_off(v6, !src), len,
		  NFT_REG_1);
	if (c->prefix < len * 8) {
		for (i = 0; i < c->prefix; i++)
			mask[i / 8] |= (uint8_t)(0x80 >> (i % 8));
		e_bitwise(r, mask, len);
	}
	e_cmp(r, NFT_CMP_EQ, c->addr.a, len);
}

/* ct state established,related */
static void e_ct_replies(struct nftnl_rule *r)
{
	uint32_t st = NF_CT_STATE_BIT(IP_CT_ESTABLISHED) |
		      NF_CT_STATE_BIT(IP_CT_RELATED);
	uint32_t zero = 0;
	struct nftnl_expr *e = expr(r, "ct");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	e_bitwise(r, &st, sizeof(st));
	e_cmp(r, NFT_CMP_NEQ, &zero, sizeof(zero));
}

/* ---- rules ---- */

/* Where the rules go. */
struct rules {
	const struct tq_conf *c;
	nftr_rule_cb cb;
	void *arg;
};

static struct nftnl_rule *rule_new(void)
{
	return xcheck(nftnl_rule_alloc());
}

/* Put rule r (counter and verdict already in it) in chain ch, with a
 * comment, and hand it over. */
static void put(struct rules *x, int ch, struct nftnl_rule *r,
		const char *comment)
{
	struct nftnl_udata_buf *ud = xcheck(nftnl_udata_buf_alloc(256));

	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, x->c->table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, nftr_chain_names[ch]);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	nftnl_udata_put_strz(ud, NFTNL_UDATA_RULE_COMMENT, comment);
	nftnl_rule_set_data(r, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(ud),
			    nftnl_udata_buf_len(ud));
	nftnl_udata_buf_free(ud);
	x->cb(r, x->arg);
}

/* Per LAN x WAN: the local networks (free, both ways), the opened hosts
 * and the replies to them, other replies, then drop what is left either
 * way. */
static void rules_forward(struct rules *x)
{
	const struct tq_conf *c = x->c;
	struct nftnl_rule *r;
	char cm[128], net[64];
	size_t i, j, l;
	int k, w;

	for (i = 0; i < c->n_lan; i++) {
		for (j = 0; j < c->n_wan; j++) {
			/* Local networks are free: any LAN host reaches them,
			 * and ahead of the host sets, so that this traffic
			 * never moves an element counter. */
			for (l = 0; l < c->n_local_networks; l++) {
				r = rule_new();
				e_ifpair(r, c->lan[i], c->wan[j]);
				e_addr_net(r, &c->local_networks[l], false);
				expr(r, "counter");
				e_verdict(r, NF_ACCEPT, NULL);
				cidr_format(&c->local_networks[l], net,
					    sizeof(net));
				snprintf(cm, sizeof(cm),
					 "local network %s: free", net);
				put(x, NFTR_FORWARD, r, cm);
			}
			/* Their answers are free too, and ahead of the
			 * look-ups of the replies below. */
			for (l = 0; l < c->n_local_networks; l++) {
				r = rule_new();
				e_ifpair(r, c->wan[j], c->lan[i]);
				e_addr_net(r, &c->local_networks[l], true);
				e_ct_replies(r);
				expr(r, "counter");
				e_verdict(r, NF_ACCEPT, NULL);
				cidr_format(&c->local_networks[l], net,
					    sizeof(net));
				snprintf(cm, sizeof(cm), "replies from local "
					 "network %s: free", net);
				put(x, NFTR_FORWARD, r, cm);
			}
			for (k = 0; k < nftr_nhost_sets(c); k++) {
				w = nftr_host_sets[k];
				r = rule_new();
				e_ifpair(r, c->lan[i], c->wan[j]);
				e_hosts(c, r, w, true, false);
				expr(r, "counter");
				e_verdict(r, NF_ACCEPT, NULL);
				put(x, NFTR_FORWARD, r, open_comment[w]);
			}
			/* A host that only receives (a download, a stream)
			 * is online too: the replies to it move its element
			 * counter as well.  Not for a bound set (with
			 * bind_mac): a reply carries no MAC of the host. */
			for (k = 0; k < nftr_nhost_sets(c); k++) {
				w = nftr_host_sets[k];
				if (nftr_set_bound(c, w))
					continue;
				r = rule_new();
				e_ifpair(r, c->wan[j], c->lan[i]);
				e_ct_replies(r);
				e_hosts(c, r, w, false, true);
				expr(r, "counter");
				e_verdict(r, NF_ACCEPT, NULL);
				put(x, NFTR_FORWARD, r, reply_comment[w]);
			}
			r = rule_new();
			e_ifpair(r, c->wan[j], c->lan[i]);
			e_ct_replies(r);
			expr(r, "counter");
			e_verdict(r, NF_ACCEPT, NULL);
			put(x, NFTR_FORWARD, r, "replies");

			/* The chain's policy is accept: without this, any
			 * Internet host could connect in, to every LAN host
			 * by IPv6 (routed, no NAT) and by IPv4 wherever a
			 * route to the LAN exists. */
			r = rule_new();
			e_ifpair(r, c->wan[j], c->lan[i]);
			expr(r, "counter");
			e_verdict(r, NF_DROP, NULL);
			put(x, NFTR_FORWARD, r,
			    "new connections from the Internet");

			/* Refused at once rather than dropped, so that a
			 * browser or an OS's captive-portal check reacts
			 * now, not after its time-out. */
			r = rule_new();
			e_ifpair(r, c->lan[i], c->wan[j]);
			e_tcp(r, 0);
			expr(r, "counter");
			e_reject(r, true);
			put(x, NFTR_FORWARD, r, "TCP of closed hosts: reset");

			r = rule_new();
			e_ifpair(r, c->lan[i], c->wan[j]);
			expr(r, "counter");
			e_reject(r, false);
			put(x, NFTR_FORWARD, r, "hosts not opened");
		}
	}
}

/* Per WAN: masquerade the IPv4 local networks for every host, then the
 * opened IPv4 hosts. */
static void rules_postrouting(struct rules *x)
{
	const struct tq_conf *c = x->c;
	struct nftnl_rule *r;
	char cm[128], net[64];
	size_t i, j;
	int k, w;

	/* The forward chain lets every LAN host reach a local network, and
	 * such a network need not route the LAN back; its own rule comes
	 * ahead of the host sets, whose lookup would move the element
	 * counter (once per connection) and so charge. */
	for (j = 0; j < c->n_wan; j++) {
		for (i = 0; i < c->n_local_networks; i++) {
			if (c->local_networks[i].addr.family != AF_INET)
				continue;	/* no IPv6 NAT */
			r = rule_new();
			e_ifname(r, NFT_META_OIFNAME, c->wan[j]);
			e_addr_net(r, &c->local_networks[i], false);
			expr(r, "counter");
			expr(r, "masq");
			cidr_format(&c->local_networks[i], net, sizeof(net));
			snprintf(cm, sizeof(cm), "local network %s: "
				 "masqueraded for every host", net);
			put(x, NFTR_POSTROUTING, r, cm);
		}
	}
	for (j = 0; j < c->n_wan; j++) {
		for (k = 0; k < nftr_nhost_sets(c); k++) {
			w = nftr_host_sets[k];
			if (nftr_set_v6(w))
				continue;
			r = rule_new();
			e_ifname(r, NFT_META_OIFNAME, c->wan[j]);
			e_hosts(c, r, w, false, false);
			expr(r, "counter");
			expr(r, "masq");
			put(x, NFTR_POSTROUTING, r, w == NFTR_H4 ?
			    "masquerade opened IPv4 hosts" :
			    "masquerade opened IPv4 hosts without a "
			    "MAC binding");
		}
	}
}

/* meta skuid @blocked_uids jump blocked; with check_local, every uid of
 * quota.min_uid and above goes through the users chain. */
static void rules_output(struct rules *x)
{
	struct nftnl_rule *r = rule_new();
	uint32_t min;
	char cm[128];

	e_meta(r, NFT_META_SKUID, NFT_REG_1);
	e_lookup(r, nftr_set_names[NFTR_UIDS]);
	e_verdict(r, NFT_JUMP, nftr_chain_names[NFTR_BLOCKED]);
	put(x, NFTR_OUTPUT, r, "users without quota");
	if (!x->c->check_local)
		return;
	/* meta skuid >= MIN: skuid is host-endian, cmp compares bytes; a
	 * packet without a socket (the kernel's own) has no skuid and
	 * matches nothing here. */
	r = rule_new();
	e_meta(r, NFT_META_SKUID, NFT_REG_1);
	e_hton32(r);
	min = x->c->min_uid ? (uint32_t)x->c->min_uid : 1;	/* never root */
	snprintf(cm, sizeof(cm), "users on the gateway (uid %u and up)",
		 (unsigned)min);
	min = htonl(min);
	e_cmp(r, NFT_CMP_GTE, &min, sizeof(min));
	e_verdict(r, NFT_JUMP, nftr_chain_names[NFTR_USERS]);
	put(x, NFTR_OUTPUT, r, cm);
}

/* Loopback and the local networks stay reachable from chain ch. */
static void rules_free_dests(struct rules *x, int ch, const char *lo,
			     const char *fmt)
{
	const struct tq_conf *c = x->c;
	struct nftnl_rule *r;
	char cm[128], net[64];
	size_t i;

	r = rule_new();
	e_ifname(r, NFT_META_OIFNAME, "lo");
	e_verdict(r, NFT_RETURN, NULL);
	put(x, ch, r, lo);
	for (i = 0; i < c->n_local_networks; i++) {
		r = rule_new();
		e_addr_net(r, &c->local_networks[i], false);
		e_verdict(r, NFT_RETURN, NULL);
		cidr_format(&c->local_networks[i], net, sizeof(net));
		snprintf(cm, sizeof(cm), fmt, net);
		put(x, ch, r, cm);
	}
}

/* counter reject with icmpx admin-prohibited */
static void rule_reject(struct rules *x, int ch, const char *comment)
{
	struct nftnl_rule *r = rule_new();

	expr(r, "counter");
	e_reject(r, false);
	put(x, ch, r, comment);
}

/* A blocked user still reaches loopback and the local networks. */
static void rules_blocked(struct rules *x)
{
	rules_free_dests(x, NFTR_BLOCKED, "loopback stays reachable",
			 "local network %s");
	rule_reject(x, NFTR_BLOCKED, "no quota: outside is closed");
}

/* A user on the gateway reaches the rest only if allowed_uids holds their
 * uid, whose counter then moves (their activity, any protocol); anyone
 * else is refused from the first packet. */
static void rules_users(struct rules *x)
{
	struct nftnl_rule *r;

	if (!x->c->check_local)
		return;
	rules_free_dests(x, NFTR_USERS, "loopback is free",
			 "local network %s: free");
	r = rule_new();
	e_meta(r, NFT_META_SKUID, NFT_REG_1);
	e_lookup(r, nftr_set_names[NFTR_ALLOWED]);
	e_verdict(r, NFT_RETURN, NULL);
	put(x, NFTR_USERS, r, "users who may use the link: counted");
	rule_reject(x, NFTR_USERS, "users not allowed: refused");
}

/* The captive portal (nftr_captive_port()): per LAN, plain HTTP of a host
 * in no host set goes to the portal on the gateway's address on that LAN
 * (redirect: no address to configure); the local networks' own web
 * servers stay reachable.  The look-ups are negated, so they never move
 * an element counter: an opened host is never charged here.  A nat chain
 * sees a connection's first packet only. */
static void rules_prerouting(struct rules *x)
{
	const struct tq_conf *c = x->c;
	unsigned port = nftr_captive_port(c);
	struct nftnl_rule *r;
	char cm[128], net[64];
	size_t i, l;
	int k, w, v6;

	if (!port)
		return;
	for (i = 0; i < c->n_lan; i++) {
		for (l = 0; l < c->n_local_networks; l++) {
			r = rule_new();
			e_ifname(r, NFT_META_IIFNAME, c->lan[i]);
			e_addr_net(r, &c->local_networks[l], false);
			e_tcp(r, 80);
			e_verdict(r, NF_ACCEPT, NULL);
			cidr_format(&c->local_networks[l], net, sizeof(net));
			snprintf(cm, sizeof(cm), "local network %s: not "
				 "redirected", net);
			put(x, NFTR_PREROUTING, r, cm);
		}
		for (v6 = 0; v6 < 2; v6++) {
			r = rule_new();
			e_ifname(r, NFT_META_IIFNAME, c->lan[i]);
			for (k = 0; k < nftr_nhost_sets(c); k++) {
				w = nftr_host_sets[k];
				if (nftr_set_v6(w) == (bool)v6)
					e_hosts_inv(c, r, w, true, false,
						    true);
			}
			e_tcp(r, 80);
			expr(r, "counter");
			e_redirect(r, (uint16_t)port);
			snprintf(cm, sizeof(cm), "plain HTTP of IPv%d hosts "
				 "not opened: to the portal", v6 ? 6 : 4);
			put(x, NFTR_PREROUTING, r, cm);
		}
	}
}

/* What a user on the gateway receives moves their allowed_uids counter
 * too, as replies move a host's: a user who sent one datagram and then
 * only receives is online.  The kernel knows the socket of a packet at
 * input only for an established TCP or connected UDP socket (early
 * demux); loopback and the local networks are free.  No verdict: the
 * input path is not filtered here. */
static void rules_input(struct rules *x)
{
	const struct tq_conf *c = x->c;
	struct nftnl_rule *r;
	char cm[128], net[64];
	size_t i;

	if (!c->check_local)
		return;
	r = rule_new();
	e_ifname(r, NFT_META_IIFNAME, "lo");
	e_verdict(r, NFT_RETURN, NULL);
	put(x, NFTR_INPUT, r, "loopback is free");
	for (i = 0; i < c->n_local_networks; i++) {
		r = rule_new();
		e_addr_net(r, &c->local_networks[i], true);
		e_verdict(r, NFT_RETURN, NULL);
		cidr_format(&c->local_networks[i], net, sizeof(net));
		snprintf(cm, sizeof(cm), "from local network %s: free", net);
		put(x, NFTR_INPUT, r, cm);
	}
	r = rule_new();
	e_meta(r, NFT_META_SKUID, NFT_REG_1);
	e_lookup(r, nftr_set_names[NFTR_ALLOWED]);
	put(x, NFTR_INPUT, r, "received by users on the gateway: counted");
}

void nftr_rules(const struct tq_conf *c, nftr_rule_cb cb, void *arg)
{
	struct rules x = { .c = c, .cb = cb, .arg = arg };

	rules_forward(&x);
	rules_postrouting(&x);
	rules_output(&x);
	rules_prerouting(&x);
	rules_input(&x);
	rules_blocked(&x);
	rules_users(&x);
}
