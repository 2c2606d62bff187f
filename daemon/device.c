/* device.c - a device is its MAC with all its addresses (device.h).
 *
 * Invariants:
 * - An alias is open only while its row's host is open as a row's host
 *   (not as an alias) and the row carries the MAC it was derived from;
 *   the pass that closes the row (or finds it gone) closes the aliases.
 * - An address a row names is never an alias: the row decides for it
 *   (hosts_add turns an alias into the row's host).
 * - An alias stays while the neighbour table forgets it (entries age
 *   out of an idle table; a forgotten address of an open device is
 *   still that device's).  Unbound, it goes when the table shows its
 *   address at another MAC: another machine has it now, and would go
 *   out on the device's account.  Bound (network.bind_mac) it stays,
 *   as a row's host does: only the device's MAC passes, and anyone on
 *   the LAN can repoint the table.
 * - Nothing new is opened without a fresh snapshot (the database is
 *   away: the firewall stays as it is), nor without the LAN's networks.
 * - The idle clock of a portal row counts the periods its polls covered
 *   (a late poll its elapsed periods, as the charge does) since the last
 *   poll that saw its packets move, or the first that saw it open: the
 *   poll timer's time, not a clock read at some point of a poll, so one
 *   poll's work cannot move a close to the next poll.  It is in memory:
 *   a restart gives every open portal row a full portal.idle_timeout.
 */
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include "conf_sanity.h"
#include "device.h"
#include "log.h"
#include "masq.h"
#include "util.h"

/* ---- the plan (pure) ---- */

/* A device: a row with a mac whose host is open. */
struct dev {
	uint8_t mac[6];
	struct tq_addr owner;
	const char *name;
	size_t row;		/* rows' order: the first of a MAC wins */
};

static int dev_mac_cmp(const void *x, const void *y)
{
	const struct dev *a = x, *b = y;
	int c = memcmp(a->mac, b->mac, sizeof(a->mac));

	if (c)
		return c;
	return a->row < b->row ? -1 : a->row > b->row;
}

static int dev_owner_cmp(const void *x, const void *y)
{
	const struct dev *a = x, *b = y;

	return addr_cmp(&a->owner, &b->owner);
}

/* The first device of mac in v (sorted by dev_mac_cmp), or NULL. */
static const struct dev *dev_of_mac(const struct dev *v, size_t n,
				    const uint8_t mac[6])
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (memcmp(v[mid].mac, mac, 6) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && memcmp(v[lo].mac, mac, 6) == 0 ? &v[lo] : NULL;
}

/* The open devices among the rows, in rows' order, into out (n_rows
 * of room); with named, every address a row names too (*nn of them). */
static size_t devices(const struct store_masq *rows, size_t n_rows,
		      struct hosts *h, struct dev *out, struct tq_addr *named,
		      size_t *nn)
{
	const struct hosts_entry *x;
	struct tq_addr a;
	size_t i, nd = 0;

	for (i = 0; i < n_rows; i++) {
		const struct store_masq *r = &rows[i];

		if (r->host_toolong || addr_parse(r->host, &a) < 0)
			continue;
		if (named)
			named[(*nn)++] = a;
		x = hosts_find(h, &a);
		if (!r->has_mac || !x || x->alias)
			continue;
		memcpy(out[nd].mac, r->mac, 6);
		out[nd].owner = a;
		out[nd].name = r->name;
		out[nd++].row = i;
	}
	return nd;
}

static const struct nbr_entry *nb_of(const struct nbr_entry *nb, size_t n,
				     const struct tq_addr *a)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (addr_equal(&nb[i].addr, a))
			return &nb[i];
	return NULL;
}

/* The aliases to close: their device is gone, or (unbound) their
 * address moved. */
static void plan_close(struct hosts *h, const struct dev *by_owner,
		       size_t nd, const struct nbr_entry *nb, size_t n_nb,
		       bool bind_mac, struct device_plan *out)
{
	const struct nbr_entry *e;
	const struct dev *d;
	struct dev key;
	size_t i;

	for (i = 0; i < hosts_count(h); i++) {
		const struct hosts_entry *x = hosts_at(h, i);
		struct device_close *c;

		if (!x->alias)
			continue;
		key.owner = x->owner;
		d = nd ? bsearch(&key, by_owner, nd, sizeof(key),
				 dev_owner_cmp) : NULL;
		e = d && !bind_mac ? nb_of(nb, n_nb, &x->addr) : NULL;
		if (d && (!e || !memcmp(e->mac, d->mac, 6)))
			continue;
		c = &out->close[out->n_close++];
		c->addr = x->addr;
		c->owner = x->owner;
		tq_strlcpy(c->name, x->name, sizeof(c->name));
		c->moved = e != NULL;
		if (e)
			memcpy(c->mac, e->mac, sizeof(c->mac));
	}
}

