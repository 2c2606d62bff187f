/* journal.c - the fsynced write-ahead journal of debits.
 *
 * File layout (all integers little-endian):
 *
 *	header	"TQJRNL1\n"
 *	record	u32 magic "TQJR", u32 type, u32 length,
 *		payload[length], u32 crc32(magic .. payload)
 *	poll	u64 id, i64 when, i64 total, u32 n,
 *		n x (u16 name length, name bytes, i64 amount)
 *	ack	u64 id
 *
 * Appends are one write() and one fdatasync() of a single record, O(1)
 * whatever the file holds.  Acks are not synced: an ack lost in a crash
 * only makes the entry replay, and store_sql_apply() recognises the poll by its
 * (gateway, id) and skips it.  Once nothing is pending the file is cut
 * back to its header; a large file holding few pending entries is
 * rewritten (temporary file, fsync, rename, fsync of the directory).
 *
 * On open, a torn or corrupt record is skipped if a valid one follows it
 * (damage in the middle), else the file is truncated there (a torn tail);
 * both are logged and counted in journal_dropped().
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "journal.h"
#include "log.h"
#include "util.h"

#define J_HEADER "TQJRNL1\n"
#define J_HDRLEN 8
#define J_MAGIC 0x524a5154u	/* "TQJR" */
#define J_POLL 1u
#define J_ACK 2u
#define J_RECHDR 12
#define J_MAXPAYLOAD (16u << 20)
#define J_MAXDEBITS ((J_MAXPAYLOAD - 28) / 10)
#define J_REWRITE_MIN (256 << 10)

struct jentry {
	size_t bytes;		/* size of its record */
};

struct journal {
	char *path;
	int fd;
	off_t size;		/* bytes in the file */
	struct store_poll *pend;	/* [head, n) pending, oldest first */
	struct jentry *meta;
	size_t head, n, cap;
	size_t pend_bytes;
	size_t dropped;
};

