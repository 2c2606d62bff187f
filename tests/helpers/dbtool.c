/* dbtool.c - a command line over lib/db.c, the daemon's statements
 * (daemon/store_sql.c) and the journal, for the database tests
 * (tests/integration/020-db.sh).
 *
 * dbtool -c CONF [-a daemon|tool|admin] [-g GATEWAY] [-j JOURNAL] CMD ...
 *   connect                    connect and print "connected"
 *   exec SQL                   db_exec, no parameters; prints affected rows
 *   query SQL [STRING...]      db_query, one 's' parameter per STRING;
 *                              rows tab-separated, NULL as \N
 *   snapshot                   "user NAME QUOTA ALLOWED IN_TCPTAB" lines,
 *                              then "masq HOST NAME OPEN TIC FREE COUNTER
 *                              CNTS TOOLONG" lines (tab-separated)
 *   apply ID TOTAL [NAME=AMOUNT...] [--update HOST FLAGS] [--delete HOST]
 *                              store_sql_apply; prints "applied" or
 *                              "duplicate" and " round_trips=N" (of the
 *                              apply alone).  FLAGS: comma list of
 *                              open=N, tic, counter, cnts=N.  Each op
 *                              carries the row as a snapshot read it
 *                              just before (as the daemon's do)
 *   masq-clear                 store_sql_clear
 *   check-name NAME            db_check_name: "ok" or the message
 *   run COUNT ID0 TOTAL NAME=AMOUNT...
 *                              like the daemon: COUNT polls with ids ID0,
 *                              ID0+1, ...; each is journalled (-j), then
 *                              the pending ones are applied in order if
 *                              the server answers (else they pile up);
 *                              at the end it waits (backoff, --deadline S)
 *                              until all are applied.  Prints "appended
 *                              ID" once the entry is fsynced.  --sleep MS
 *                              between polls
 *   replay                     apply the journal's pending entries
 *   jappend ID TOTAL NAME=AMOUNT...   journal_append only
 *   jdump                      pending entries: "ID TOTAL NAME=AMOUNT..."
 *   jack ID                    journal_ack
 * Exit status 0, or 1 with the error on stderr.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "db.h"
#include "journal.h"
#include "store_sql.h"
#include "util.h"

static const char *gateway;
static struct tq_conf *conf;
static enum db_account account = DB_DAEMON;
static const char *jpath;
static int deadline_s = 60;

static void die(const char *fmt, const char *arg)
{
	fputs("dbtool: ", stderr);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(1);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static struct db *connect_db(void)
{
	struct db *db = db_new(conf, account);

	if (db_connect(db) < 0)
		die("%s", db_error(db));
	return db;
}

static int print_cb(void *arg, unsigned ncols, char **cells)
{
	unsigned i;

	for (i = 0; i < ncols; i++)
		printf("%s%s", i ? "\t" : "", cells[i] ? cells[i] : "\\N");
	putchar('\n');
	return 0;
}

static uint64_t parse_u64(const char *s)
{
	char *end;
	uint64_t v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end)
		die("not a number: %s", s);
	return v;
}

static long long parse_ll(const char *s)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 0);
	if (errno || end == s || *end)
		die("not a number: %s", s);
	return v;
}

/* NAME=AMOUNT (the last '=' separates, names may hold '='). */
static void parse_debit(const char *arg, struct store_debit *d)
{
	const char *eq = strrchr(arg, '=');
	size_t n;

	if (!eq)
		die("expected NAME=AMOUNT: %s", arg);
	n = (size_t)(eq - arg);
	if (n >= sizeof(d->name))
		die("name too long for a struct store_debit: %s", arg);
	memset(d, 0, sizeof(*d));
	memcpy(d->name, arg, n);
	d->amount = parse_ll(eq + 1);
}

