/* nbr.c - the kernel's neighbour table and interface addresses (nbr.h).
 *
 * Invariants: every attribute is validated before use, and an address
 * counts only with its family's length.  A neighbour entry reaches the
 * callback only with a 6-byte link-layer address and a state that is
 * neither failed, incomplete nor NOARP.  Both tables are read through
 * one dump routine on a socket of its own, closed before returning.
 */
#include <ctype.h>
#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include "conf_sanity.h"
#include "nbr.h"

/* One dump request of type with the family header hdr (hdrlen bytes);
 * cb sees every message and may stop the walk (MNL_CB_STOP).  0, or -1
 * (errno). */
static int dump(uint16_t type, const void *hdr, size_t hdrlen,
		mnl_cb_t cb, void *data)
{
	char buf[32768];
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	unsigned seq, portid;
	int ret;

	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl)
		return -1;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto err;
	portid = mnl_socket_get_portid(nl);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq = (unsigned)time(NULL);
	memcpy(mnl_nlmsg_put_extra_header(nlh, hdrlen), hdr, hdrlen);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		goto err;
	while ((ret = (int)mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0) {
		ret = mnl_cb_run(buf, (size_t)ret, seq, portid, cb, data);
		if (ret <= MNL_CB_STOP)
			break;
	}
	if (ret < 0)
		goto err;
	mnl_socket_close(nl);
	return 0;
err:
	ret = errno;
	mnl_socket_close(nl);
	errno = ret;
	return -1;
}

/* An address attribute of family's length into *a.  0 / -1. */
static int attr_addr(const struct nlattr *attr, int family, struct tq_addr *a)
{
	uint16_t len = mnl_attr_get_payload_len(attr);

	memset(a, 0, sizeof(*a));
	if (family == AF_INET && len == 4)
		a->family = AF_INET;
	else if (family == AF_INET6 && len == 16)
		a->family = AF_INET6;
	else
		return -1;
	memcpy(a->a, mnl_attr_get_payload(attr), len);
	return 0;
}

/* ---- the neighbour table ---- */

struct walk {
	nbr_cb cb;
	void *arg;
};

static int nbr_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, NDA_MAX) < 0)
		return MNL_CB_OK;
	if ((type == NDA_DST || type == NDA_LLADDR) &&
	    mnl_attr_validate(a, MNL_TYPE_BINARY) < 0)
		return MNL_CB_ERROR;
	tb[type] = a;
	return MNL_CB_OK;
}

static int nbr_msg(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[NDA_MAX + 1] = { NULL };
	struct walk *w = data;
	const struct ndmsg *nd;
	struct nbr_entry e;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*nd)))
		return MNL_CB_OK;
	nd = mnl_nlmsg_get_payload(nlh);
	if (mnl_attr_parse(nlh, sizeof(*nd), nbr_attr, tb) < 0)
		return MNL_CB_OK;
	if (!tb[NDA_DST] || !tb[NDA_LLADDR])
		return MNL_CB_OK;
	if (nd->ndm_state & (NUD_FAILED | NUD_INCOMPLETE | NUD_NOARP))
		return MNL_CB_OK;
	if (mnl_attr_get_payload_len(tb[NDA_LLADDR]) != 6)
		return MNL_CB_OK;
	memset(&e, 0, sizeof(e));
	if (attr_addr(tb[NDA_DST], nd->ndm_family, &e.addr) < 0)
		return MNL_CB_OK;
	memcpy(e.mac, mnl_attr_get_payload(tb[NDA_LLADDR]), 6);
	e.ifindex = nd->ndm_ifindex;
	return w->cb(w->arg, &e) ? MNL_CB_STOP : MNL_CB_OK;
}

int nbr_dump(nbr_cb cb, void *arg)
{
	struct ndmsg nd = { .ndm_family = AF_UNSPEC };
	struct walk w = { cb, arg };

	return dump(RTM_GETNEIGH, &nd, sizeof(nd), nbr_msg, &w);
}

struct one {
	const struct tq_addr *a;
	uint8_t *mac;
	int found;
};

static int one_cb(void *arg, const struct nbr_entry *e)
{
	struct one *o = arg;

	if (!addr_equal(&e->addr, o->a))
		return 0;
	memcpy(o->mac, e->mac, 6);
	o->found = 1;
	return 1;
}

int nbr_mac_of(const struct tq_addr *a, uint8_t mac[6])
{
	struct one o = { a, mac, 0 };

	if (nbr_dump(one_cb, &o) < 0)
		return -1;
	return o.found;
}

const char *nbr_mac_format(const uint8_t mac[6], char *buf)
{
	snprintf(buf, NBR_MACSTRLEN, "%02x:%02x:%02x:%02x:%02x:%02x",
		 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	return buf;
}

int nbr_mac_parse(const char *s, uint8_t mac[6])
{
	unsigned char m[6];
	int i;

	if (!s || strlen(s) != NBR_MACSTRLEN - 1)
		return -1;
	/* The shape first: sscanf alone would take " f" or "+f". */
	for (i = 0; i < NBR_MACSTRLEN - 1; i++)
		if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char)s[i]))
			return -1;
	if (sscanf(s, "%2hhx:%2hhx:%2hhx:%2hhx:%2hhx:%2hhx", &m[0], &m[1],
		   &m[2], &m[3], &m[4], &m[5]) != 6)
		return -1;
	memcpy(mac, m, sizeof(m));
	return 0;
}

/* ---- the interface addresses ---- */

struct lan_ctx {
	char *const *lan;	/* network.lan: names and "eth*" patterns */
	size_t n;
	struct tq_lan *lan_out;
};

static int addr_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, IFA_MAX) < 0)
		return MNL_CB_OK;
	if ((type == IFA_ADDRESS || type == IFA_LOCAL) &&
	    mnl_attr_validate(a, MNL_TYPE_BINARY) < 0)
		return MNL_CB_ERROR;
	tb[type] = a;
	return MNL_CB_OK;
}

static int lan_msg(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[IFA_MAX + 1] = { NULL };
	struct lan_ctx *c = data;
	const struct ifaddrmsg *ifa;
	struct tq_addr net, own;
	char name[IF_NAMESIZE];
	bool on_lan = false;
	size_t i;

	if (nlh->nlmsg_type != RTM_NEWADDR ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifa)))
		return MNL_CB_OK;
	ifa = mnl_nlmsg_get_payload(nlh);
	if (mnl_attr_parse(nlh, sizeof(*ifa), addr_attr, tb) < 0)
		return MNL_CB_OK;
	if (!tb[IFA_ADDRESS] ||
	    attr_addr(tb[IFA_ADDRESS], ifa->ifa_family, &net) < 0)
		return MNL_CB_OK;
	if (!tb[IFA_LOCAL] ||
	    attr_addr(tb[IFA_LOCAL], ifa->ifa_family, &own) < 0)
		own = net;
	if (if_indextoname(ifa->ifa_index, name))
		for (i = 0; i < c->n; i++)
			on_lan |= conf_ifname_match(c->lan[i], name);
	addr_lan_own(c->lan_out, &own);
	if (on_lan)
		addr_lan_net(c->lan_out, &net, ifa->ifa_prefixlen);
	return MNL_CB_OK;
}

int nbr_lan(char *const *lan, size_t n_lan, struct tq_lan *out)
{
	struct ifaddrmsg ifa = { .ifa_family = AF_UNSPEC };
	struct lan_ctx c = { lan, n_lan, out };

	memset(out, 0, sizeof(*out));
	return dump(RTM_GETADDR, &ifa, sizeof(ifa), lan_msg, &c);
}