static uint32_t crc32(uint32_t crc, const unsigned char *p, size_t n)
{
	static uint32_t table[256];
	uint32_t c;
	unsigned i, k;

	if (!table[1]) {
		for (i = 0; i < 256; i++) {
			c = i;
			for (k = 0; k < 8; k++)
				c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
	}
	crc = ~crc;
	while (n--)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = (v >> 24) & 0xff;
}

static void put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t get64(const unsigned char *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* Encode a record; returns a buffer (free it) and its length in *len. */
static unsigned char *encode(uint32_t type, const struct store_poll *p,
			     uint64_t ack_id, size_t *len)
{
	size_t plen, i, nl, off;
	unsigned char *b;

	if (type == J_ACK) {
		plen = 8;
	} else {
		plen = 28;
		for (i = 0; i < p->n_debits; i++)
			plen += 2 + strnlen(p->debits[i].name,
					    DB_NAME_BYTES - 1) + 8;
	}
	b = xmalloc(J_RECHDR + plen + 4);
	put32(b, J_MAGIC);
	put32(b + 4, type);
	put32(b + 8, (uint32_t)plen);
	off = J_RECHDR;
	if (type == J_ACK) {
		put64(b + off, ack_id);
		off += 8;
	} else {
		put64(b + off, p->id);
		put64(b + off + 8, (uint64_t)(int64_t)p->when);
		put64(b + off + 16, (uint64_t)p->total);
		put32(b + off + 24, (uint32_t)p->n_debits);
		off += 28;
		for (i = 0; i < p->n_debits; i++) {
			nl = strnlen(p->debits[i].name, DB_NAME_BYTES - 1);
			b[off] = nl & 0xff;
			b[off + 1] = (nl >> 8) & 0xff;
			memcpy(b + off + 2, p->debits[i].name, nl);
			off += 2 + nl;
			put64(b + off, (uint64_t)p->debits[i].amount);
			off += 8;
		}
	}
	put32(b + off, crc32(0, b, off));
	*len = off + 4;
	return b;
}

/* Decode a poll payload into p (debits allocated).  0 / -1. */
static int decode_poll(const unsigned char *q, size_t len, struct store_poll *p)
{
	size_t off = 28, i, nl;
	uint32_t n;

	memset(p, 0, sizeof(*p));
	if (len < 28)
		return -1;
	p->id = get64(q);
	p->when = (time_t)(int64_t)get64(q + 8);
	p->total = (long long)get64(q + 16);
	n = get32(q + 24);
	if (n > J_MAXDEBITS || (size_t)n * 10 > len - 28)
		return -1;
	p->debits = xcalloc(n + 1, sizeof(*p->debits));
	for (i = 0; i < n; i++) {
		if (len - off < 2)
			goto bad;
		nl = q[off] | (size_t)q[off + 1] << 8;
		off += 2;
		if (nl >= DB_NAME_BYTES || len - off < nl + 8 ||
		    memchr(q + off, '\0', nl))
			goto bad;
		memcpy(p->debits[i].name, q + off, nl);
		p->debits[i].name[nl] = '\0';
		off += nl;
		p->debits[i].amount = (long long)get64(q + off);
		off += 8;
	}
	if (off != len)
		goto bad;
	p->n_debits = n;
	return 0;
bad:
	free(p->debits);
	p->debits = NULL;
	return -1;
}

/* A valid record at buf[0..avail)?  Its length, or 0. */
static size_t record_ok(const unsigned char *b, size_t avail)
{
	uint32_t plen, type;

	if (avail < J_RECHDR + 4 || get32(b) != J_MAGIC)
		return 0;
	type = get32(b + 4);
	plen = get32(b + 8);
	if ((type != J_POLL && type != J_ACK) || plen > J_MAXPAYLOAD ||
	    plen > avail - J_RECHDR - 4)
		return 0;
	if (type == J_ACK && plen != 8)
		return 0;
	if (crc32(0, b, J_RECHDR + plen) != get32(b + J_RECHDR + plen))
		return 0;
	return J_RECHDR + plen + 4;
}

static ssize_t find_pending(const struct journal *j, uint64_t id)
{
	size_t i;

	for (i = j->head; i < j->n; i++)
		if (j->pend[i].id == id)
			return (ssize_t)i;
	return -1;
}

static void add_pending(struct journal *j, const struct store_poll *p,
			size_t bytes)
{
	size_t cap;

	if (j->head > 0 && j->head == j->n) {
		j->head = j->n = 0;
	} else if (j->head > 64 && j->head * 2 > j->n) {
		memmove(j->pend, j->pend + j->head,
			(j->n - j->head) * sizeof(*j->pend));
		memmove(j->meta, j->meta + j->head,
			(j->n - j->head) * sizeof(*j->meta));
		j->n -= j->head;
		j->head = 0;
	}
	cap = j->cap;
	xgrow(&j->pend, &cap, j->n + 1, sizeof(*j->pend));
	xgrow(&j->meta, &j->cap, j->n + 1, sizeof(*j->meta));
	j->pend[j->n] = *p;
	j->pend[j->n].ops = NULL;
	j->pend[j->n].n_ops = 0;
	j->meta[j->n].bytes = bytes;
	j->n++;
	j->pend_bytes += bytes;
}

static void remove_pending(struct journal *j, size_t i)
{
	free(j->pend[i].debits);
	j->pend_bytes -= j->meta[i].bytes;
	if (i == j->head) {
		j->head++;
	} else {
		memmove(j->pend + i, j->pend + i + 1,
			(j->n - i - 1) * sizeof(*j->pend));
		memmove(j->meta + i, j->meta + i + 1,
			(j->n - i - 1) * sizeof(*j->meta));
		j->n--;
	}
	if (j->head == j->n)
		j->head = j->n = 0;
}

static int fsync_dir(const char *path)
{
	char *copy = xstrdup(path);
	int fd, rc;

	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* Write the header and the pending entries to a new file and put it in
 * place of the old one.  0 / -1 (errno). */
static int rewrite(struct journal *j)
{
	size_t tl = strlen(j->path) + 5, i, len;
	char *tmp = xmalloc(tl);
	unsigned char *b;
	off_t size = J_HDRLEN;
	int fd, e;

	snprintf(tmp, tl, "%s.tmp", j->path);
	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC,
		  0600);
	if (fd < 0)
		goto err;
	if (tq_write_all(fd, J_HEADER, J_HDRLEN) < 0)
		goto err_fd;
	for (i = j->head; i < j->n; i++) {
		b = encode(J_POLL, &j->pend[i], 0, &len);
		if (tq_write_all(fd, b, len) < 0) {
			free(b);
			goto err_fd;
		}
		free(b);
		size += (off_t)len;
	}
	if (fsync(fd) < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0 ||
	    rename(tmp, j->path) < 0)
		goto err_fd;
	fsync_dir(j->path);
	close(j->fd);
	j->fd = fd;
	j->size = size;
	free(tmp);
	return 0;
err_fd:
	e = errno;
	close(fd);
	unlink(tmp);
	errno = e;
err:
	free(tmp);
	return -1;
}

/* Parse the whole file into the pending list. */
static int load(struct journal *j, char *err, size_t errlen)
{
	unsigned char *buf;
	size_t size, off, k, rl, skipped = 0;
	ssize_t r, idx;
	struct store_poll p;
	struct stat st;
	bool damaged = false;

	if (fstat(j->fd, &st) < 0)
		return tq_err(err, errlen, "journal %s: %s", j->path,
			      strerror(errno));
	size = (size_t)st.st_size;
	if (size < J_HDRLEN) {
		/* Empty, or a creation torn before its header was whole. */
		buf = xmalloc(size + 1);
		r = pread(j->fd, buf, size, 0);
		if (r != (ssize_t)size ||
		    memcmp(buf, J_HEADER, size) != 0) {
			free(buf);
			return tq_err(err, errlen, "journal %s: not a "
				      "tcpquota journal", j->path);
		}
		free(buf);
		if (ftruncate(j->fd, 0) < 0 ||
		    tq_write_all(j->fd, J_HEADER, J_HDRLEN) < 0 ||
		    fsync(j->fd) < 0)
			return tq_err(err, errlen, "journal %s: %s", j->path,
				      strerror(errno));
		j->size = J_HDRLEN;
		return 0;
	}
	buf = xmalloc(size);
	for (off = 0; off < size; off += (size_t)r) {
		r = pread(j->fd, buf + off, size - off, (off_t)off);
		if (r <= 0) {
			free(buf);
			return tq_err(err, errlen, "journal %s: reading: %s",
				      j->path, r < 0 ? strerror(errno) :
				      "file shrank");
		}
	}
	if (memcmp(buf, J_HEADER, J_HDRLEN) != 0) {
		free(buf);
		return tq_err(err, errlen, "journal %s: not a tcpquota "
			      "journal (bad header)", j->path);
	}
	off = J_HDRLEN;
	while (off < size) {
		rl = record_ok(buf + off, size - off);
		if (rl && get32(buf + off + 4) == J_POLL &&
		    decode_poll(buf + off + J_RECHDR, get32(buf + off + 8),
				&p) < 0)
			rl = 0;
		if (!rl) {
			/* Damage: resume at the next valid record, if any. */
			for (k = off + 1; k < size; k++)
				if (record_ok(buf + k, size - k))
					break;
			if (k == size)
				break;
			log_warnx("journal %s: skipped %zu damaged bytes at "
				  "offset %zu", j->path, k - off, off);
			skipped += k - off;
			damaged = true;
			off = k;
			continue;
		}
		if (get32(buf + off + 4) == J_ACK) {
			idx = find_pending(j, get64(buf + off + J_RECHDR));
			if (idx >= 0)
				remove_pending(j, (size_t)idx);
		} else if (find_pending(j, p.id) >= 0) {
			free(p.debits);
		} else {
			add_pending(j, &p, rl);
		}
		off += rl;
	}
	free(buf);
	j->size = (off_t)off;
	if (off < size) {
		log_warnx("journal %s: truncated a torn or corrupt tail of "
			  "%zu bytes at offset %zu", j->path, size - off, off);
		skipped += size - off;
		if (ftruncate(j->fd, (off_t)off) < 0 || fsync(j->fd) < 0)
			return tq_err(err, errlen, "journal %s: truncating: "
				      "%s", j->path, strerror(errno));
	}
	j->dropped = skipped;
	if (j->head == j->n && j->size > J_HDRLEN) {
		if (ftruncate(j->fd, J_HDRLEN) < 0)
			return tq_err(err, errlen, "journal %s: %s", j->path,
				      strerror(errno));
		j->size = J_HDRLEN;
	} else if (damaged && rewrite(j) < 0) {
		return tq_err(err, errlen, "journal %s: rewriting: %s",
			      j->path, strerror(errno));
	}
	return 0;
}

struct journal *journal_open(const char *path, char *err, size_t errlen)
{
	struct journal *j = xcalloc(1, sizeof(*j));
	bool created = false;

	j->path = xstrdup(path);
	j->fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC);
	if (j->fd < 0 && errno == ENOENT) {
		j->fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_EXCL |
			     O_CLOEXEC, 0600);
		created = j->fd >= 0;
	}
	if (j->fd < 0) {
		tq_err(err, errlen, "journal %s: %s", path, strerror(errno));
		goto err;
	}
	if (flock(j->fd, LOCK_EX | LOCK_NB) < 0) {
		tq_err(err, errlen, "journal %s: %s", path,
		       errno == EWOULDBLOCK ? "in use by another process" :
		       strerror(errno));
		goto err;
	}
	if (load(j, err, errlen) < 0)
		goto err;
	if (created && fsync_dir(path) < 0) {
		tq_err(err, errlen, "journal %s: syncing its directory: %s",
		       path, strerror(errno));
		goto err;
	}
	return j;
err:
	journal_close(j);
	return NULL;
}