static void parse_flags(const char *s, struct store_op *op)
{
	char *copy = xstrdup(s), *tok, *save = NULL;

	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (strncmp(tok, "open=", 5) == 0) {
			op->set_open = true;
			op->open = (int)parse_ll(tok + 5);
		} else if (strcmp(tok, "tic") == 0) {
			op->tic_dec = true;
		} else if (strcmp(tok, "counter") == 0) {
			op->counter_inc = true;
		} else if (strncmp(tok, "cnts=", 5) == 0) {
			op->set_cnts = true;
			op->cnts = (int)parse_ll(tok + 5);
		} else {
			die("unknown masq flag: %s", tok);
		}
	}
	free(copy);
}

/* ID TOTAL [NAME=AMOUNT...] [--update HOST FLAGS] [--delete HOST] */
static void parse_poll(int argc, char **argv, struct store_poll *p)
{
	int i;

	if (argc < 2)
		die("%s", "expected ID TOTAL [NAME=AMOUNT...]");
	memset(p, 0, sizeof(*p));
	p->id = parse_u64(argv[0]);
	p->total = parse_ll(argv[1]);
	p->when = time(NULL);
	p->debits = xcalloc((size_t)argc, sizeof(*p->debits));
	p->ops = xcalloc((size_t)argc, sizeof(*p->ops));
	for (i = 2; i < argc; i++) {
		struct store_op *op = &p->ops[p->n_ops];

		if (strcmp(argv[i], "--update") == 0 && i + 2 < argc) {
			op->kind = STORE_UPDATE;
			tq_strlcpy(op->host, argv[i + 1], sizeof(op->host));
			parse_flags(argv[i + 2], op);
			p->n_ops++;
			i += 2;
		} else if (strcmp(argv[i], "--delete") == 0 && i + 1 < argc) {
			op->kind = STORE_DELETE;
			tq_strlcpy(op->host, argv[i + 1], sizeof(op->host));
			p->n_ops++;
			i++;
		} else {
			parse_debit(argv[i], &p->debits[p->n_debits++]);
		}
	}
}

/* Each op's seen_* from the row as it is now (none: matches nothing). */
static void seen_rows(struct db *db, struct store_poll *p)
{
	struct store_snap s;
	size_t i, k;

	if (store_sql_snapshot(db, gateway, &s) < 0)
		die("%s", db_error(db));
	for (i = 0; i < p->n_ops; i++) {
		struct store_op *op = &p->ops[i];

		op->seen_open = -1;
		for (k = 0; k < s.n_masq; k++) {
			if (strcmp(s.masq[k].host, op->host) != 0)
				continue;
			op->seen_open = s.masq[k].open;
			op->seen_tic = s.masq[k].tic;
			tq_strlcpy(op->seen_name, s.masq[k].name,
				   sizeof(op->seen_name));
			op->row = k;
		}
	}
	store_snap_free(&s);
}

static void poll_free(struct store_poll *p)
{
	free(p->debits);
	free(p->ops);
}

static struct journal *open_journal(void)
{
	char err[512];
	struct journal *j;

	if (!jpath)
		die("%s", "no journal (-j FILE)");
	j = journal_open(jpath, err, sizeof(err));
	if (!j)
		die("%s", err);
	if (journal_dropped(j))
		fprintf(stderr, "dbtool: journal: %zu damaged bytes dropped\n",
			journal_dropped(j));
	return j;
}

/* Apply the pending entries in order.  0 when none is left; 1 when the
 * server is away (the rest stays pending); -1 on an error that is not
 * about the connection. */
static int try_flush(struct db **dbp, struct journal *j, unsigned *applied,
		     unsigned *dups)
{
	const struct store_poll *p;
	uint64_t id;
	int rc;

	while (journal_pending(j, &p) > 0) {
		if (!*dbp)
			*dbp = db_new(conf, account);
		if (!db_is_connected(*dbp) && db_connect(*dbp) < 0)
			return 1;
		id = p->id;
		rc = store_sql_apply(*dbp, gateway, p);
		if (rc < 0) {
			if (!db_is_connected(*dbp))
				return 1;
			fprintf(stderr, "dbtool: apply %" PRIu64 ": %s\n", id,
				db_error(*dbp));
			return -1;
		}
		if (rc == 0)
			(*applied)++;
		else
			(*dups)++;
		if (journal_ack(j, id) < 0)
			die("journal_ack: %s", strerror(errno));
	}
	return 0;
}

