/* ctfill.c - fill the current network namespace's conntrack table with
 * synthetic TCP entries, quickly: a few hundred IPCTNL_MSG_CT_NEW messages
 * per sendmsg through one libmnl socket, every ACK drained.
 *
 *   ctfill [-n ENTRIES] [-H HOSTS] [-6 PCT] [-l PCT] [-t TIMEOUT] [-q]
 *   ctfill -D [-n EXPECTED]
 *   ctfill -E COUNT
 *
 * -D dumps the table instead (IPv4 and IPv6, 32 KiB reads, messages
 * counted, nothing parsed): the floor of any netlink reader.  With -n it
 * fails unless exactly EXPECTED entries came back.
 *
 * -E listens to conntrack NEW and DESTROY events until COUNT arrived and
 * prints "events N cpu_us C" (C = this process's CPU time from the first
 * event on): what keeping connection counts from events costs per event.
 * It prints "ready" on stderr once subscribed.
 *
 * Entry k comes from LAN host k % HOSTS (198.18.0.0/16, or 2001:db8:1::/48
 * for the IPv6 share), source port 1024 + k / HOSTS, to a "WAN" address in
 * 198.19.128.0/17 (or 2001:db8:8000::/48), port 443; PCT_l percent go to
 * another LAN address instead (ignored by the aggregator).  ESTABLISHED,
 * ASSURED (CONFIRMED too: ctnetlink sets it on create and refuses a
 * status that would clear it), with TIMEOUT seconds to live (default one day).  Counters are
 * whatever the kernel gives a new entry (zero, with nf_conntrack_acct on).
 *
 * Run it only inside a namespace made for the purpose (bench/run.sh).
 * Prints "inserted N (exists E) in T s" and exits 0 if every entry went in.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#define BATCH 256
#define BUFSZ (BATCH * 256)

struct fill {
	unsigned long n, hosts;
	unsigned pct6, pctlocal;
	uint32_t timeout;
};

static uint32_t mix(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x;
}

static void put_tuple(struct nlmsghdr *nlh, int type, bool v6,
		      const uint8_t *src, const uint8_t *dst,
		      uint16_t sport, uint16_t dport)
{
	struct nlattr *t, *ip, *pr;

	t = mnl_attr_nest_start(nlh, type);
	ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	if (v6) {
		mnl_attr_put(nlh, CTA_IP_V6_SRC, 16, src);
		mnl_attr_put(nlh, CTA_IP_V6_DST, 16, dst);
	} else {
		mnl_attr_put(nlh, CTA_IP_V4_SRC, 4, src);
		mnl_attr_put(nlh, CTA_IP_V4_DST, 4, dst);
	}
	mnl_attr_nest_end(nlh, ip);
	pr = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, IPPROTO_TCP);
	mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(sport));
	mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(dport));
	mnl_attr_nest_end(nlh, pr);
	mnl_attr_nest_end(nlh, t);
}

/* Entry k's message at buf; returns its length. */
static size_t put_entry(char *buf, const struct fill *f, unsigned long k,
			uint32_t seq)
{
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;
	struct nlattr *pi, *tcp;
	unsigned long host = k % f->hosts, j = k / f->hosts;
	uint32_t h = mix((uint32_t)k);
	bool v6 = h % 100 < f->pct6;
	bool local = (h >> 8) % 100 < f->pctlocal;
	uint8_t src[16], dst[16];
	uint16_t sport = (uint16_t)(1024 + j % 64000);

	memset(src, 0, sizeof(src));
	memset(dst, 0, sizeof(dst));
	if (v6) {
		/* 2001:db8:1::/48, host in the last 32 bits */
		src[0] = 0x20; src[1] = 0x01; src[2] = 0x0d; src[3] = 0xb8;
		src[5] = 0x01;
		src[12] = (uint8_t)(host >> 24); src[13] = (uint8_t)(host >> 16);
		src[14] = (uint8_t)(host >> 8); src[15] = (uint8_t)host;
		memcpy(dst, src, 16);
		if (local) {
			dst[15] ^= 0x5a;
			dst[14] ^= 0x01;
		} else {
			dst[4] = 0x80;	/* 2001:db8:8000::/48 */
			dst[5] = 0;
			dst[12] = 0; dst[13] = 0;
			dst[14] = (uint8_t)(h >> 16); dst[15] = (uint8_t)(h >> 24);
		}
	} else {
		uint32_t s = 0xc6120000U + 256 + (uint32_t)host;  /* 198.18/16 */
		uint32_t d;

		if (local)
			d = 0xc6120000U + (h >> 16);
		else
			d = 0xc6138000U + ((h >> 12) & 0x7fff);  /* 198.19.128/17 */
		s = htonl(s);
		d = htonl(d);
		memcpy(src, &s, 4);
		memcpy(dst, &d, 4);
	}

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL |
			   NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = v6 ? AF_INET6 : AF_INET;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;

	put_tuple(nlh, CTA_TUPLE_ORIG, v6, src, dst, sport, 443);
	put_tuple(nlh, CTA_TUPLE_REPLY, v6, dst, src, 443, sport);
	mnl_attr_put_u32(nlh, CTA_STATUS,
			 htonl(IPS_CONFIRMED | IPS_SEEN_REPLY |
			       IPS_ASSURED));
	mnl_attr_put_u32(nlh, CTA_TIMEOUT, htonl(f->timeout));
	pi = mnl_attr_nest_start(nlh, CTA_PROTOINFO);
	tcp = mnl_attr_nest_start(nlh, CTA_PROTOINFO_TCP);
	mnl_attr_put_u8(nlh, CTA_PROTOINFO_TCP_STATE,
			TCP_CONNTRACK_ESTABLISHED);
	mnl_attr_nest_end(nlh, tcp);
	mnl_attr_nest_end(nlh, pi);
	return nlh->nlmsg_len;
}

