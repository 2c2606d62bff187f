/* test_db.c - the parts of the database module that need no server: name
 * checks, password files, errors of a failed connect.  The rest runs
 * against a real server in tests/integration/020-db.sh; the daemon's
 * queries are tested in test_store.c. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "tq_test.h"
#include "util.h"

static const char *check(const char *name)
{
	static char err[128];

	if (db_check_name(name, err, sizeof(err)) == 0)
		return "ok";
	return err;
}

static void test_names_ok(void)
{
	char buf[DB_NAME_BYTES];
	size_t i;

	CU_ASSERT_STRING_EQUAL(check("alice"), "ok");
	CU_ASSERT_STRING_EQUAL(check("a'b\"c\\d%e_f;g"), "ok");
	CU_ASSERT_STRING_EQUAL(check("Åsa Öberg"), "ok");
	CU_ASSERT_STRING_EQUAL(check("\xf0\x9f\x98\x80"), "ok");	/* U+1F600 */
	CU_ASSERT_STRING_EQUAL(check("\xf4\x8f\xbf\xbf"), "ok");	/* U+10FFFF */
	CU_ASSERT_STRING_EQUAL(check("\xc2\xa0"), "ok");	/* U+00A0 */
	/* 64 characters of 4 bytes: the longest name. */
	for (i = 0; i < 64; i++)
		memcpy(buf + 4 * i, "\xf0\x9f\x98\x80", 4);
	buf[256] = '\0';
	CU_ASSERT_STRING_EQUAL(check(buf), "ok");
	memset(buf, 'x', 64);
	buf[64] = '\0';
	CU_ASSERT_STRING_EQUAL(check(buf), "ok");
}

static void test_names_bad(void)
{
	char buf[80];

	CU_ASSERT_STRING_EQUAL(check(""), "empty name");
	memset(buf, 'x', 65);
	buf[65] = '\0';
	CU_ASSERT_STRING_EQUAL(check(buf), "longer than 64 characters");
	CU_ASSERT_STRING_EQUAL(check("a\tb"), "contains a control character");
	CU_ASSERT_STRING_EQUAL(check("a\nb"), "contains a control character");
	CU_ASSERT_STRING_EQUAL(check("\x7f"), "contains a control character");
	CU_ASSERT_STRING_EQUAL(check("\xc2\x85"), "contains a control character");
	CU_ASSERT_STRING_EQUAL(check("a\xc3"), "not valid UTF-8");
	CU_ASSERT_STRING_EQUAL(check("\xc0\xaf"), "not valid UTF-8");
	CU_ASSERT_STRING_EQUAL(check("\xe0\x80\xaf"), "not valid UTF-8");
	CU_ASSERT_STRING_EQUAL(check("\xed\xa0\x80"), "not valid UTF-8");
	CU_ASSERT_STRING_EQUAL(check("\xf4\x90\x80\x80"), "not valid UTF-8");
	CU_ASSERT_STRING_EQUAL(check("\xff"), "not valid UTF-8");
	CU_ASSERT_STRING_EQUAL(check("\x80"), "not valid UTF-8");
}

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

static void test_missing_password_file(void)
{
	struct tq_conf *c = conf_with("/nonexistent/sock",
				      "/nonexistent/db.secret");
	struct db *db = db_new(c, DB_DAEMON);

	CU_ASSERT_EQUAL(db_connect(db), -1);
	CU_ASSERT_FALSE(db_is_connected(db));
	CU_ASSERT_STRING_EQUAL(db_error(db), "cannot read password file "
			       "/nonexistent/db.secret: No such file or "
			       "directory");
	db_free(db);
	conf_free(c);
}

static void test_no_server(void)
{
	char pw[] = "/tmp/tq-test-db.XXXXXX";
	struct tq_conf *c;
	struct db *db;
	FILE *f;
	int fd;

	fd = mkstemp(pw);
	CU_ASSERT_FATAL(fd >= 0);
	f = fdopen(fd, "w");
	fputs("S3cretPassw0rd  \r\n", f);
	fclose(f);
	c = conf_with("/nonexistent/mysqld.sock", pw);
	db = db_new(c, DB_DAEMON);
	CU_ASSERT_EQUAL(db_connect(db), -1);
	CU_ASSERT_FALSE(db_is_connected(db));
	CU_ASSERT_PTR_NOT_NULL(strstr(db_error(db), "connecting to database "
				      "tcpquota as tcpquotad through socket "
				      "/nonexistent/mysqld.sock: "));
	CU_ASSERT_PTR_NULL(strstr(db_error(db), "S3cret"));
	CU_ASSERT_TRUE(db_last_transient(db));	/* no server: try later */
	/* Queries without a connection fail cleanly. */
	CU_ASSERT_EQUAL(db_exec(db, "SELECT 1", ""), -1);
	CU_ASSERT_STRING_EQUAL(db_error(db), "not connected");
	CU_ASSERT_TRUE(db_last_transient(db));
	CU_ASSERT_EQUAL(db_begin(db), -1);
	CU_ASSERT_EQUAL(db_rollback(db), 0);
	db_free(db);

	/* The other accounts use their own user and file. */
	free(c->db_tool_password_file);
	c->db_tool_password_file = xstrdup("/nonexistent/tool.secret");
	db = db_new(c, DB_TOOL);
	CU_ASSERT_EQUAL(db_connect(db), -1);
	CU_ASSERT_STRING_EQUAL(db_error(db), "cannot read password file "
			       "/nonexistent/tool.secret: No such file or "
			       "directory");
	db_free(db);
	conf_free(c);
	unlink(pw);
}