void device_plan(const struct store_masq *rows, size_t n_rows,
		 struct hosts *h, const struct nbr_entry *nb, size_t n_nb,
		 const struct tq_lan *lan, bool bind_mac, bool fresh,
		 struct device_plan *out)
{
	struct dev *by_mac, *by_owner;
	struct tq_addr *named;
	char why[256];
	size_t i, k, nd, nn = 0;

	memset(out, 0, sizeof(*out));
	by_mac = xcalloc(n_rows + 1, sizeof(*by_mac));
	named = xcalloc(n_rows + 1, sizeof(*named));
	nd = devices(rows, n_rows, h, by_mac, named, &nn);
	qsort(named, nn, sizeof(*named), addr_cmp);
	by_owner = xcalloc(nd + 1, sizeof(*by_owner));
	if (nd)
		memcpy(by_owner, by_mac, nd * sizeof(*by_mac));
	qsort(by_mac, nd, sizeof(*by_mac), dev_mac_cmp);
	qsort(by_owner, nd, sizeof(*by_owner), dev_owner_cmp);

	out->close = xcalloc(hosts_count(h) + 1, sizeof(*out->close));
	plan_close(h, by_owner, nd, nb, n_nb, bind_mac, out);

	out->open = xcalloc(n_nb + 1, sizeof(*out->open));
	for (i = 0; fresh && lan && i < n_nb; i++) {
		const struct nbr_entry *e = &nb[i];
		const struct dev *d = dev_of_mac(by_mac, nd, e->mac);
		struct device_open *o;

		if (!d || !addr_is_host(&e->addr) ||
		    addr_is_linklocal(&e->addr) || hosts_find(h, &e->addr) ||
		    (nn && bsearch(&e->addr, named, nn, sizeof(*named),
				   addr_cmp)) ||
		    addr_lan_check(lan, &e->addr, why, sizeof(why)) < 0)
			continue;
		for (k = 0; k < out->n_open; k++)	/* listed twice */
			if (addr_equal(&out->open[k].el.addr, &e->addr))
				break;
		if (k < out->n_open)
			continue;
		o = &out->open[out->n_open++];
		o->el.addr = e->addr;
		o->el.has_mac = bind_mac;
		if (bind_mac)
			memcpy(o->el.mac, d->mac, sizeof(o->el.mac));
		o->owner = d->owner;
		o->name = d->name;
		memcpy(o->mac, d->mac, sizeof(o->mac));
	}
	free(by_owner);
	free(named);
	free(by_mac);
}

void device_plan_free(struct device_plan *p)
{
	free(p->open);
	free(p->close);
	memset(p, 0, sizeof(*p));
}

/* ---- the room ---- */

/* A row the polls follow: a portal row's idle clock, a bad mac said. */
struct seen {
	char host[DB_HOST_BYTES];
	char name[DB_NAME_BYTES];
	uint64_t quiet;		/* periods since its last traffic */
	bool tracking;		/* seen open by the last poll */
	bool mac_said;
	bool live;		/* in this poll's rows */
};

struct device {
	const struct tq_conf *conf;
	struct hosts *h;
	struct seen *seen;
	size_t n_seen, cap_seen;
	bool nb_said;		/* reading the neighbour table fails */
	bool lan_said;		/* reading the interface addresses fails */
};

struct device *device_new(const struct tq_conf *conf, struct hosts *h)
{
	struct device *d = xcalloc(1, sizeof(*d));

	d->conf = conf;
	d->h = h;
	return d;
}

void device_free(struct device *d)
{
	if (!d)
		return;
	free(d->seen);
	free(d);
}

void device_set_conf(struct device *d, const struct tq_conf *conf)
{
	d->conf = conf;
}

static int seen_cmp(const struct seen *s, const struct store_masq *r)
{
	int c = strcmp(s->host, r->host);

	return c ? c : strcmp(s->name, r->name);
}

/* r's entry, made if new: kept sorted, found by binary search (a poll
 * looks every row up). */