const char *journal_path(const struct journal *j)
{
	return j->path;
}

void journal_close(struct journal *j)
{
	size_t i;

	if (!j)
		return;
	if (j->fd >= 0)
		close(j->fd);
	for (i = j->head; i < j->n; i++)
		free(j->pend[i].debits);
	free(j->pend);
	free(j->meta);
	free(j->path);
	free(j);
}

int journal_append(struct journal *j, const struct store_poll *p)
{
	struct store_poll copy;
	unsigned char *b;
	size_t len, i;
	int e;

	if (p->n_debits > J_MAXDEBITS) {
		errno = E2BIG;
		return -1;
	}
	if (find_pending(j, p->id) >= 0) {
		errno = EEXIST;
		return -1;
	}
	b = encode(J_POLL, p, 0, &len);
	if (tq_write_all(j->fd, b, len) < 0 || fdatasync(j->fd) < 0) {
		e = errno;
		free(b);
		/* No half record may stay in front of the next one. */
		if (ftruncate(j->fd, j->size) < 0)
			log_warn("journal %s: truncating after a failed "
				 "write", j->path);
		errno = e;
		return -1;
	}
	free(b);
	j->size += (off_t)len;
	copy = *p;
	copy.debits = xcalloc(p->n_debits + 1, sizeof(*copy.debits));
	for (i = 0; i < p->n_debits; i++) {
		copy.debits[i] = p->debits[i];
		copy.debits[i].name[DB_NAME_BYTES - 1] = '\0';
	}
	add_pending(j, &copy, len);
	return 0;
}

