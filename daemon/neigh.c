/* neigh.c - two rtnetlink dumps: the MAC addresses the kernel's
 * neighbour table (ARP / NDP) holds for hosts (RTM_GETNEIGH, for
 * network.bind_mac), and the gateway's interface addresses
 * (RTM_GETADDR: the LAN's networks and the gateway's own addresses).
 *
 * Invariants: every attribute is validated before use, and an address
 * counts only with its family's length.  A neighbour entry counts only
 * with a 6-byte link-layer address and a state that is neither failed,
 * incomplete nor NOARP; a host already given a MAC keeps it (the first
 * usable entry wins).  An interface address is IFA_LOCAL where the
 * kernel gives one (the local end of a point-to-point link), else
 * IFA_ADDRESS; its network is IFA_ADDRESS with the prefix length.
 */
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include "conf_sanity.h"
#include "neigh.h"

/* One dump request of type with the family header hdr (hdrlen bytes);
 * cb sees every message.  0, or -1 (errno). */
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
	{
		int e = errno;

		mnl_socket_close(nl);
		errno = e;
	}
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

struct neigh_ctx {
	struct nftb_host *hosts;
	size_t n;
	int found;
};

static int neigh_attr(const struct nlattr *a, void *data)
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

static int neigh_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[NDA_MAX + 1] = { NULL };
	struct neigh_ctx *c = data;
	const struct ndmsg *nd;
	struct tq_addr a;
	size_t i;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*nd)))
		return MNL_CB_OK;
	nd = mnl_nlmsg_get_payload(nlh);
	if (mnl_attr_parse(nlh, sizeof(*nd), neigh_attr, tb) < 0)
		return MNL_CB_OK;
	if (!tb[NDA_DST] || !tb[NDA_LLADDR])
		return MNL_CB_OK;
	if (nd->ndm_state & (NUD_FAILED | NUD_INCOMPLETE | NUD_NOARP))
		return MNL_CB_OK;
	if (mnl_attr_get_payload_len(tb[NDA_LLADDR]) != 6)
		return MNL_CB_OK;
	if (attr_addr(tb[NDA_DST], nd->ndm_family, &a) < 0)
		return MNL_CB_OK;
	for (i = 0; i < c->n; i++) {
		if (c->hosts[i].has_mac || !addr_equal(&c->hosts[i].addr, &a))
			continue;
		memcpy(c->hosts[i].mac, mnl_attr_get_payload(tb[NDA_LLADDR]),
		       6);
		c->hosts[i].has_mac = true;
		c->found++;
	}
	return MNL_CB_OK;
}

int neigh_lookup(struct nftb_host *hosts, size_t n)
{
	struct neigh_ctx c = { hosts, n, 0 };
	struct ndmsg nd = { .ndm_family = AF_UNSPEC };

	if (n == 0)
		return 0;
	if (dump(RTM_GETNEIGH, &nd, sizeof(nd), neigh_cb, &c) < 0)
		return -1;
	return c.found;
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

static int lan_cb(const struct nlmsghdr *nlh, void *data)
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

int neigh_lan(char *const *lan, size_t n_lan, struct tq_lan *out)
{
	struct ifaddrmsg ifa = { .ifa_family = AF_UNSPEC };
	struct lan_ctx c = { lan, n_lan, out };

	memset(out, 0, sizeof(*out));
	return dump(RTM_GETADDR, &ifa, sizeof(ifa), lan_cb, &c);
}
