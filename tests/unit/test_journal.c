/* test_journal.c - the debit journal: persistence, acks, compaction and
 * damaged files. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"
#include "tq_test.h"
#include "util.h"

static char dir[64];
static char path[128];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/tq-test-journal.XXXXXX");
	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/journal", dir);
}

static void teardown(void)
{
	char tmp[160];

	unlink(path);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	unlink(tmp);
	snprintf(tmp, sizeof(tmp), "%s.rejected", path);
	unlink(tmp);
	rmdir(tmp);
	rmdir(dir);
}

static off_t file_size(void)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

static struct journal *jopen(void)
{
	char err[256] = "";
	struct journal *j = journal_open(path, err, sizeof(err));

	if (!j)
		fprintf(stderr, "journal_open: %s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	return j;
}

/* A poll with n debits named u0.. of amounts id+i. */
static int append(struct journal *j, uint64_t id, size_t n)
{
	struct store_debit *d = xcalloc(n + 1, sizeof(*d));
	struct store_poll p;
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		snprintf(d[i].name, sizeof(d[i].name), "u%zu", i);
		d[i].amount = (long long)(id + i);
	}
	memset(&p, 0, sizeof(p));
	p.id = id;
	p.when = 1700000000 + (time_t)id;
	p.total = (long long)(id * 10);
	p.debits = d;
	p.n_debits = n;
	rc = journal_append(j, &p);
	free(d);
	return rc;
}

static void check_poll(const struct store_poll *p, uint64_t id, size_t n)
{
	size_t i;
	char name[16];

	CU_ASSERT_EQUAL(p->id, id);
	CU_ASSERT_EQUAL(p->when, 1700000000 + (time_t)id);
	CU_ASSERT_EQUAL(p->total, (long long)(id * 10));
	CU_ASSERT_EQUAL_FATAL(p->n_debits, n);
	CU_ASSERT_EQUAL(p->n_ops, 0);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "u%zu", i);
		CU_ASSERT_STRING_EQUAL(p->debits[i].name, name);
		CU_ASSERT_EQUAL(p->debits[i].amount, (long long)(id + i));
	}
}

static void test_empty(void)
{
	const struct store_poll *p;
	struct journal *j;

	setup();
	j = jopen();
	CU_ASSERT_EQUAL(journal_pending(j, &p), 0);
	CU_ASSERT_PTR_NULL(p);
	CU_ASSERT_EQUAL(file_size(), 8);
	CU_ASSERT_EQUAL(journal_dropped(j), 0);
	journal_close(j);
	j = jopen();
	CU_ASSERT_EQUAL(journal_pending(j, &p), 0);
	journal_close(j);
	teardown();
}

static void test_append_reopen(void)
{
	const struct store_poll *p;
	struct journal *j;

	setup();
	j = jopen();
	CU_ASSERT_EQUAL(append(j, 7, 3), 0);
	CU_ASSERT_EQUAL(append(j, 9, 0), 0);
	CU_ASSERT_EQUAL(append(j, 0xfedcba9876543210ull, 1), 0);
	CU_ASSERT_EQUAL(journal_pending(j, &p), 3);
	check_poll(&p[0], 7, 3);
	journal_close(j);

	j = jopen();
	CU_ASSERT_EQUAL_FATAL(journal_pending(j, &p), 3);
	check_poll(&p[0], 7, 3);
	check_poll(&p[1], 9, 0);
	check_poll(&p[2], 0xfedcba9876543210ull, 1);
	CU_ASSERT_EQUAL(journal_dropped(j), 0);
	journal_close(j);
	teardown();
}

static void test_ack(void)
{
	const struct store_poll *p;
	struct journal *j;
	off_t before;

	setup();
	j = jopen();
	CU_ASSERT_EQUAL(append(j, 1, 2), 0);
	CU_ASSERT_EQUAL(append(j, 2, 2), 0);
	CU_ASSERT_EQUAL(append(j, 3, 2), 0);
	/* Acks in any order; an unknown id is an error. */
	CU_ASSERT_EQUAL(journal_ack(j, 2), 0);
	CU_ASSERT_EQUAL(journal_ack(j, 2), -1);
	CU_ASSERT_EQUAL(journal_ack(j, 99), -1);
	CU_ASSERT_EQUAL_FATAL(journal_pending(j, &p), 2);
	check_poll(&p[0], 1, 2);
	check_poll(&p[1], 3, 2);
	journal_close(j);

	j = jopen();
	CU_ASSERT_EQUAL_FATAL(journal_pending(j, &p), 2);
	check_poll(&p[0], 1, 2);
	check_poll(&p[1], 3, 2);
	CU_ASSERT_EQUAL(journal_ack(j, 1), 0);
	before = file_size();
	CU_ASSERT(before > 8);
	/* The last ack compacts the file down to its header. */
	CU_ASSERT_EQUAL(journal_ack(j, 3), 0);
	CU_ASSERT_EQUAL(journal_pending(j, &p), 0);
	CU_ASSERT_EQUAL(file_size(), 8);
	CU_ASSERT_EQUAL(append(j, 4, 1), 0);
	journal_close(j);

	j = jopen();
	CU_ASSERT_EQUAL_FATAL(journal_pending(j, &p), 1);
	check_poll(&p[0], 4, 1);
	/* A duplicate id is refused while pending. */
	CU_ASSERT_EQUAL(append(j, 4, 1), -1);
	journal_close(j);
	teardown();
}

