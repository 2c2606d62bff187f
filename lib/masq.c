/* masq.c - the names of the masq protocol codes, as the tools show them. */
#include "masq.h"

const char *masq_open_str(int open)
{
	switch (open) {
	case MASQ_CLOSED:
		return "closed";
	case MASQ_OPENED:
		return "open";
	case MASQ_REQ_OPEN:
		return "opening";
	case MASQ_REQ_CLOSE:
		return "closing";
	}
	return "?";
}

const char *masq_free_str(int free)
{
	switch (free) {
	case MASQ_PAID:
		return "paid";
	case MASQ_FREE:
		return "free";
	case MASQ_ADMIN:
		return "adm";
	}
	return "?";
}
