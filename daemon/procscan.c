/* procscan.c - read the kernel's socket and conntrack tables. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include "nftb.h"
#include "procscan.h"

static int scan_file(struct scan_agg *g, const char *path, int family,
		     struct scan_stats *st, int missing_ok)
{
	FILE *f;
	int rc;

	f = fopen(path, "re");
	if (!f)
		return (missing_ok && errno == ENOENT) ? 0 : -1;
	rc = scan_tcp(f, family, scan_agg_sock, g, st);
	fclose(f);
	return rc;
}

int procscan_local_files(struct scan_agg *g, const char *tcp,
			 const char *tcp6, struct scan_stats *st)
{
	struct scan_stats dummy = { 0 };

	if (!st)
		st = &dummy;
	if (scan_file(g, tcp, AF_INET, st, 0) < 0)
		return -1;
	return scan_file(g, tcp6, AF_INET6, st, 1);
}

int procscan_local(struct scan_agg *g, struct scan_stats *st)
{
	return procscan_local_files(g, "/proc/net/tcp", "/proc/net/tcp6", st);
}

int procscan_conntrack_file(struct scan_agg *g, const char *path)
{
	struct scan_stats st = { 0 };
	FILE *f;
	int rc;

	f = fopen(path, "re");
	if (!f)
		return -1;
	rc = scan_conntrack(f, scan_agg_ct, g, &st);
	fclose(f);
	return rc;
}

int procscan_conntrack(struct ct *ct, struct scan_agg *g, int *used_netlink)
{
	if (used_netlink)
		*used_netlink = 0;
	if (ct) {
		if (ct_dump(ct, scan_agg_ct, g) == 0) {
			if (used_netlink)
				*used_netlink = 1;
			return 0;
		}
		/* A partial dump may have fed some entries: start over. */
		scan_agg_reset(g);
	}
	return procscan_conntrack_file(g, "/proc/net/nf_conntrack");
}

/* ---- neighbour table (rtnetlink) ---- */

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

int procscan_neigh(struct nftb_host *hosts, size_t n)
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