size_t journal_pending(struct journal *j, const struct store_poll **out)
{
	*out = j->n > j->head ? &j->pend[j->head] : NULL;
	return j->n - j->head;
}

int journal_ack(struct journal *j, uint64_t id)
{
	ssize_t idx = find_pending(j, id);
	unsigned char *b;
	size_t len;
	int rc;

	if (idx < 0) {
		errno = ENOENT;
		return -1;
	}
	remove_pending(j, (size_t)idx);
	if (j->head == j->n) {
		/* Nothing pending: back to the bare header. */
		if (ftruncate(j->fd, J_HDRLEN) < 0)
			return -1;
		j->size = J_HDRLEN;
		return 0;
	}
	b = encode(J_ACK, NULL, id, &len);
	rc = tq_write_all(j->fd, b, len);
	free(b);
	if (rc < 0) {
		if (ftruncate(j->fd, j->size) < 0)
			log_warn("journal %s: truncating after a failed "
				 "write", j->path);
		return -1;
	}
	j->size += (off_t)len;
	if (j->size > J_REWRITE_MIN &&
	    (off_t)j->pend_bytes * 4 < j->size && rewrite(j) < 0)
		log_warn("journal %s: compacting", j->path);
	return 0;
}

/* s quoted into b (at most cap bytes, NUL-terminated): control bytes as
 * \ooo, so a name with a newline cannot forge a line of the file. */