/* connect_error(CONTENT, LEN): db_connect's error with a password file
 * holding CONTENT (no server: the socket does not exist). */
static const char *connect_error(const char *content, size_t len,
				 char *pw, size_t pwlen)
{
	static char err[512];
	struct tq_conf *c;
	struct db *db;
	int fd;

	snprintf(pw, pwlen, "/tmp/tq-test-db.XXXXXX");
	fd = mkstemp(pw);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, content, len), (ssize_t)len);
	close(fd);
	c = conf_with("/nonexistent/mysqld.sock", pw);
	db = db_new(c, DB_DAEMON);
	CU_ASSERT_EQUAL(db_connect(db), -1);
	snprintf(err, sizeof(err), "%s", db_error(db));
	db_free(db);
	conf_free(c);
	unlink(pw);
	return err;
}

/* Only the line end goes: a file of a line end alone (or of nothing) is
 * empty, one of a blank is a one-character password. */
static void test_empty_password_file(void)
{
	static const struct {
		const char *content;
		size_t len;
		bool empty;
	} c[] = {
		{ "", 0, true },
		{ "\n", 1, true },
		{ "\r\n", 2, true },
		{ "\n\nsecond line", 13, true },
		{ " \n", 2, false },
		{ "\t\r\n", 3, false },
		{ " ", 1, false },
		{ "\r", 1, false },	/* a CR without LF is no line end */
	};
	char pw[64], want[128];
	const char *err;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(c); i++) {
		err = connect_error(c[i].content, c[i].len, pw, sizeof(pw));
		snprintf(want, sizeof(want), "password file %s is empty", pw);
		if (c[i].empty) {
			CU_ASSERT_STRING_EQUAL(err, want);
		} else {
			CU_ASSERT_PTR_NOT_NULL(strstr(err, "connecting to "
				"database tcpquota as tcpquotad through socket "
				"/nonexistent/mysqld.sock: "));
		}
	}
}

/* The table a statement names first, past a SET STATEMENT prefix; none
 * for a step's description. */
static void test_stmt_table(void)
{
	static const struct {
		const char *sql, *table;
	} c[] = {
		{ "INSERT INTO tcptab (name, quota) VALUES (?, 0 - ?)",
		  "tcptab" },
		{ "SET STATEMENT innodb_lock_wait_timeout = 0, "
		  "lock_wait_timeout = 0 FOR UPDATE periodtab SET quota = "
		  "quota + ? ORDER BY id DESC LIMIT 1", "periodtab" },
		{ "DELETE FROM masq WHERE gateway = ?", "masq" },
		{ "SELECT t.name, t.quota FROM tcptab t LEFT JOIN allowed a",
		  "tcptab" },
		{ "UPDATE `masq` SET `open` = ?", "masq" },
		{ "SELECT 1", "" },
		{ "replaying held polls", "" },
		{ "COMMIT", "" },
	};
	char buf[65], small[4];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(c); i++) {
		db_stmt_table(c[i].sql, buf, sizeof(buf));
		CU_ASSERT_STRING_EQUAL(buf, c[i].table);
	}
	db_stmt_table("DELETE FROM poll_applied", small, sizeof(small));
	CU_ASSERT_STRING_EQUAL(small, "pol");
}

/* What the last error was: the caller's refusal, the connection gone;
 * the lock waits by account. */
static void test_faults(void)
{
	struct tq_conf *c = conf_with("/nonexistent/sock", "/nonexistent/pw");
	struct db *db = db_new(c, DB_DAEMON), *tool;

	CU_ASSERT_EQUAL(db_last_fault(db), DB_FAULT_GONE);	/* never was */
	db_set_error(db, "debit for user \"x\": %s", "no");
	CU_ASSERT_EQUAL(db_last_fault(db), DB_FAULT_REFUSED);
	CU_ASSERT_FALSE(db_last_transient(db));
	CU_ASSERT_STRING_EQUAL(db_last_table(db), "");
	CU_ASSERT_EQUAL(db_exec(db, "UPDATE tcptab SET quota = 0", ""), -1);
	CU_ASSERT_EQUAL(db_last_fault(db), DB_FAULT_GONE);
	CU_ASSERT_TRUE(db_last_transient(db));
	/* lock waits: the daemon's 1 s, the tools' half the timeout */
	CU_ASSERT_EQUAL(db_lock_wait(db), 0);		/* timeout 1 */
	db_free(db);
	c->db_timeout = 5;
	db = db_new(c, DB_DAEMON);
	tool = db_new(c, DB_TOOL);
	CU_ASSERT_EQUAL(db_lock_wait(db), 1);
	CU_ASSERT_EQUAL(db_lock_wait(tool), 2);
	db_free(tool);
	db_free(db);
	conf_free(c);
}

static const struct tq_test tests[] = {
	{ "valid names", test_names_ok },
	{ "invalid names", test_names_bad },
	{ "missing password file", test_missing_password_file },
	{ "no server", test_no_server },
	{ "empty password file: only the line end stripped",
	  test_empty_password_file },
	{ "the table a statement names", test_stmt_table },
	{ "faults and lock waits", test_faults },
	{ NULL, NULL }
};

int main(void)
{
	return tq_test_main("db", tests);
}
