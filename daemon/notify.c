/* notify.c - telling systemd how the daemon is (sd_notify(3)).
 *
 * Under Type=notify, systemd counts the start as done at READY=1 (after
 * the table is built), shows a reload between RELOADING=1 and READY=1,
 * and with WatchdogSec restarts a daemon whose loop stops sending
 * WATCHDOG=1: the loop sends it from a timer of its own, so a handler
 * stuck in a call stops it.
 */
#include <stdio.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "notify.h"

void notify_ready(void)
{
	sd_notify(0, "READY=1");
}

void notify_reloading(void)
{
	struct timespec ts;
	char msg[64];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)ts.tv_sec * 1000000ULL +
		 (unsigned long long)ts.tv_nsec / 1000ULL);
	sd_notify(0, msg);
}

void notify_stopping(void)
{
	sd_notify(0, "STOPPING=1");
}

unsigned notify_watchdog_ms(void)
{
	uint64_t usec = 0;

	if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return 0;
	usec /= 2000;		/* half the interval, in ms */
	return usec ? (unsigned)(usec > 3600000 ? 3600000 : usec) : 1;
}

void notify_watchdog(void)
{
	sd_notify(0, "WATCHDOG=1");
}
