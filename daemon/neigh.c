/* neigh.c - the MAC addresses the kernel's neighbour table (ARP / NDP)
 * holds for hosts: one rtnetlink dump (RTM_GETNEIGH), for
 * network.bind_mac.
 *
 * Invariants: every attribute is validated before use; an entry counts
 * only with a 6-byte link-layer address, a destination of its family's
 * length, and a state that is neither failed, incomplete nor NOARP.  A
 * host already given a MAC keeps it (the first usable entry wins).
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include "neigh.h"

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
	uint16_t len;
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
	memset(&a, 0, sizeof(a));
	len = mnl_attr_get_payload_len(tb[NDA_DST]);
	if (nd->ndm_family == AF_INET && len == 4)
		a.family = AF_INET;
	else if (nd->ndm_family == AF_INET6 && len == 16)
		a.family = AF_INET6;
	else
		return MNL_CB_OK;
	memcpy(a.a, mnl_attr_get_payload(tb[NDA_DST]), len);
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
	char buf[32768];
	struct neigh_ctx c = { hosts, n, 0 };
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct ndmsg *nd;
	unsigned seq, portid;
	int ret;

	if (n == 0)
		return 0;
	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl)
		return -1;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto err;
	portid = mnl_socket_get_portid(nl);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETNEIGH;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq = (unsigned)time(NULL);
	nd = mnl_nlmsg_put_extra_header(nlh, sizeof(*nd));
	nd->ndm_family = AF_UNSPEC;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		goto err;
	while ((ret = (int)mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0) {
		ret = mnl_cb_run(buf, (size_t)ret, seq, portid, neigh_cb, &c);
		if (ret <= MNL_CB_STOP)
			break;
	}
	if (ret < 0)
		goto err;
	mnl_socket_close(nl);
	return c.found;
err:
	mnl_socket_close(nl);
	return -1;
}
