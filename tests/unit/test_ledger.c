/* test_ledger.c - held polls with a real journal in a temporary directory
 * and a fake store (this file defines the store_ functions ledger.c
 * uses): applied and acknowledged at once, held while the database is
 * away and replayed oldest first, each once; held in memory without a
 * journal and said lost at exit; a refused poll set aside after three
 * tries; held polls moved to a new journal on reload. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal.h"
#include "ledger.h"
#include "log.h"
#include "tq_test.h"
#include "util.h"

/* ---- fake store ---- */
static struct {
	bool up;
	uint64_t applied[32];	/* ids, in order */
	size_t n;
	const char *refuse;	/* a debit for this name is refused */
	bool refused;		/* the last apply was */
	int fails;		/* store_failed calls */
} sf;

bool store_connected(const struct store *st)
{
	return sf.up;
}
const char *store_error(const struct store *st)
{
	return sf.refused ? "debit refused" : "fake database down";
}
bool store_transient(const struct store *st)
{
	return !sf.up || !sf.refused;
}
void store_failed(struct store *st, const char *what)
{
	sf.fails++;
}
int store_apply(struct store *st, const struct store_poll *p)
{
	size_t i;

	sf.refused = false;
	if (!sf.up)
		return -1;
	for (i = 0; sf.refuse && i < p->n_debits; i++)
		if (strcmp(p->debits[i].name, sf.refuse) == 0) {
			sf.refused = true;
			return -1;
		}
	for (i = 0; i < sf.n; i++)
		if (sf.applied[i] == p->id)
			return 1;
	if (sf.n < 32)
		sf.applied[sf.n++] = p->id;
	return 0;
}

/* ---- the tests ---- */

static char dir[] = "/tmp/test_ledger.XXXXXX";
static char jpath[128], jpath2[160];
static struct tq_conf *conf;

static struct ledger *fresh(const char *journal)
{
	char err[512];
	struct ledger *l;