struct acks {
	unsigned long got, exist, other;
	int first_err;
};

/* Drain until `want` ACKs have arrived (success or error). */
static int drain(struct mnl_socket *nl, unsigned long want, struct acks *a)
{
	static char rbuf[1 << 16];
	unsigned long seen = 0;

	while (seen < want) {
		ssize_t r = mnl_socket_recvfrom(nl, rbuf, sizeof(rbuf));
		const struct nlmsghdr *nlh;
		int len;

		if (r < 0)
			return -1;
		len = (int)r;
		for (nlh = (const struct nlmsghdr *)rbuf;
		     mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			const struct nlmsgerr *e;

			if (nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
				continue;
			e = mnl_nlmsg_get_payload(nlh);
			seen++;
			if (e->error == 0)
				a->got++;
			else if (e->error == -EEXIST)
				a->exist++;
			else {
				a->other++;
				if (!a->first_err)
					a->first_err = -e->error;
			}
		}
	}
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* Count NEW and DESTROY events, as a daemon keeping per-host connection
 * counts would receive them (attributes walked, nothing else). */
static volatile unsigned sink;

static int events(unsigned long want)
{
	static char rbuf[1 << 16];
	struct mnl_socket *nl;
	unsigned long n = 0;
	int rcv = 32 << 20, one = 1;
	double c0 = 0;

	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl || mnl_socket_bind(nl, (1 << (NFNLGRP_CONNTRACK_NEW - 1)) |
				   (1 << (NFNLGRP_CONNTRACK_DESTROY - 1)),
				   MNL_SOCKET_AUTOPID) < 0) {
		perror("ctfill: netlink events");
		return 1;
	}
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE,
		   &rcv, sizeof(rcv));
	mnl_socket_setsockopt(nl, NETLINK_NO_ENOBUFS, &one, sizeof(one));
	fprintf(stderr, "ready\n");
	while (n < want) {
		ssize_t r = mnl_socket_recvfrom(nl, rbuf, sizeof(rbuf));
		const struct nlmsghdr *m;
		int len;

		if (r < 0) {
			perror("ctfill: recv");
			return 1;
		}
		if (n == 0)
			c0 = cpu_now_us();
		len = (int)r;
		for (m = (const struct nlmsghdr *)rbuf; mnl_nlmsg_ok(m, len);
		     m = mnl_nlmsg_next(m, &len)) {
			const struct nlattr *a;
			unsigned k = 0;

			mnl_attr_for_each(a, m, sizeof(struct nfgenmsg))
				k += mnl_attr_get_type(a);
			sink += k;
			n++;
		}
	}
	printf("events %lu cpu_us %.0f\n", n, cpu_now_us() - c0);
	mnl_socket_close(nl);
	return 0;
}