/* try_flush() until nothing is pending, with backoff (50 ms doubling to
 * 1 s) while the server is away; -1 past the deadline. */
static int flush(struct db **dbp, struct journal *j, unsigned *applied,
		 unsigned *dups)
{
	time_t end = time(NULL) + deadline_s;
	long backoff = 50;
	int rc;

	while ((rc = try_flush(dbp, j, applied, dups)) == 1) {
		if (time(NULL) > end) {
			fprintf(stderr, "dbtool: giving up: %s\n",
				db_error(*dbp));
			return -1;
		}
		sleep_ms(backoff);
		backoff = backoff < 1000 ? backoff * 2 : 1000;
	}
	return rc;
}

/* Like the daemon: every poll is journalled, then whatever is pending is
 * applied if the server answers; otherwise the polls pile up in the
 * journal until it does. */
static int cmd_run(int argc, char **argv, long sleep_between)
{
	struct journal *j = open_journal();
	struct db *db = NULL;
	struct store_poll p;
	unsigned applied = 0, dups = 0;
	uint64_t count, id0, i;
	int rc = 0;

	if (argc < 3)
		die("%s", "run COUNT ID0 TOTAL NAME=AMOUNT...");
	count = parse_u64(argv[0]);
	id0 = parse_u64(argv[1]);
	parse_poll(argc - 1, argv + 1, &p);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < count; i++) {
		p.id = id0 + i;
		p.when = time(NULL);
		if (journal_append(j, &p) < 0)
			die("journal_append: %s", strerror(errno));
		printf("appended %" PRIu64 "\n", p.id);
		if (try_flush(&db, j, &applied, &dups) < 0) {
			rc = 1;
			break;
		}
		if (sleep_between)
			sleep_ms(sleep_between);
	}
	if (!rc && flush(&db, j, &applied, &dups) < 0)
		rc = 1;
	printf("done applied=%u duplicate=%u\n", applied, dups);
	poll_free(&p);
	db_free(db);
	journal_close(j);
	return rc;
}

static int cmd_snapshot(struct db *db)
{
	struct store_snap s;
	size_t i;

	if (store_sql_snapshot(db, gateway, &s) < 0)
		die("%s", db_error(db));
	for (i = 0; i < s.n_users; i++)
		printf("user\t%s\t%lld\t%d\t%d\n", s.users[i].name,
		       s.users[i].quota, s.users[i].allowed,
		       s.users[i].in_tcptab);
	for (i = 0; i < s.n_masq; i++) {
		const struct store_masq *m = &s.masq[i];

		printf("masq\t%s\t%s\t%d\t%lld\t%d\t%lld\t%d\t%d\n", m->host,
		       m->name, m->open, m->tic, m->free, m->counter, m->cnts,
		       m->host_toolong);
	}
	store_snap_free(&s);
	return 0;
}

