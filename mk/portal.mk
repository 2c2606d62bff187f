# portal.mk - tcpquota-portal, the web login (portal/, man/tcpquota-portal.8).
#
#   make              builds $(B)/tcpquota-portal with the rest
#   make check        its unit test (tests/unit/test_portal.c) and its
#                     integration tests (tests/integration/05x-portal*)
#
# The portal sees lib/, tools/ and its own headers: it writes masq rows
# through the tools' layers (libtqtools.a), never the daemon's.

PORTAL_PKGS     := libmicrohttpd gnutls
PORTAL_CFLAGS   := $(shell pkg-config --cflags $(PORTAL_PKGS) 2>/dev/null)
PORTAL_LIBS     := $(shell pkg-config --libs $(PORTAL_PKGS) 2>/dev/null) \
		   -lpam -lpthread
# The sanitizer runtime resolves the real crypt() when the program starts;
# pam_unix brings libcrypt in only later (dlopen), so its call went through
# the runtime's interceptor to a NULL pointer (SEGV in the PAM helper).
# Loaded from the start, libcrypt is found.
ifeq ($(SANITIZE),1)
PORTAL_LIBS     += -Wl,--no-as-needed -lcrypt -Wl,--as-needed
endif
PORTAL_SRC      := $(filter-out portal/main.c,$(wildcard portal/*.c))
PORTAL_OBJ      := $(PORTAL_SRC:%.c=$(B)/%.o)

# Debian packages: the libraries, and what the browser test drives.
DEB_PKGS += libmicrohttpd-dev libgnutls28-dev libpam0g-dev chromium \
	    chromium-driver python3-selenium curl openssl

$(B)/portal/%.o: INC := -Ilib -Itools -Iportal
$(B)/portal/%.o: ALL_CFLAGS += $(PORTAL_CFLAGS) -pthread

$(B)/libtqportal.a: $(PORTAL_OBJ)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

$(B)/tcpquota-portal: $(B)/portal/main.o $(B)/libtqportal.a \
		      $(B)/libtqtools.a $(B)/libtq.a
	$(CC) $(LDFLAGS) -pthread -o $@ $^ $(LIBS) $(PORTAL_LIBS)

# Its unit test links the portal's objects too.
$(B)/tests/test_portal: $(B)/tests/unit/test_portal.o \
			$(B)/tests/unit/tq_test.o $(B)/libtqportal.a $(ALL_A)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -pthread -o $@ $^ $(LIBS) $(PORTAL_LIBS) \
		$(CUNIT_LIBS)
$(B)/tests/unit/test_portal.o: INC := -Ilib -Idaemon -Itools -Iportal

all: $(B)/tcpquota-portal
check-build: $(B)/tcpquota-portal

# make install / uninstall: the program, its unit and SysV script, its PAM
# service (an existing one is kept: sites edit it for LDAP/SSSD); the man
# page goes with the others (install.mk).
PAMDIR ?= $(SYSCONFDIR)/pam.d

.PHONY: install-portal uninstall-portal
install: install-portal
uninstall: uninstall-portal
install-portal: $(B)/tcpquota-portal
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(SYSTEMDUNITDIR) \
		$(DESTDIR)$(SYSCONFDIR)/init.d $(DESTDIR)$(PAMDIR)
	$(INSTALL) -m 0755 $(B)/tcpquota-portal \
		$(DESTDIR)$(SBINDIR)/tcpquota-portal
	$(TQ_SUBST) init/tcpquota-portal.service \
		>$(DESTDIR)$(SYSTEMDUNITDIR)/tcpquota-portal.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/tcpquota-portal.service
	$(TQ_SUBST) init/tcpquota-portal.init \
		>$(DESTDIR)$(SYSCONFDIR)/init.d/tcpquota-portal
	chmod 0755 $(DESTDIR)$(SYSCONFDIR)/init.d/tcpquota-portal
	if [ -e $(DESTDIR)$(PAMDIR)/tcpquota-portal ]; then \
		echo "keeping existing $(DESTDIR)$(PAMDIR)/tcpquota-portal"; \
	else \
		$(INSTALL) -m 0644 init/tcpquota-portal.pam \
			$(DESTDIR)$(PAMDIR)/tcpquota-portal; \
	fi

uninstall-portal:
	rm -f $(DESTDIR)$(SBINDIR)/tcpquota-portal \
		$(DESTDIR)$(SYSTEMDUNITDIR)/tcpquota-portal.service \
		$(DESTDIR)$(SYSCONFDIR)/init.d/tcpquota-portal \
		$(DESTDIR)$(PAMDIR)/tcpquota-portal