static struct seen *seen_of(struct device *d, const struct store_masq *r)
{
	size_t lo = 0, hi = d->n_seen, mid;
	struct seen *s;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (seen_cmp(&d->seen[mid], r) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < d->n_seen && seen_cmp(&d->seen[lo], r) == 0)
		return &d->seen[lo];
	xgrow(&d->seen, &d->cap_seen, d->n_seen + 1, sizeof(*d->seen));
	memmove(&d->seen[lo + 1], &d->seen[lo],
		(d->n_seen - lo) * sizeof(*d->seen));
	d->n_seen++;
	s = &d->seen[lo];
	memset(s, 0, sizeof(*s));
	tq_strlcpy(s->host, r->host, sizeof(s->host));
	tq_strlcpy(s->name, r->name, sizeof(s->name));
	return s;
}

void device_poll(struct device *d, const struct store_masq *rows,
		 struct acct_masq *m, size_t n, unsigned periods)
{
	const struct tq_conf *c = d->conf;
	size_t i, k;

	for (i = 0; i < d->n_seen; i++)
		d->seen[i].live = false;
	for (i = 0; i < n; i++) {
		const struct store_masq *r = &rows[i];
		bool open = r->portal && m[i].open == MASQ_OPENED &&
			    m[i].in_firewall;
		struct seen *s;

		if (!open && !r->mac_bad)
			continue;
		s = seen_of(d, r);
		s->live = true;
		if (r->mac_bad && !s->mac_said)
			log_warnx("masq row %s of %s: mac is no MAC address "
				  "(02:00:5e:10:00:01): its host alone is "
				  "opened", r->host, *r->name ? r->name : "?");
		s->mac_said = r->mac_bad;
		if (!open) {
			s->tracking = false;
			continue;
		}
		if (!s->tracking || m[i].packets != m[i].prev_packets) {
			s->quiet = 0;
			s->tracking = true;
			continue;
		}
		s->quiet += periods ? periods : 1;
		if (s->quiet * (uint64_t)c->period <
		    (uint64_t)c->portal_idle_timeout)
			continue;
		m[i].idle = true;
		log_info("%s of %s: no traffic for %llu s (portal.idle_timeout "
			 "%d): closing", r->host, *r->name ? r->name : "?",
			 (unsigned long long)(s->quiet * (uint64_t)c->period),
			 c->portal_idle_timeout);
	}
	for (i = k = 0; i < d->n_seen; i++)
		if (d->seen[i].live)
			d->seen[k++] = d->seen[i];
	d->n_seen = k;
}

struct nb_ctx {
	const struct tq_conf *conf;
	struct hosts *h;
	const struct dev *devs;		/* by MAC */
	size_t nd;
	struct nbr_entry *v;
	size_t n, cap;
	int lan_if[8];			/* ifindex seen on the LAN */
	size_t n_lan_if;
	bool missing;			/* an address not in h */
};

static bool on_lan(struct nb_ctx *c, int ifindex)
{
	char name[IF_NAMESIZE];
	size_t i;

	for (i = 0; i < c->n_lan_if; i++)
		if (c->lan_if[i] == ifindex)
			return true;
	if (!if_indextoname((unsigned)ifindex, name))
		return false;
	for (i = 0; i < c->conf->n_lan; i++)
		if (conf_ifname_match(c->conf->lan[i], name))
			break;
	if (i == c->conf->n_lan)
		return false;
	if (c->n_lan_if < ARRAY_SIZE(c->lan_if))
		c->lan_if[c->n_lan_if++] = ifindex;
	return true;
}

/* The entries device_plan needs: a device's MAC, or an alias's address
 * (it may have moved), on a LAN interface. */
static int nb_keep(void *arg, const struct nbr_entry *e)
{
	struct nb_ctx *c = arg;
	const struct hosts_entry *x = hosts_find(c->h, &e->addr);

	if (!dev_of_mac(c->devs, c->nd, e->mac) && !(x && x->alias))
		return 0;
	if (!on_lan(c, e->ifindex))
		return 0;
	xgrow(&c->v, &c->cap, c->n + 1, sizeof(*c->v));
	c->v[c->n++] = *e;
	c->missing |= !x && addr_is_host(&e->addr) &&
		      !addr_is_linklocal(&e->addr);
	return 0;
}

