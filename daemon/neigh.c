/* neigh.c - the neighbour table's MAC addresses for hosts (neigh.h).
 *
 * The table is read and its entries validated by lib/nbr.c (nbr_dump):
 * only usable entries come here.
 */
#include <string.h>

#include "nbr.h"
#include "neigh.h"

struct neigh_ctx {
	struct nftb_host *hosts;
	size_t n;
	int found;
};

static int neigh_entry(void *arg, const struct nbr_entry *e)
{
	struct neigh_ctx *c = arg;
	size_t i;

	for (i = 0; i < c->n; i++) {
		if (c->hosts[i].has_mac ||
		    !addr_equal(&c->hosts[i].addr, &e->addr))
			continue;
		memcpy(c->hosts[i].mac, e->mac, sizeof(c->hosts[i].mac));
		c->hosts[i].has_mac = true;
		c->found++;
	}
	return 0;
}

int neigh_lookup(struct nftb_host *hosts, size_t n)
{
	struct neigh_ctx c = { hosts, n, 0 };

	if (n == 0)
		return 0;
	if (nbr_dump(neigh_entry, &c) < 0)
		return -1;
	return c.found;
}