static void quote(char *b, size_t cap, const char *s)
{
	const unsigned char *q = (const unsigned char *)s;
	size_t o = 0;

	for (; *q && o + 5 < cap; q++) {
		if (*q < 0x20 || *q == 0x7f)
			o += (size_t)snprintf(b + o, cap - o, "\\%03o", *q);
		else if (*q == '"' || *q == '\\')
			o += (size_t)snprintf(b + o, cap - o, "\\%c", *q);
		else
			b[o++] = (char)*q;
	}
	b[o] = '\0';
}

/* One set-aside poll as text (free it). */
static char *side_text(const struct store_poll *p, const char *gateway,
		       const char *why, size_t *len)
{
	char q[DB_NAME_BYTES * 4 + 8], when[64], *b;
	size_t cap, o, i;
	struct tm tm;
	time_t w = p->when;

	cap = 512 + 2 * sizeof(q) + p->n_debits * (sizeof(q) + 40);
	b = xmalloc(cap);
	if (gmtime_r(&w, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(when, sizeof(when), "?");
	quote(q, sizeof(q), gateway);
	o = (size_t)snprintf(b, cap, "poll %016" PRIx64 "\n"
			     "  gateway \"%s\"\n"
			     "  when %lld (%s)\n"
			     "  total %lld\n", p->id, q, (long long)p->when,
			     when, p->total);
	for (i = 0; i < p->n_debits; i++) {
		quote(q, sizeof(q), p->debits[i].name);
		o += (size_t)snprintf(b + o, cap - o, "  debit \"%s\" %lld\n",
				      q, p->debits[i].amount);
	}
	quote(q, sizeof(q), why);
	o += (size_t)snprintf(b + o, cap - o, "  reason \"%s\"\nend\n", q);
	*len = o;
	return b;
}

int journal_set_aside(struct journal *j, const struct store_poll *p,
		      const char *gateway, const char *why)
{
	size_t pl = strlen(j->path) + sizeof(".rejected"), len;
	char *path = xmalloc(pl), *b;
	uint64_t id = p->id;
	bool created = false;
	int fd, e;

	snprintf(path, pl, "%s.rejected", j->path);
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL |
			  O_CLOEXEC, 0600);
		created = fd >= 0;
	}
	if (fd < 0)
		goto err;
	b = side_text(p, gateway, why, &len);
	if (tq_write_all(fd, b, len) < 0 || fdatasync(fd) < 0 ||
	    (created && fsync_dir(path) < 0)) {
		e = errno;
		free(b);
		close(fd);
		errno = e;
		goto err;
	}
	free(b);
	close(fd);
	free(path);
	if (find_pending(j, id) >= 0 && journal_ack(j, id) < 0)
		log_warn("journal %s: dropping set-aside poll %016" PRIx64,
			 j->path, id);
	return 0;
err:
	e = errno;
	free(path);
	errno = e;
	return -1;
}

size_t journal_dropped(const struct journal *j)
{
	return j->dropped;
}

size_t journal_file_size(const struct journal *j)
{
	return (size_t)j->size;
}
