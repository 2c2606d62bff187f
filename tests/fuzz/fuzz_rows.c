/* fuzz_rows.c - libFuzzer target: masq rows the daemon did not write,
 * through the accounting core.  The input is split into NUL-separated
 * fields: host, name, open, tic, free.  No decision may open a host whose
 * text is not a valid address. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acct.h"
#include "conf.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tq_conf *conf;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *field[5] = { "", "", "", "", "" };
	struct acct_masq m = { 0 };
	struct acct_user u = { .name = "alice", .quota = 100, .allowed = true,
			       .in_tcptab = true };
	struct acct_in in = { 0 };
	struct acct_out out = { 0 };
	struct tq_addr a;
	size_t i, k = 0;
	char *p;

	if (size > 4096)
		return 0;
	if (!conf)
		conf = conf_defaults();
	buf = xmalloc(size + 1);
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (p = buf; k < 5 && p <= buf + size; p += strlen(p) + 1)
		field[k++] = p;
	m.host = field[0];
	m.name = field[1];
	m.open = atoi(field[2]);
	m.tic = strtoll(field[3], NULL, 10);
	m.free = atoi(field[4]);
	m.in_firewall = size & 1;
	m.packets = size;
	in.conf = conf;
	in.link_up = true;
	in.users = &u;
	in.n_users = 1;
	in.masq = &m;
	in.n_masq = 1;
	acct_poll(&in, &out);
	for (i = 0; i < out.n_rows; i++) {
		if (out.rows[i].fw_open &&
		    (addr_parse(m.host, &a) != 0 ||
		     !addr_equal(&a, &out.rows[i].addr)))
			__builtin_trap();
	}
	acct_out_free(&out);
	free(buf);
	return 0;
}