/* The record of one poll with one debit "u0": 12 + 28 + 2 + 2 + 8 + 4. */
#define REC1 56

static void test_torn_tail(void)
{
	const struct store_poll *p;
	struct journal *j;
	off_t full;
	size_t cut;

	for (cut = 1; cut < REC1; cut += 5) {
		setup();
		j = jopen();
		CU_ASSERT_EQUAL(append(j, 1, 1), 0);
		CU_ASSERT_EQUAL(append(j, 2, 1), 0);
		journal_close(j);
		full = file_size();
		CU_ASSERT_EQUAL(full, 8 + 2 * REC1);
		CU_ASSERT_EQUAL(truncate(path, full - (off_t)cut), 0);
		j = jopen();
		CU_ASSERT_EQUAL_FATAL(journal_pending(j, &p), 1);
		check_poll(&p[0], 1, 1);
		CU_ASSERT_EQUAL(journal_dropped(j), REC1 - cut);
		CU_ASSERT_EQUAL(file_size(), 8 + REC1);
		/* Appends go after the good part. */
		CU_ASSERT_EQUAL(append(j, 3, 1), 0);
		journal_close(j);
		j = jopen();
		CU_ASSERT_EQUAL_FATAL(journal_pending(j, &p), 2);
		check_poll(&p[0], 1, 1);
		check_poll(&p[1], 3, 1);
		CU_ASSERT_EQUAL(journal_dropped(j), 0);
		journal_close(j);
		teardown();
	}
}

static void flip(off_t off)
{
	int fd = open(path, O_RDWR);
	unsigned char c;

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(pread(fd, &c, 1, off), 1);
	c ^= 0x40;
	CU_ASSERT_EQUAL(pwrite(fd, &c, 1, off), 1);
	close(fd);
}

static void test_corrupt_checksum(void)
{
	const struct store_poll *p;
	struct journal *j;

	/* Damage in the last record: it is dropped. */
	setup();
	j = jopen();
	CU_ASSERT_EQUAL(append(j, 1, 1), 0);
	CU_ASSERT_EQUAL(append(j, 2, 1), 0);
	journal_close(j);
	flip(8 + REC1 + 30);
	j = jopen();
	CU_ASSERT_EQUAL_FATAL(journal_pending(j, &p), 1);
	check_poll(&p[0], 1, 1);
	CU_ASSERT_EQUAL(journal_dropped(j), REC1);
	journal_close(j);
	teardown();

	/* Damage in the middle: the records after it survive. */
	setup();
	j = jopen();
	CU_ASSERT_EQUAL(append(j, 1, 1), 0);
	CU_ASSERT_EQUAL(append(j, 2, 1), 0);
	CU_ASSERT_EQUAL(append(j, 3, 1), 0);
	journal_close(j);
	flip(8 + REC1 + 20);
	j = jopen();
	CU_ASSERT_EQUAL_FATAL(journal_pending(j, &p), 2);
	check_poll(&p[0], 1, 1);
	check_poll(&p[1], 3, 1);
	CU_ASSERT_EQUAL(journal_dropped(j), REC1);
	/* ... and the file was rewritten without the damage. */
	CU_ASSERT_EQUAL(file_size(), 8 + 2 * REC1);
	journal_close(j);
	j = jopen();
	CU_ASSERT_EQUAL(journal_pending(j, &p), 2);
	CU_ASSERT_EQUAL(journal_dropped(j), 0);
	journal_close(j);
	teardown();
}