/* The netlink floor: a dump read and thrown away. */
static int dump(long expect)
{
	static char rbuf[1 << 15];
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;
	unsigned long n = 0;
	int rcv = 4 << 20;
	bool done = false;

	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("ctfill: netlink");
		return 1;
	}
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE,
		   &rcv, sizeof(rcv));
	nlh = mnl_nlmsg_put_header(rbuf);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = 1;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		perror("ctfill: sendto");
		return 1;
	}
	while (!done) {
		ssize_t r = mnl_socket_recvfrom(nl, rbuf, sizeof(rbuf));
		const struct nlmsghdr *m;
		int len;

		if (r < 0) {
			perror("ctfill: recv");
			return 1;
		}
		len = (int)r;
		for (m = (const struct nlmsghdr *)rbuf; mnl_nlmsg_ok(m, len);
		     m = mnl_nlmsg_next(m, &len)) {
			if (m->nlmsg_type == NLMSG_DONE) {
				done = true;
				break;
			}
			if (m->nlmsg_type == NLMSG_ERROR) {
				fprintf(stderr, "ctfill: dump failed\n");
				return 1;
			}
			n++;
		}
	}
	mnl_socket_close(nl);
	if (expect >= 0 && (unsigned long)expect != n) {
		fprintf(stderr, "ctfill: dumped %lu entries, expected %ld\n",
			n, expect);
		return 1;
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: ctfill [-n ENTRIES] [-H HOSTS] [-6 PCT] "
		"[-l PCT] [-t TIMEOUT] [-q]\n       ctfill -D [-n EXPECTED]\n"
		"       ctfill -E COUNT\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct fill f = { 10000, 2000, 10, 5, 86400 };
	static char buf[BUFSZ];
	struct mnl_socket *nl;
	struct acks a = { 0, 0, 0, 0 };
	unsigned long k = 0;
	uint32_t seq = 1;
	int opt, one = 1, rcv = 4 << 20;
	bool quiet = false, dumping = false, nset = false;
	unsigned long nev = 0;
	double t0;

	while ((opt = getopt(argc, argv, "n:H:6:l:t:qDE:")) != -1) {
		switch (opt) {
		case 'n':
			f.n = strtoul(optarg, NULL, 10);
			nset = true;
			break;
		case 'D': dumping = true; break;
		case 'E': nev = strtoul(optarg, NULL, 10); break;
		case 'H': f.hosts = strtoul(optarg, NULL, 10); break;
		case '6': f.pct6 = (unsigned)atoi(optarg); break;
		case 'l': f.pctlocal = (unsigned)atoi(optarg); break;
		case 't': f.timeout = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'q': quiet = true; break;
		default: usage();
		}
	}
	if (dumping)
		return dump(nset ? (long)f.n : -1);
	if (nev)
		return events(nev);
	if (f.hosts == 0 || f.hosts > 60000 || f.pct6 > 100 ||
	    f.pctlocal > 100 || f.n / f.hosts >= 64000)
		usage();

	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("ctfill: netlink");
		return 1;
	}
	mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE,
		   &rcv, sizeof(rcv));

	t0 = now_s();
	while (k < f.n) {
		size_t off = 0;
		unsigned long batch = 0;

		while (k < f.n && batch < BATCH && off + 256 <= sizeof(buf)) {
			off += put_entry(buf + off, &f, k, seq++);
			k++;
			batch++;
		}
		if (mnl_socket_sendto(nl, buf, off) < 0) {
			perror("ctfill: sendto");
			return 1;
		}
		if (drain(nl, batch, &a) < 0) {
			perror("ctfill: recv");
			return 1;
		}
		if (a.other)
			break;
	}
	mnl_socket_close(nl);
	if (!quiet || a.other)
		printf("inserted %lu (exists %lu, failed %lu) in %.2f s\n",
		       a.got, a.exist, a.other, now_s() - t0);
	if (a.other) {
		fprintf(stderr, "ctfill: %s\n", strerror(a.first_err));
		return 1;
	}
	return 0;
}
