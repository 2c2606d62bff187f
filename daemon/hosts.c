/* hosts.c - what the daemon put in the firewall (hosts.h).
 *
 * Invariants: the hosts are kept sorted by address with no two alike,
 * because a poll looks every masq row up (and every conntrack event):
 * with a thousand open hosts a linear search cost a million comparisons
 * a poll.  The blocked uids are few (cut-off local users) and unsorted,
 * each once.
 */
#include <stdlib.h>
#include <string.h>

#include "hosts.h"
#include "util.h"

struct hosts {
	struct hosts_entry *v;
	size_t n, cap;
	unsigned *uids;
	size_t n_uids, cap_uids;
};

struct hosts *hosts_new(void)
{
	return xcalloc(1, sizeof(struct hosts));
}

void hosts_free(struct hosts *h)
{
	if (!h)
		return;
	free(h->v);
	free(h->uids);
	free(h);
}

size_t hosts_count(const struct hosts *h)
{
	return h->n;
}

struct hosts_entry *hosts_at(struct hosts *h, size_t i)
{
	return &h->v[i];
}

/* Where a is, or would go. */
static size_t host_index(const struct hosts *h, const struct tq_addr *a)
{
	size_t lo = 0, hi = h->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (addr_cmp(&h->v[mid].addr, a) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct hosts_entry *hosts_find(struct hosts *h, const struct tq_addr *a)
{
	size_t i = host_index(h, a);

	return i < h->n && addr_equal(&h->v[i].addr, a) ? &h->v[i] : NULL;
}

void hosts_add(struct hosts *h, const struct nftb_host *nh,
	       const char *name)
{
	size_t i = host_index(h, &nh->addr);
	struct hosts_entry *e;

	if (i == h->n || !addr_equal(&h->v[i].addr, &nh->addr)) {
		xgrow(&h->v, &h->cap, h->n + 1, sizeof(*h->v));
		memmove(&h->v[i + 1], &h->v[i], (h->n - i) * sizeof(*h->v));
		h->n++;
		e = &h->v[i];
		memset(e, 0, sizeof(*e));
		e->addr = nh->addr;
	}
	e = &h->v[i];
	e->has_mac = nh->has_mac;
	memcpy(e->mac, nh->mac, sizeof(e->mac));
	tq_strlcpy(e->name, name ? name : "", sizeof(e->name));
}

void hosts_del(struct hosts *h, const struct tq_addr *a)
{
	size_t i = host_index(h, a);

	if (i == h->n || !addr_equal(&h->v[i].addr, a))
		return;
	memmove(&h->v[i], &h->v[i + 1], (h->n - i - 1) * sizeof(*h->v));
	h->n--;
}

struct nftb_host *hosts_array(const struct hosts *h)
{
	struct nftb_host *v;
	size_t i;

	v = xcalloc(h->n ? h->n : 1, sizeof(*v));
	for (i = 0; i < h->n; i++) {
		v[i].addr = h->v[i].addr;
		v[i].has_mac = h->v[i].has_mac;
		memcpy(v[i].mac, h->v[i].mac, sizeof(v[i].mac));
	}
	return v;
}

bool hosts_uid_blocked(const struct hosts *h, unsigned uid)
{
	size_t i;

	for (i = 0; i < h->n_uids; i++)
		if (h->uids[i] == uid)
			return true;
	return false;
}

void hosts_uid_add(struct hosts *h, unsigned uid)
{
	if (hosts_uid_blocked(h, uid))
		return;
	xgrow(&h->uids, &h->cap_uids, h->n_uids + 1, sizeof(*h->uids));
	h->uids[h->n_uids++] = uid;
}

void hosts_uid_del(struct hosts *h, unsigned uid)
{
	size_t i;

	for (i = 0; i < h->n_uids; i++)
		if (h->uids[i] == uid) {
			h->uids[i] = h->uids[--h->n_uids];
			return;
		}
}

const unsigned *hosts_uids(const struct hosts *h, size_t *n)
{
	*n = h->n_uids;
	return h->uids;
}
