/* portaldb.c - the portal's queries (prepared statements only). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "masq.h"
#include "portaldb.h"
#include "util.h"

static long long cell_ll(const char *s)
{
	return s ? strtoll(s, NULL, 10) : 0;
}

#define ROW_COLS "host, name, gateway, open, free, cnts, tic, counter, " \
	"COALESCE(DATE_FORMAT(opened_at, '%Y-%m-%d %H:%i:%s'), ''), " \
	"COALESCE(mac, ''), COALESCE(via, '')"

static void row_from_cells(struct pdb_row *r, char **c)
{
	memset(r, 0, sizeof(*r));
	tq_strlcpy(r->m.host, c[0] ? c[0] : "", sizeof(r->m.host));
	tq_strlcpy(r->m.name, c[1] ? c[1] : "", sizeof(r->m.name));
	tq_strlcpy(r->m.gateway, c[2] ? c[2] : "", sizeof(r->m.gateway));
	r->m.open = (int)cell_ll(c[3]);
	r->m.free = (int)cell_ll(c[4]);
	r->m.cnts = (int)cell_ll(c[5]);
	r->m.tic = cell_ll(c[6]);
	r->m.counter = cell_ll(c[7]);
	tq_strlcpy(r->m.opened_at, c[8] ? c[8] : "", sizeof(r->m.opened_at));
	tq_strlcpy(r->mac, c[9] ? c[9] : "", sizeof(r->mac));
	tq_strlcpy(r->via, c[10] ? c[10] : "", sizeof(r->via));
}

struct dev_acc {
	struct pdb_row *rows;
	int n, max;
};

static int dev_cb(void *arg, unsigned ncols, char **c)
{
	struct dev_acc *a = arg;

	if (ncols < 11)
		return 1;
	if (a->n < a->max)
		row_from_cells(&a->rows[a->n++], c);
	return 0;
}

int pdb_device(struct db *db, const char *gw, const char *host,
	       const char *mac, struct pdb_row *rows, int max)
{
	struct dev_acc a = { rows, 0, max };

	if (db_query(db, dev_cb, &a, "SELECT " ROW_COLS " FROM masq"
		     " WHERE gateway = ? AND (host = ? OR"
		     " (? IS NOT NULL AND mac = ?))"
		     " ORDER BY host <> ?, host", "sssss", gw, host, mac, mac,
		     host) < 0)
		return -1;
	return a.n;
}

struct online_acc {
	int n;
	bool self;
};

static int online_cb(void *arg, unsigned ncols, char **c)
{
	struct online_acc *a = arg;

	if (ncols >= 2) {
		a->n = (int)cell_ll(c[0]);
		a->self = cell_ll(c[1]) > 0;
	}
	return 1;
}

int pdb_online(struct db *db, const char *gw, const char *name, int *n,
	       bool *self)
{
	struct online_acc a = { 0, false };

	if (db_query(db, online_cb, &a, "SELECT COUNT(DISTINCT name),"
		     " COALESCE(SUM(name = ?), 0) FROM masq"
		     " WHERE gateway = ? AND open = ? AND cnts > 0", "ssi",
		     name, gw, MASQ_OPENED) < 0)
		return -1;
	*n = a.n;
	*self = a.self;
	return 0;
}

struct days_acc {
	long long *secs;
	int days;
};

static int days_cb(void *arg, unsigned ncols, char **c)
{
	struct days_acc *a = arg;
	long long age;

	if (ncols < 2)
		return 1;
	age = cell_ll(c[0]);
	if (age >= 0 && age < a->days)
		a->secs[age] += cell_ll(c[1]);
	return 0;
}

int pdb_days(struct db *db, const char *name, long long *secs, int days)
{
	struct days_acc a = { secs, days };

	memset(secs, 0, (size_t)days * sizeof(*secs));
	return db_query(db, days_cb, &a, "SELECT DATEDIFF(CURDATE(), day),"
			" seconds FROM debits WHERE name = ?"
			" AND day > CURDATE() - INTERVAL ? DAY", "si", name,
			days) < 0 ? -1 : 0;
}
