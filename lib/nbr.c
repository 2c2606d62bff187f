/* nbr.c - the kernel's neighbour table (nbr.h).
 *
 * Invariants: every attribute is validated before use; an entry reaches
 * the callback only with a 6-byte link-layer address, a destination of
 * its family's length, and a state that is neither failed, incomplete
 * nor NOARP.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include "nbr.h"

struct walk {
	nbr_cb cb;
	void *arg;
	int stop;
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
	uint16_t len;

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
	len = mnl_attr_get_payload_len(tb[NDA_DST]);
	if (nd->ndm_family == AF_INET && len == 4)
		e.addr.family = AF_INET;
	else if (nd->ndm_family == AF_INET6 && len == 16)
		e.addr.family = AF_INET6;
	else
		return MNL_CB_OK;
	memcpy(e.addr.a, mnl_attr_get_payload(tb[NDA_DST]), len);
	memcpy(e.mac, mnl_attr_get_payload(tb[NDA_LLADDR]), 6);
	e.ifindex = nd->ndm_ifindex;
	if (w->cb(w->arg, &e)) {
		w->stop = 1;
		return MNL_CB_STOP;
	}
	return MNL_CB_OK;
}

int nbr_dump(nbr_cb cb, void *arg)
{
	char buf[32768];
	struct walk w = { cb, arg, 0 };
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct ndmsg *nd;
	unsigned seq, portid;
	int ret;

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
		ret = mnl_cb_run(buf, (size_t)ret, seq, portid, nbr_msg, &w);
		if (ret <= MNL_CB_STOP)
			break;
	}
	if (ret < 0 && !w.stop)
		goto err;
	mnl_socket_close(nl);
	return 0;
err:
	ret = errno;
	mnl_socket_close(nl);
	errno = ret;
	return -1;
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
