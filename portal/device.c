/* device.c - this device: which it is, its state, open and close.
 *
 * A request's device is its source address, never anything the client
 * sends; its MAC comes from the gateway's neighbour table.  Opening and
 * closing are openhost's own steps (request.h: rq_open(), rq_close():
 * the checks, the request row, the poke, the wait, the clean-up); what
 * is the portal's is the wording and the row's mac and via = 'portal'
 * (migration 003).  Once open, a portal row is tcpquotad's: it opens
 * the device's other addresses, and closes the row after
 * portal.idle_timeout without traffic (a phone has no heartbeat).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "masq.h"
#include "portal.h"
#include "request.h"
#include "util.h"

void device_of(const struct tq_addr *a, struct device *d)
{
	struct tq_addr addr = *a;	/* a may be &d->addr */

	memset(d, 0, sizeof(*d));
	d->addr = addr;
	addr_format(&addr, d->host, sizeof(d->host));
	if (nbr_mac_of(&addr, d->mac) == 1) {
		d->has_mac = true;
		nbr_mac_format(d->mac, d->macs);
	}
}

/* Share and cost of a poll for a user: the original formula,
 * floor(period * rate / n) + 1 with n the users online (counting user). */
static void cost_of(const struct tq_conf *c, struct dev_status *st)
{
	long long room;

	if (st->sharing < 1)
		st->sharing = 1;
	st->cost = (long long)floor(c->period * st->rate / st->sharing) + 1;
	if (st->free_user) {
		st->left = -1;
		return;
	}
	room = st->quota - c->min_quota;
	st->left = room <= 0 ? 0 : room / st->cost * c->period;
}

int device_status(struct tool_ctx *t, const struct device *d,
		  const char *user, bool days, struct dev_status *st,
		  char *msg, size_t len)
{
	const struct tq_conf *c = t->conf;
	struct tooldb_user u;
	struct pdb_row rows[4];
	time_t now = time(NULL);
	struct tm tm;
	bool self = false;
	int n;

	memset(st, 0, sizeof(*st));
	n = pdb_device(t->db, c->gateway, d->host,
		       d->has_mac ? d->macs : NULL, rows, 4);
	if (n < 0)
		goto fail;
	st->nrows = n;
	if (n)
		st->row = rows[0];
	if (!user && n)
		user = rows[0].m.name;
	st->user = user;
	st->open = n && rows[0].m.open == MASQ_OPENED &&
		   (!user || !strcmp(rows[0].m.name, user));
	localtime_r(&now, &tm);
	st->rate = conf_rate_at(c, &tm);
	if (!user)
		return 0;
	if (tooldb_user_get(t->db, user, &u) < 0 ||
	    pdb_online(t->db, c->gateway, user, &st->sharing, &self) < 0)
		goto fail;
	st->quota = u.quota;
	st->allowed = u.allowed;
	st->free_user = conf_is_free_user(c, user);
	if (!self)
		st->sharing++;		/* the cost once this user is on */
	cost_of(c, st);
	if (days && pdb_days(t->db, user, st->days, 7) < 0)
		goto fail;
	return 0;
fail:
	tq_err(msg, len, "database error: %s", db_error(t->db));
	return -1;
}

int device_open(struct tool_ctx *t, const struct device *d,
		const char *user, char *msg, size_t len)
{
	struct tooldb_new n = {
		.host = d->host, .name = user, .free = MASQ_PAID,
		.mac = d->has_mac ? d->macs : NULL, .via = PDB_VIA,
	};
	struct tooldb_masq m;
	char why[256];

	switch (rq_open(t, &n, true, &m, why, sizeof(why))) {
	case RQ_OK:
		log_info("opened %s%s%s for %s", d->host,
			 d->has_mac ? " " : "", d->macs, user);
		return 0;
	case RQ_REFUSED:
		tq_strlcpy(msg, why, len);
		break;
	case RQ_HELD:
		if (!strcmp(m.name, user) && m.open == MASQ_OPENED)
			tq_strlcpy(msg, "this device is open already", len);
		else if (!strcmp(m.name, user))
			tq_strlcpy(msg, "this device is being opened or "
				   "closed; try again", len);
		else
			snprintf(msg, len, "this device is opened by %s",
				 m.free == MASQ_PAID ? "another user" :
				 "a teacher (free access)");
		break;
	case RQ_BUSY:
		tq_strlcpy(msg, "this device is being opened or closed; try "
			   "again", len);
		break;
	case RQ_TIMEOUT:
		tq_strlcpy(msg, "the gateway is not answering; try again in "
			   "a minute", len);
		break;
	case RQ_DENIED:
		snprintf(msg, len, "the gateway refused to open this "
			 "device%s%s", *why ? ": " : "", why);
		break;
	default:
		snprintf(msg, len, "database error: %s", why);
		break;
	}
	return 1;
}

int device_close(struct tool_ctx *t, const struct device *d,
		 const char *user, char *msg, size_t len)
{
	char why[256];
	int rc = rq_close(t, d->host, user, why, sizeof(why));

	switch (rc) {
	case RQ_OK:
	case RQ_TIMEOUT:
		log_info("closed %s for %s%s", d->host, user,
			 rc == RQ_TIMEOUT ? " (not confirmed by tcpquotad)" :
			 "");
		return 0;
	case RQ_NONE:
		tq_strlcpy(msg, "this device is not open for you", len);
		return 1;
	default:
		snprintf(msg, len, "database error: %s", why);
		return 1;
	}
}