/* The open devices of s, by MAC (free *out). */
static size_t devices_of(struct device *d, const struct store_snap *s,
			 struct dev **out)
{
	size_t n;

	*out = xcalloc(s->n_masq + 1, sizeof(**out));
	n = devices(s->masq, s->n_masq, d->h, *out, NULL, NULL);
	qsort(*out, n, sizeof(**out), dev_mac_cmp);
	return n;
}

static bool any_alias(struct hosts *h)
{
	size_t i;

	for (i = 0; i < hosts_count(h); i++)
		if (hosts_at(h, i)->alias)
			return true;
	return false;
}

static void carry_out(struct fw *fw, const struct device_plan *p)
{
	char a[TQ_ADDRSTRLEN], o[TQ_ADDRSTRLEN], m[NBR_MACSTRLEN];
	struct tq_addr *addrs;
	struct tq_addr *owners;
	struct nftb_host *v;
	const char **names;
	size_t i;

	addrs = xcalloc(p->n_close + 1, sizeof(*addrs));
	for (i = 0; i < p->n_close; i++)
		addrs[i] = p->close[i].addr;
	if (fw_close_hosts(fw, addrs, p->n_close) == 0) {
		for (i = 0; i < p->n_close; i++) {
			const struct device_close *c = &p->close[i];

			addr_format(&c->addr, a, sizeof(a));
			addr_format(&c->owner, o, sizeof(o));
			if (c->moved)
				log_info("closed %s of %s: the neighbour table "
					 "shows it at %s now, not at the device "
					 "of %s", a, *c->name ? c->name : "?",
					 nbr_mac_format(c->mac, m), o);
			else
				log_info("closed %s of %s: its device closed "
					 "with %s", a, *c->name ? c->name : "?",
					 o);
		}
	}
	free(addrs);

	v = xcalloc(p->n_open + 1, sizeof(*v));
	owners = xcalloc(p->n_open + 1, sizeof(*owners));
	names = xcalloc(p->n_open + 1, sizeof(*names));
	for (i = 0; i < p->n_open; i++) {
		v[i] = p->open[i].el;
		owners[i] = p->open[i].owner;
		names[i] = p->open[i].name;
	}
	if (fw_open_aliases(fw, v, owners, names, p->n_open) == 0) {
		for (i = 0; i < p->n_open; i++) {
			const struct device_open *op = &p->open[i];

			log_info("opened %s for %s (device %s of %s)",
				 addr_format(&op->el.addr, a, sizeof(a)),
				 *op->name ? op->name : "?",
				 nbr_mac_format(op->mac, m),
				 addr_format(&op->owner, o, sizeof(o)));
		}
	}
	free(names);
	free(owners);
	free(v);
}

void device_sync(struct device *d, struct fw *fw, const struct store_snap *s,
		 bool fresh)
{
	struct nb_ctx c;
	struct device_plan p;
	struct tq_lan lan;
	bool have_lan = false;
	struct dev *devs;

	memset(&c, 0, sizeof(c));
	memset(&lan, 0, sizeof(lan));
	c.nd = devices_of(d, s, &devs);
	if (c.nd == 0 && !any_alias(d->h)) {
		free(devs);
		return;
	}
	c.conf = d->conf;
	c.h = d->h;
	c.devs = devs;
	if (nbr_dump(nb_keep, &c) < 0) {
		/* Without the table nothing opens and nothing moves; a
		 * closed device's aliases still close. */
		log_once_errno(&d->nb_said, "rtnetlink: reading the "
			       "neighbour table (devices' other addresses "
			       "are not opened)");
		c.n = 0;
		c.missing = false;
	} else {
		log_recovered(&d->nb_said, "rtnetlink: neighbour table read "
			      "again");
	}
	if (fresh && c.missing) {
		if (nbr_lan(d->conf->lan, d->conf->n_lan, &lan) < 0)
			log_once_errno(&d->lan_said, "rtnetlink: reading the "
				       "interface addresses (devices' other "
				       "addresses are not opened)");
		else
			have_lan = true;
		if (have_lan)
			log_recovered(&d->lan_said, "rtnetlink: interface "
				      "addresses read again");
	}
	device_plan(s->masq, s->n_masq, d->h, c.v, c.n,
		    have_lan ? &lan : NULL, d->conf->bind_mac, fresh, &p);
	carry_out(fw, &p);
	device_plan_free(&p);
	addr_lan_free(&lan);
	free(c.v);
	free(devs);
}