	memset(&sf, 0, sizeof(sf));
	conf = conf_defaults();
	free(conf->journal);
	conf->journal = xstrdup(journal);
	l = ledger_new(conf, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	return l;
}

static void done(struct ledger *l)
{
	ledger_free(l);
	conf_free(conf);
	unlink(jpath);
	unlink(jpath2);
	snprintf(jpath2, sizeof(jpath2), "%s.rejected", jpath);
	unlink(jpath2);
	snprintf(jpath2, sizeof(jpath2), "%s/sub/journal2", dir);
	unlink(jpath2);
}

/* A charged poll of id with one debit of name; the debits are the
 * caller's to free after ledger_record (which may take them). */
static void poll(struct store_poll *p, uint64_t id, const char *name)
{
	struct store_debit *d = xcalloc(1, sizeof(*d));

	memset(p, 0, sizeof(*p));
	tq_strlcpy(d->name, name, sizeof(d->name));
	d->amount = 11;
	p->id = id;
	p->when = 1700000000;
	p->total = 11;
	p->debits = d;
	p->n_debits = 1;
}

static void test_applied_at_once(void)
{
	struct store_poll p;
	struct ledger *l = fresh(jpath);

	sf.up = true;
	poll(&p, 1, "alice");
	ledger_record(l, NULL, &p, true);
	free(p.debits);
	CU_ASSERT_EQUAL(sf.n, 1);
	CU_ASSERT_EQUAL(ledger_count(l), 0);
	/* nothing charged, no ops: nothing written */
	p.debits = NULL;
	p.n_debits = 0;
	p.total = 0;
	p.id = 2;
	ledger_record(l, NULL, &p, true);
	free(p.debits);
	CU_ASSERT_EQUAL(sf.n, 1);
	done(l);
}

static void test_held_and_replayed(void)
{
	struct store_poll p[3];
	struct ledger *l = fresh(jpath);
	size_t i;

	for (i = 0; i < 3; i++) {
		poll(&p[i], 10 + i, "alice");
		ledger_record(l, NULL, &p[i], false);	/* database away */
		free(p[i].debits);
	}
	CU_ASSERT_EQUAL(sf.n, 0);
	CU_ASSERT_EQUAL(ledger_count(l), 3);
	CU_ASSERT_EQUAL(ledger_in_memory(l), 0);	/* in the journal */
	sf.up = true;
	sf.applied[sf.n++] = 11;	/* committed, its ack lost */
	ledger_replay(l, NULL);
	CU_ASSERT_EQUAL(ledger_count(l), 0);
	CU_ASSERT_EQUAL_FATAL(sf.n, 3);
	CU_ASSERT_EQUAL(sf.applied[1], 10);	/* oldest first ... */
	CU_ASSERT_EQUAL(sf.applied[2], 12);	/* ... 11 not twice */
	done(l);
}

static void test_memory_only(void)
{
	struct store_poll p[2];
	struct ledger *l = fresh("");

	poll(&p[0], 20, "alice");
	ledger_record(l, NULL, &p[0], false);
	free(p[0].debits);
	CU_ASSERT_PTR_NULL(p[0].debits);	/* taken */
	poll(&p[1], 21, "bob");
	ledger_record(l, NULL, &p[1], false);
	free(p[1].debits);
	CU_ASSERT_EQUAL(ledger_in_memory(l), 2);
	CU_ASSERT_EQUAL(ledger_count(l), 2);
	ledger_at_exit(l);		/* logged as lost */
	CU_ASSERT_EQUAL(ledger_in_memory(l), 2);
	sf.up = true;
	ledger_replay(l, NULL);
	CU_ASSERT_EQUAL(ledger_count(l), 0);
	CU_ASSERT_EQUAL_FATAL(sf.n, 2);
	CU_ASSERT_EQUAL(sf.applied[0], 20);
	CU_ASSERT_EQUAL(sf.applied[1], 21);
	done(l);
}

/* Refused three times in a row: set aside to the side file; the poll
 * behind it goes on. */
static void test_set_aside(void)
{
	struct store_poll p[2];
	struct ledger *l = fresh(jpath);
	char side[160];
	int k;

	poll(&p[0], 30, "bad");
	ledger_record(l, NULL, &p[0], false);
	free(p[0].debits);
	poll(&p[1], 31, "alice");
	ledger_record(l, NULL, &p[1], false);
	free(p[1].debits);
	sf.up = true;
	sf.refuse = "bad";
	for (k = 1; k <= 2; k++) {
		ledger_replay(l, NULL);
		CU_ASSERT_EQUAL(ledger_count(l), 2);
		CU_ASSERT_EQUAL(sf.n, 0);
	}
	ledger_replay(l, NULL);
	CU_ASSERT_EQUAL(ledger_count(l), 0);
	CU_ASSERT_EQUAL_FATAL(sf.n, 1);
	CU_ASSERT_EQUAL(sf.applied[0], 31);
	snprintf(side, sizeof(side), "%s.rejected", jpath);
	CU_ASSERT_EQUAL(access(side, R_OK), 0);
	/* a connection error is no refusal: never set aside */
	sf.refuse = NULL;
	done(l);
}

/* daemon.journal changed: the held polls move to the new file. */
static void test_journal_moved(void)
{
	struct store_poll p;
	struct ledger *l = fresh(jpath);
	struct tq_conf *nc = conf_defaults();
	const struct store_poll *q;
	struct journal *j;
	char err[256];

	poll(&p, 40, "alice");
	ledger_record(l, NULL, &p, false);
	free(p.debits);
	snprintf(jpath2, sizeof(jpath2), "%s/sub/journal2", dir);
	free(nc->journal);
	nc->journal = xstrdup(jpath2);
	ledger_set_conf(l, nc);
	CU_ASSERT_EQUAL(ledger_count(l), 1);
	j = journal_open(jpath, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL(journal_pending(j, &q), 0);	/* moved away */
	journal_close(j);
	sf.up = true;
	ledger_replay(l, NULL);
	CU_ASSERT_EQUAL_FATAL(sf.n, 1);
	CU_ASSERT_EQUAL(sf.applied[0], 40);
	ledger_free(l);
	conf_free(conf);
	l = NULL;
	conf = nc;
	done(l);
}

int main(void)
{
	static const struct tq_test tests[] = {
		{ "applied and acknowledged at once", test_applied_at_once },
		{ "held while away, replayed in order, once",
		  test_held_and_replayed },
		{ "no journal: in memory, said lost at exit",
		  test_memory_only },
		{ "refused three times: set aside", test_set_aside },
		{ "journal moved on reload", test_journal_moved },
		{ NULL, NULL }
	};
	int rc;

	if (!mkdtemp(dir))
		return 1;
	snprintf(jpath, sizeof(jpath), "%s/journal", dir);
	log_open("test_ledger", "-");
	rc = tq_test_main("ledger", tests);
	snprintf(jpath2, sizeof(jpath2), "%s/sub", dir);
	rmdir(jpath2);
	rmdir(dir);
	return rc;
}