static void test_not_a_journal(void)
{
	char err[256] = "";
	FILE *f;

	setup();
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("root:x:0:0:root:/root:/bin/bash\n", f);
	fclose(f);
	CU_ASSERT_PTR_NULL(journal_open(path, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a tcpquota journal"));
	/* Left alone. */
	CU_ASSERT_EQUAL(file_size(), 32);
	teardown();

	/* A torn creation (part of the header) is completed. */
	setup();
	f = fopen(path, "w");
	fputs("TQJ", f);
	fclose(f);
	{
		struct journal *j = jopen();
		const struct store_poll *p;

		CU_ASSERT_EQUAL(journal_pending(j, &p), 0);
		CU_ASSERT_EQUAL(file_size(), 8);
		journal_close(j);
	}
	teardown();
}

static void test_locked(void)
{
	char err[256] = "";
	struct journal *j;

	setup();
	j = jopen();
	CU_ASSERT_PTR_NULL(journal_open(path, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "in use by another process"));
	journal_close(j);
	teardown();
}

static void test_odd_names(void)
{
	static const char *names[] = {
		"a'b\"c", "back\\slash", "100%_;--", "Åsa Öberg",
		"\xf0\x9f\x98\x80 emoji", "tab\there", "\x01\x7f\xff",
	};
	struct store_debit d[ARRAY_SIZE(names) + 1];
	const struct store_poll *p;
	struct store_poll poll;
	struct journal *j;
	size_t i;

	memset(d, 0, sizeof(d));
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		tq_strlcpy(d[i].name, names[i], sizeof(d[i].name));
		d[i].amount = -(long long)i - 1;
	}
	/* The longest name that fits. */
	memset(d[i].name, 'x', DB_NAME_BYTES - 1);
	d[i].amount = 1LL << 62;
	memset(&poll, 0, sizeof(poll));
	poll.id = 42;
	poll.total = -5;
	poll.when = -1;
	poll.debits = d;
	poll.n_debits = ARRAY_SIZE(d);

	setup();
	j = jopen();
	CU_ASSERT_EQUAL(journal_append(j, &poll), 0);
	journal_close(j);
	j = jopen();
	CU_ASSERT_EQUAL_FATAL(journal_pending(j, &p), 1);
	CU_ASSERT_EQUAL(p->id, 42);
	CU_ASSERT_EQUAL(p->total, -5);
	CU_ASSERT_EQUAL(p->when, -1);
	CU_ASSERT_EQUAL_FATAL(p->n_debits, ARRAY_SIZE(d));
	for (i = 0; i < ARRAY_SIZE(d); i++) {
		CU_ASSERT_STRING_EQUAL(p->debits[i].name, d[i].name);
		CU_ASSERT_EQUAL(p->debits[i].amount, d[i].amount);
	}
	CU_ASSERT_EQUAL(strlen(p->debits[ARRAY_SIZE(names)].name),
			DB_NAME_BYTES - 1);
	journal_close(j);
	teardown();
}

static void test_many(void)
{
	const struct store_poll *p;
	struct journal *j;
	uint64_t id;
	size_t n;

	setup();
	j = jopen();
	for (id = 1; id <= 3000; id++)
		CU_ASSERT_EQUAL(append(j, id, 4), 0);
	/* Ack the first 2900 in order, one in the middle of the rest. */
	for (id = 1; id <= 2900; id++)
		CU_ASSERT_EQUAL(journal_ack(j, id), 0);
	CU_ASSERT_EQUAL(journal_ack(j, 2950), 0);
	n = journal_pending(j, &p);
	CU_ASSERT_EQUAL_FATAL(n, 99);
	check_poll(&p[0], 2901, 4);
	check_poll(&p[98], 3000, 4);
	journal_close(j);

	j = jopen();
	n = journal_pending(j, &p);
	CU_ASSERT_EQUAL_FATAL(n, 99);
	check_poll(&p[0], 2901, 4);
	check_poll(&p[48], 2949, 4);
	check_poll(&p[49], 2951, 4);
	check_poll(&p[98], 3000, 4);
	for (id = 2901; id <= 3000; id++)
		if (id != 2950)
			CU_ASSERT_EQUAL(journal_ack(j, id), 0);
	CU_ASSERT_EQUAL(journal_pending(j, &p), 0);
	CU_ASSERT_EQUAL(file_size(), 8);
	journal_close(j);
	teardown();
}

/* Pending entries few, acked ones many: the file is rewritten smaller. */
static void test_compaction(void)
{
	const struct store_poll *p;
	struct journal *j;
	size_t last = 0, shrunk = 0;
	uint64_t id;

	setup();
	j = jopen();
	CU_ASSERT_EQUAL(append(j, 1, 1), 0);	/* stays pending */
	/* 84 bytes per cycle (poll 56, ack 28): 4000 pass 256 KiB. */
	for (id = 2; id <= 4000; id++) {
		CU_ASSERT_EQUAL(append(j, id, 1), 0);
		CU_ASSERT_EQUAL(journal_ack(j, id), 0);
		if (journal_file_size(j) < last) {
			shrunk++;
			/* Rewritten to the header and the pending entry. */
			CU_ASSERT_EQUAL(journal_file_size(j), 8 + REC1);
		}
		last = journal_file_size(j);
	}
	CU_ASSERT_EQUAL(shrunk, 1);
	CU_ASSERT_EQUAL(journal_file_size(j), (size_t)file_size());
	CU_ASSERT_EQUAL(journal_pending(j, &p), 1);
	journal_close(j);
	j = jopen();
	CU_ASSERT_EQUAL_FATAL(journal_pending(j, &p), 1);
	check_poll(&p[0], 1, 1);
	journal_close(j);
	teardown();
}

/* The side file's whole contents ("" if absent). */
static const char *side_file(void)
{
	static char buf[4096];
	char sp[160];
	ssize_t n;
	int fd;

	snprintf(sp, sizeof(sp), "%s.rejected", path);
	buf[0] = '\0';
	fd = open(sp, O_RDONLY);
	if (fd < 0)
		return buf;
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	return buf;
}

static void test_set_aside(void)
{
	static const char want1[] =
		"poll 0000000000000007\n"
		"  gateway \"gw1\"\n"
		"  when 1700000007 (2023-11-14 22:13:27 UTC)\n"
		"  total 70\n"
		"  debit \"u0\" 7\n"
		"  debit \"u1\" 8\n"
		"  reason \"debit for user \\\"x\\001\\\": contains a control "
		"character\"\n"
		"end\n";
	static const char want2[] =
		"poll 00000000000000ff\n"
		"  gateway \"gw1\"\n"
		"  when 0 (1970-01-01 00:00:00 UTC)\n"
		"  total -3\n"
		"  debit \"a\\012b\\\"c\\\\d\\177\xc3\x85\" -3\n"
		"  reason \"r\"\n"
		"end\n";
	const struct store_poll *p;
	struct store_debit d;
	struct store_poll q;
	struct journal *j;
	char sp[160], both[sizeof(want1) + sizeof(want2)];
	struct stat st;

	setup();
	j = jopen();
	CU_ASSERT_EQUAL(append(j, 7, 2), 0);
	CU_ASSERT_EQUAL(append(j, 8, 1), 0);
	CU_ASSERT_EQUAL(journal_pending(j, &p), 2);
	/* the head, straight from the pending array */
	CU_ASSERT_EQUAL(journal_set_aside(j, &p[0], "gw1",
		"debit for user \"x\001\": contains a control character"), 0);
	CU_ASSERT_STRING_EQUAL(side_file(), want1);
	CU_ASSERT_EQUAL_FATAL(journal_pending(j, &p), 1);
	check_poll(&p[0], 8, 1);
	snprintf(sp, sizeof(sp), "%s.rejected", path);
	CU_ASSERT_EQUAL(stat(sp, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0600);
	/* a poll the journal never held (memory only): appended, nothing
	 * pending changes */
	memset(&q, 0, sizeof(q));
	memset(&d, 0, sizeof(d));
	tq_strlcpy(d.name, "a\nb\"c\\d\x7f\xc3\x85", sizeof(d.name));
	d.amount = -3;
	q.id = 0xff;
	q.total = -3;
	q.debits = &d;
	q.n_debits = 1;
	CU_ASSERT_EQUAL(journal_set_aside(j, &q, "gw1", "r"), 0);
	snprintf(both, sizeof(both), "%s%s", want1, want2);
	CU_ASSERT_STRING_EQUAL(side_file(), both);
	CU_ASSERT_EQUAL(journal_pending(j, &p), 1);
	journal_close(j);
	/* the drop of poll 7 is in the file */
	j = jopen();
	CU_ASSERT_EQUAL_FATAL(journal_pending(j, &p), 1);
	check_poll(&p[0], 8, 1);
	/* side file unwritable: -1, the poll stays pending */
	CU_ASSERT_EQUAL(unlink(sp), 0);
	CU_ASSERT_EQUAL(mkdir(sp, 0700), 0);
	CU_ASSERT_EQUAL(journal_set_aside(j, &p[0], "gw1", "r"), -1);
	CU_ASSERT_EQUAL(errno, EISDIR);
	CU_ASSERT_EQUAL(journal_pending(j, &p), 1);
	journal_close(j);
	teardown();
}

static const struct tq_test tests[] = {
	{ "empty journal", test_empty },
	{ "append and reopen", test_append_reopen },
	{ "ack, reopen, compaction to header", test_ack },
	{ "torn tail truncated", test_torn_tail },
	{ "corrupt checksum", test_corrupt_checksum },
	{ "not a journal, torn creation", test_not_a_journal },
	{ "second opener refused", test_locked },
	{ "names with odd bytes", test_odd_names },
	{ "many entries", test_many },
	{ "compaction of a large file", test_compaction },
	{ "a refused poll set aside to the side file", test_set_aside },
	{ NULL, NULL }
};

int main(void)
{
	return tq_test_main("journal", tests);
}
