/* test_ledger.c - held polls with a real journal in a temporary directory
 * and a fake store (this file defines the store_ functions ledger.c
 * uses): applied and acknowledged at once, held while the database is
 * away and replayed oldest first, each once; held in memory without a
 * journal and said lost at exit; a refused poll set aside after three
 * tries, a poll schema damage or a lock holds back never; the masq writes
 * of a poll whose debits wait written alone; the held debits per user;
 * held polls moved to a new journal on reload. */
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
	bool schema;		/* every apply fails: a table is missing */
	int fails;		/* store_failed calls */
	int acks;		/* store_ack calls with ops */
	size_t ack_ops;		/* ops they wrote */
} sf;

bool store_connected(const struct store *st)
{
	return sf.up;
}
const char *store_error(const struct store *st)
{
	return sf.refused ? "debit refused" : "fake database down";
}
bool store_refused(const struct store *st)
{
	return sf.refused;
}
void store_ack(struct store *st, const struct store_op *ops, size_t n)
{
	if (n == 0)
		return;
	sf.acks++;
	sf.ack_ops += n;
}
void store_failed(struct store *st, const char *what)
{
	sf.fails++;
}
int store_apply(struct store *st, const struct store_poll *p)
{
	size_t i;

	sf.refused = false;
	if (!sf.up || sf.schema)
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

/* Schema damage (or a lock) is no refusal: however many tries, nothing
 * is set aside; once repaired every held poll is applied, in order. */
static void test_schema_holds(void)
{
	struct store_poll p[2];
	struct ledger *l = fresh(jpath);
	char side[160];
	int k;

	poll(&p[0], 50, "alice");
	ledger_record(l, NULL, &p[0], false);
	free(p[0].debits);
	poll(&p[1], 51, "bob");
	ledger_record(l, NULL, &p[1], false);
	free(p[1].debits);
	sf.up = true;
	sf.schema = true;
	for (k = 1; k <= 10; k++) {
		ledger_replay(l, NULL);
		CU_ASSERT_EQUAL(ledger_count(l), 2);
	}
	CU_ASSERT_EQUAL(sf.fails, 10);		/* store_failed says why */
	CU_ASSERT_EQUAL(sf.n, 0);
	snprintf(side, sizeof(side), "%s.rejected", jpath);
	CU_ASSERT_NOT_EQUAL(access(side, F_OK), 0);
	sf.schema = false;
	ledger_replay(l, NULL);
	CU_ASSERT_EQUAL(ledger_count(l), 0);
	CU_ASSERT_EQUAL_FATAL(sf.n, 2);
	CU_ASSERT_EQUAL(sf.applied[0], 50);
	CU_ASSERT_EQUAL(sf.applied[1], 51);
	done(l);
}

/* A fresh poll whose debits cannot be applied (a lock, schema damage)
 * has its masq writes written alone and is held; one behind held polls
 * too. */
static void test_ops_alone(void)
{
	struct store_op ops[2];
	struct store_poll p;
	struct ledger *l = fresh(jpath);

	memset(ops, 0, sizeof(ops));
	sf.up = true;
	sf.schema = true;
	poll(&p, 60, "alice");
	p.ops = ops;
	p.n_ops = 2;
	ledger_record(l, NULL, &p, true);
	free(p.debits);
	CU_ASSERT_EQUAL(sf.acks, 1);
	CU_ASSERT_EQUAL(sf.ack_ops, 2);
	CU_ASSERT_EQUAL(ledger_count(l), 1);	/* held in the journal */
	poll(&p, 61, "alice");
	p.ops = ops;
	p.n_ops = 1;
	ledger_record(l, NULL, &p, true);	/* behind it */
	free(p.debits);
	CU_ASSERT_EQUAL(sf.acks, 2);
	CU_ASSERT_EQUAL(sf.ack_ops, 3);
	CU_ASSERT_EQUAL(ledger_count(l), 2);
	CU_ASSERT_EQUAL(sf.n, 0);
	sf.schema = false;
	ledger_replay(l, NULL);
	CU_ASSERT_EQUAL(ledger_count(l), 0);
	CU_ASSERT_EQUAL(sf.n, 2);
	done(l);
}

/* Each user's held debits summed over the journal's polls, or the ones
 * in memory; users with none at 0. */
static void test_held_sums(void)
{
	struct acct_user u[4];
	struct store_poll p;
	struct ledger *l;
	const char *who[] = { "alice", "bob", "alice", "carol" };
	size_t i;
	int k;

	for (k = 0; k < 2; k++) {
		l = fresh(k == 0 ? jpath : "");
		for (i = 0; i < 4; i++) {
			poll(&p, 70 + i, who[i]);
			p.debits[0].amount = (long long)(i + 1);
			ledger_record(l, NULL, &p, false);
			free(p.debits);
		}
		CU_ASSERT_EQUAL(ledger_in_memory(l), k == 0 ? 0 : 4);
		memset(u, 0, sizeof(u));
		u[0].name = "bob";
		u[1].name = "alice";
		u[2].name = "dave";
		u[3].held = 99;		/* no name: set to 0 */
		ledger_held_into(l, u, 4);
		CU_ASSERT_EQUAL(u[0].held, 2);
		CU_ASSERT_EQUAL(u[1].held, 1 + 3);
		CU_ASSERT_EQUAL(u[2].held, 0);
		CU_ASSERT_EQUAL(u[3].held, 0);
		sf.up = true;
		ledger_replay(l, NULL);
		ledger_held_into(l, u, 4);
		CU_ASSERT_EQUAL(u[1].held, 0);	/* applied: none held */
		done(l);
	}
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
		{ "schema damage: held, never set aside", test_schema_holds },
		{ "debits held: masq writes alone", test_ops_alone },
		{ "held debits per user", test_held_sums },
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