static void usage(void)
{
	fputs("usage: dbtool -c CONF [-a daemon|tool|admin] [-g GATEWAY] "
	      "[-j JOURNAL] [--sleep MS] [--deadline S] CMD ...\n", stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *cpath = NULL, *cmd;
	char err[512];
	struct db *db;
	long sleep_between = 0;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			cpath = argv[++i];
		else if (strcmp(argv[i], "-g") == 0 && i + 1 < argc)
			gateway = argv[++i];
		else if (strcmp(argv[i], "-j") == 0 && i + 1 < argc)
			jpath = argv[++i];
		else if (strcmp(argv[i], "--sleep") == 0 && i + 1 < argc)
			sleep_between = parse_ll(argv[++i]);
		else if (strcmp(argv[i], "--deadline") == 0 && i + 1 < argc)
			deadline_s = (int)parse_ll(argv[++i]);
		else if (strcmp(argv[i], "-a") == 0 && i + 1 < argc) {
			i++;
			if (strcmp(argv[i], "tool") == 0)
				account = DB_TOOL;
			else if (strcmp(argv[i], "admin") == 0)
				account = DB_ADMIN;
			else if (strcmp(argv[i], "daemon") == 0)
				account = DB_DAEMON;
			else
				usage();
		} else {
			usage();
		}
	}
	if (i >= argc)
		usage();
	cmd = argv[i++];
	argc -= i;
	argv += i;

	if (strcmp(cmd, "check-name") == 0) {
		if (argc != 1)
			usage();
		if (db_check_name(argv[0], err, sizeof(err)) < 0) {
			printf("%s\n", err);
			return 1;
		}
		puts("ok");
		return 0;
	}
	if (strcmp(cmd, "jappend") == 0 || strcmp(cmd, "jdump") == 0 ||
	    strcmp(cmd, "jack") == 0) {
		struct journal *j = open_journal();
		const struct store_poll *p;
		struct store_poll np;
		size_t n, k, d;

		if (strcmp(cmd, "jappend") == 0) {
			parse_poll(argc, argv, &np);
			if (journal_append(j, &np) < 0)
				die("journal_append: %s", strerror(errno));
			poll_free(&np);
		} else if (strcmp(cmd, "jack") == 0) {
			if (argc != 1)
				usage();
			if (journal_ack(j, parse_u64(argv[0])) < 0)
				die("journal_ack: %s", strerror(errno));
		} else {
			n = journal_pending(j, &p);
			for (k = 0; k < n; k++) {
				printf("%" PRIu64 " %lld", p[k].id, p[k].total);
				for (d = 0; d < p[k].n_debits; d++)
					printf(" %s=%lld", p[k].debits[d].name,
					       p[k].debits[d].amount);
				putchar('\n');
			}
		}
		journal_close(j);
		return 0;
	}

	if (!cpath)
		usage();
	conf = conf_load(cpath, err, sizeof(err));
	if (!conf)
		die("%s", err);
	if (!gateway)
		gateway = conf->gateway;

	if (strcmp(cmd, "run") == 0 || strcmp(cmd, "replay") == 0) {
		int rc;

		if (strcmp(cmd, "run") == 0) {
			rc = cmd_run(argc, argv, sleep_between);
		} else {
			struct journal *j = open_journal();
			unsigned applied = 0, dups = 0;

			db = NULL;
			rc = flush(&db, j, &applied, &dups) < 0;
			printf("replayed applied=%u duplicate=%u\n", applied,
			       dups);
			db_free(db);
			journal_close(j);
		}
		conf_free(conf);
		return rc;
	}

	db = connect_db();
	if (strcmp(cmd, "connect") == 0) {
		puts("connected");
	} else if (strcmp(cmd, "exec") == 0 && argc == 1) {
		long long n = db_exec(db, argv[0], "");

		if (n < 0)
			die("%s", db_error(db));
		printf("%lld\n", n);
	} else if (strcmp(cmd, "query") == 0 && argc >= 1 && argc <= 5) {
		char types[8] = "";
		int k;

		for (k = 1; k < argc; k++)
			types[k - 1] = 's';
		if (db_query(db, print_cb, NULL, argv[0], types,
			     argc > 1 ? argv[1] : NULL,
			     argc > 2 ? argv[2] : NULL,
			     argc > 3 ? argv[3] : NULL,
			     argc > 4 ? argv[4] : NULL) < 0)
			die("%s", db_error(db));
	} else if (strcmp(cmd, "snapshot") == 0) {
		cmd_snapshot(db);
	} else if (strcmp(cmd, "apply") == 0) {
		struct store_poll p;
		uint64_t rt;
		int rc;

		parse_poll(argc, argv, &p);
		seen_rows(db, &p);
		rt = db_round_trips(db);
		rc = store_sql_apply(db, gateway, &p);
		poll_free(&p);
		if (rc < 0)
			die("%s", db_error(db));
		printf("%s round_trips=%" PRIu64 "\n",
		       rc ? "duplicate" : "applied", db_round_trips(db) - rt);
	} else if (strcmp(cmd, "masq-clear") == 0) {
		if (store_sql_clear(db, gateway) < 0)
			die("%s", db_error(db));
	} else {
		usage();
	}
	db_free(db);
	conf_free(conf);
	return 0;
}
