/* hosts.c - what the daemon put in the firewall (hosts.h).
 *
 * Invariants: the hosts are kept sorted by address with no two alike,
 * because a poll looks every masq row up (and every conntrack event):
 * with a thousand open hosts a linear search cost a million comparisons
 * a poll.  The aliases are also indexed by (owner, address), sorted,
 * one index entry per host with alias set, so a row finds its aliases
 * by binary search (gather_row, every row every poll).  The blocked
 * uids are few (cut-off local users) and unsorted, each once.
 */
#include <stdlib.h>
#include <string.h>

#include "hosts.h"
#include "util.h"

struct hosts {
	struct hosts_entry *v;
	size_t n, cap;
	struct hosts_alias *al;		/* by owner, then address */
	size_t n_al, cap_al;
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
	free(h->al);
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

static int alias_cmp(const struct hosts_alias *x, const struct tq_addr *owner,
		     const struct tq_addr *a)
{
	int c = addr_cmp(&x->owner, owner);

	return c ? c : addr_cmp(&x->addr, a);
}

/* Where (owner, a) is in the alias index, or would go. */
static size_t alias_index(const struct hosts *h, const struct tq_addr *owner,
			  const struct tq_addr *a)
{
	size_t lo = 0, hi = h->n_al, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (alias_cmp(&h->al[mid], owner, a) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* e stops being an alias: out of the index. */
static void alias_forget(struct hosts *h, struct hosts_entry *e)
{
	size_t i;

	if (!e->alias)
		return;
	i = alias_index(h, &e->owner, &e->addr);
	if (i < h->n_al && alias_cmp(&h->al[i], &e->owner, &e->addr) == 0) {
		memmove(&h->al[i], &h->al[i + 1],
			(h->n_al - i - 1) * sizeof(*h->al));
		h->n_al--;
	}
	e->alias = false;
	memset(&e->owner, 0, sizeof(e->owner));
}

/* The entry of nh->addr, new (zeroed) or as it was, with nh's binding
 * and name. */
static struct hosts_entry *put(struct hosts *h, const struct nftb_host *nh,
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
	return e;
}

void hosts_add(struct hosts *h, const struct nftb_host *nh,
	       const char *name)
{
	alias_forget(h, put(h, nh, name));
}

void hosts_add_alias(struct hosts *h, const struct nftb_host *nh,
		     const struct tq_addr *owner, const char *name)
{
	struct hosts_entry *e = put(h, nh, name);
	size_t i;

	alias_forget(h, e);
	e->alias = true;
	e->owner = *owner;
	i = alias_index(h, owner, &nh->addr);
	xgrow(&h->al, &h->cap_al, h->n_al + 1, sizeof(*h->al));
	memmove(&h->al[i + 1], &h->al[i], (h->n_al - i) * sizeof(*h->al));
	h->al[i].owner = *owner;
	h->al[i].addr = nh->addr;
	h->n_al++;
}

void hosts_del(struct hosts *h, const struct tq_addr *a)
{
	size_t i = host_index(h, a);

	if (i == h->n || !addr_equal(&h->v[i].addr, a))
		return;
	alias_forget(h, &h->v[i]);
	memmove(&h->v[i], &h->v[i + 1], (h->n - i - 1) * sizeof(*h->v));
	h->n--;
}

const struct hosts_alias *hosts_aliases(const struct hosts *h,
					const struct tq_addr *owner,
					size_t *n)
{
	struct tq_addr lowest;
	size_t i, k;

	/* The index sorts an owner's aliases by address, after every
	 * (owner, address) with a smaller owner: start at the lowest. */
	memset(&lowest, 0, sizeof(lowest));
	i = alias_index(h, owner, &lowest);
	for (k = i; k < h->n_al && addr_equal(&h->al[k].owner, owner); k++)
		;
	*n = k - i;
	return *n ? &h->al[i] : NULL;
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
