# make install / make uninstall  (PREFIX, SYSCONFDIR, DESTDIR from Makefile)
#
#   $(PREFIX)/sbin     tcpquotad, tcpquota-setup-db, tcpquota-health
#   $(PREFIX)/bin      openhost, openfw, tcpquota  (setgid tcpquota when
#                      installed by root without DESTDIR)
#   $(PREFIX)/share/man/man{1,5,8}
#   $(PREFIX)/share/tcpquota/sql   schema, grants, migrations
#   $(SYSCONFDIR)/tcpquota         tcpquota.conf, message files (an existing
#                                  file is never overwritten)
#   $(SYSTEMDUNITDIR)/tcpquotad.service
#   $(SYSCONFDIR)/init.d/tcpquotad, cron.weekly/tcpquotad,
#   logrotate.d/tcpquotad
#
# uninstall removes all of it except the configuration directory.

BINDIR         ?= $(PREFIX)/bin
SBINDIR        ?= $(PREFIX)/sbin
MANDIR         ?= $(PREFIX)/share/man
DATADIR        ?= $(PREFIX)/share/tcpquota
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
TQ_GROUP       ?= tcpquota
INSTALL        ?= install

TQ_CONFDIR     := $(SYSCONFDIR)/tcpquota
TOOL_PROGS     := openhost openfw tcpquota
SBIN_SCRIPTS   := scripts/tcpquota-setup-db init/tcpquota-health
MAN_PAGES      := $(wildcard man/*.[158])
CONF_FILES     := $(filter-out %~,$(wildcard conf/tcpquota.conf \
		  conf/tcpquota.conf.debug conf/*.txt))
SQL_FILES      := $(shell find sql -type f ! -name '*~' 2>/dev/null | sort)

# Fill in the installed paths.
TQ_SUBST = sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@BINDIR@|$(BINDIR)|g' \
	       -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' -e 's|@DATADIR@|$(DATADIR)|g'

# setgid only for a real install by root: a DESTDIR tree is packaged or
# tested, and a non-root user cannot set the group.
TQ_SETGID := $(if $(DESTDIR),,$(if $(filter 0,$(shell id -u)),yes))

.PHONY: install-progs install-data install-init
install: install-progs install-data install-init
	@echo "installed under $(DESTDIR)$(PREFIX); next, once: $(SBINDIR)/tcpquota-setup-db"

install-progs: $(PROGS)
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR)
	$(INSTALL) -m 0755 $(B)/tcpquotad $(DESTDIR)$(SBINDIR)/tcpquotad
	for f in $(SBIN_SCRIPTS); do \
		$(TQ_SUBST) $$f >$(DESTDIR)$(SBINDIR)/$${f##*/}.tmp && \
		chmod 0755 $(DESTDIR)$(SBINDIR)/$${f##*/}.tmp && \
		mv -f $(DESTDIR)$(SBINDIR)/$${f##*/}.tmp \
			$(DESTDIR)$(SBINDIR)/$${f##*/} || exit 1; \
	done
ifeq ($(TQ_SETGID),yes)
	getent group $(TQ_GROUP) >/dev/null || groupadd --system $(TQ_GROUP)
	for p in $(TOOL_PROGS); do \
		$(INSTALL) -m 2755 -o root -g $(TQ_GROUP) $(B)/$$p \
			$(DESTDIR)$(BINDIR)/$$p || exit 1; \
	done
else
	for p in $(TOOL_PROGS); do \
		$(INSTALL) -m 0755 $(B)/$$p $(DESTDIR)$(BINDIR)/$$p || exit 1; \
	done
	@echo "note: $(TOOL_PROGS) installed mode 0755, not setgid $(TQ_GROUP)" \
	      "(DESTDIR set or not root); as root on the target run:" \
	      "chgrp $(TQ_GROUP) $(addprefix $(BINDIR)/,$(TOOL_PROGS)) &&" \
	      "chmod 2755 $(addprefix $(BINDIR)/,$(TOOL_PROGS))"
endif

install-data:
	$(INSTALL) -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DATADIR) \
		$(DESTDIR)$(TQ_CONFDIR)
	for m in $(MAN_PAGES); do \
		$(INSTALL) -m 0644 $$m \
			$(DESTDIR)$(MANDIR)/man$${m##*.}/$${m##*/} || exit 1; \
	done
	for f in $(SQL_FILES); do \
		$(INSTALL) -d $(DESTDIR)$(DATADIR)/$${f%/*} && \
		case $$f in \
		*.sh) $(INSTALL) -m 0755 $$f $(DESTDIR)$(DATADIR)/$$f ;; \
		*) $(INSTALL) -m 0644 $$f $(DESTDIR)$(DATADIR)/$$f ;; \
		esac || exit 1; \
	done
	for f in $(CONF_FILES); do \
		t=$(DESTDIR)$(TQ_CONFDIR)/$${f##*/}; \
		if [ -e $$t ]; then \
			echo "keeping existing $$t"; \
		else \
			$(INSTALL) -m 0644 $$f $$t || exit 1; \
		fi; \
	done

install-init:
	$(INSTALL) -d $(DESTDIR)$(SYSTEMDUNITDIR) \
		$(DESTDIR)$(SYSCONFDIR)/init.d \
		$(DESTDIR)$(SYSCONFDIR)/cron.weekly \
		$(DESTDIR)$(SYSCONFDIR)/logrotate.d
	$(TQ_SUBST) init/tcpquotad.service \
		>$(DESTDIR)$(SYSTEMDUNITDIR)/tcpquotad.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/tcpquotad.service
	$(TQ_SUBST) init/tcpquotad.init >$(DESTDIR)$(SYSCONFDIR)/init.d/tcpquotad
	chmod 0755 $(DESTDIR)$(SYSCONFDIR)/init.d/tcpquotad
	$(INSTALL) -m 0755 init/tcpquotad.cron.weekly \
		$(DESTDIR)$(SYSCONFDIR)/cron.weekly/tcpquotad
	$(INSTALL) -m 0644 init/tcpquotad.logrotate \
		$(DESTDIR)$(SYSCONFDIR)/logrotate.d/tcpquotad

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/tcpquotad \
		$(addprefix $(DESTDIR)$(SBINDIR)/,$(notdir $(SBIN_SCRIPTS))) \
		$(addprefix $(DESTDIR)$(BINDIR)/,$(TOOL_PROGS)) \
		$(foreach m,$(MAN_PAGES),\
		  $(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(m)))/$(notdir $(m))) \
		$(DESTDIR)$(SYSTEMDUNITDIR)/tcpquotad.service \
		$(DESTDIR)$(SYSCONFDIR)/init.d/tcpquotad \
		$(DESTDIR)$(SYSCONFDIR)/cron.weekly/tcpquotad \
		$(DESTDIR)$(SYSCONFDIR)/logrotate.d/tcpquotad
	rm -rf $(DESTDIR)$(DATADIR)
	@echo "kept $(DESTDIR)$(TQ_CONFDIR) (configuration and credentials)"
