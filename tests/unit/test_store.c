/* test_store.c - the daemon's store without a server: a poll refused
 * before anything is sent, the snapshot patched after a poll, which
 * settings need a new connection.  The statements themselves run against
 * a real server in tests/integration/020-db.sh and 070-ack-race.sh. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "masq.h"
#include "store.h"
#include "store_sql.h"
#include "tq_test.h"
#include "util.h"

static struct tq_conf *conf_with(const char *socket, const char *pwfile)
{
	struct tq_conf *c = conf_defaults();

	free(c->db_socket);
	c->db_socket = xstrdup(socket);
	free(c->db_password_file);
	c->db_password_file = xstrdup(pwfile);
	c->db_timeout = 1;
	return c;
}

/* A poll the database layer refuses before sending anything fails for good
 * (db_last_transient() false), connected or not: the daemon sets it aside
 * after a few tries instead of retrying it for ever. */
static void test_refused_poll(void)
{
	struct store_debit d[2];
	struct store_poll p;
	struct tq_conf *c;
	struct db *db;

	c = conf_with("/nonexistent/mysqld.sock", "/nonexistent/db.secret");
	db = db_new(c, DB_DAEMON);
	CU_ASSERT_EQUAL(db_connect(db), -1);
	memset(&p, 0, sizeof(p));
	memset(d, 0, sizeof(d));
	tq_strlcpy(d[0].name, "alice", sizeof(d[0].name));
	d[0].amount = 11;
	tq_strlcpy(d[1].name, "bad\x01name", sizeof(d[1].name));
	d[1].amount = 11;
	p.id = 42;
	p.total = 22;
	p.debits = d;
	p.n_debits = 2;
	CU_ASSERT_EQUAL(store_sql_apply(db, "gw1", &p), -1);
	CU_ASSERT_STRING_EQUAL(db_error(db), "debit for user \"bad\x01name\": "
			       "contains a control character");
	CU_ASSERT_FALSE(db_last_transient(db));
	CU_ASSERT_EQUAL(db_last_fault(db), DB_FAULT_REFUSED);
	CU_ASSERT_EQUAL(store_sql_apply(db, "", &p), -1);
	CU_ASSERT_STRING_EQUAL(db_error(db), "empty gateway id");
	CU_ASSERT_FALSE(db_last_transient(db));
	/* a valid poll goes to the server: not connected, transient */
	p.n_debits = 1;
	CU_ASSERT_EQUAL(store_sql_apply(db, "gw1", &p), -1);
	CU_ASSERT_TRUE(db_last_transient(db));
	CU_ASSERT_EQUAL(db_last_fault(db), DB_FAULT_GONE);
	db_free(db);
	conf_free(c);
}

/* An op whose host or name is not terminated is refused, not sent. */
static void test_unterminated_op(void)
{
	struct store_op op;
	struct tq_conf *c;
	struct db *db;

	c = conf_with("/nonexistent/mysqld.sock", "/nonexistent/db.secret");
	db = db_new(c, DB_DAEMON);
	memset(&op, 0, sizeof(op));
	memset(op.host, 'x', sizeof(op.host));
	CU_ASSERT_EQUAL(store_sql_ack(db, "gw1", &op, 1), -1);
	CU_ASSERT_STRING_EQUAL(db_error(db), "masq operation: host not "
			       "terminated");
	CU_ASSERT_FALSE(db_last_transient(db));
	db_free(db);
	conf_free(c);
}

/* Only the database settings call for a new connection. */
static void test_conf_changed(void)
{
	struct tq_conf *a = conf_defaults(), *b = conf_defaults();

	CU_ASSERT_FALSE(store_conf_changed(a, b));
	b->period = a->period + 1;
	CU_ASSERT_FALSE(store_conf_changed(a, b));
	b->db_timeout = a->db_timeout + 1;
	CU_ASSERT_TRUE(store_conf_changed(a, b));
	b->db_timeout = a->db_timeout;
	free(b->db_user);
	b->db_user = xstrdup("someone-else");
	CU_ASSERT_TRUE(store_conf_changed(a, b));
	conf_free(a);
	conf_free(b);
}

/* Before a first snapshot there is none; patching without one is a
 * no-op; a request pass never connects. */
static void test_no_snapshot(void)
{
	struct tq_conf *c;
	struct store_op op;
	struct store *st;

	c = conf_with("/nonexistent/mysqld.sock", "/nonexistent/db.secret");
	st = store_new(c);
	CU_ASSERT_PTR_NULL(store_snap(st));
	memset(&op, 0, sizeof(op));
	op.kind = STORE_DELETE;
	store_patch(st, &op, 1);
	CU_ASSERT_PTR_NULL(store_snap(st));
	CU_ASSERT_FALSE(store_connected(st));
	CU_ASSERT_FALSE(store_refused(st));
	store_free(st);
	conf_free(c);
}

static const struct tq_test tests[] = {
	{ "a refused poll is not transient", test_refused_poll },
	{ "an unterminated op is refused", test_unterminated_op },
	{ "which settings need a new connection", test_conf_changed },
	{ "no snapshot yet", test_no_snapshot },
	{ NULL, NULL }
};

int main(void)
{
	return tq_test_main("store", tests);
}
