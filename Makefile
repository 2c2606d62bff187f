# tcpquota - plain GNU make.  See README.md.
#
#   make            build everything into build/
#   make check      install missing Debian packages, run every test
#   make SANITIZE=1 check   the same with AddressSanitizer + UBSan
#   make install    PREFIX=/usr/local DESTDIR=

VERSION     := 0.1.0
PREFIX      ?= /usr/local
SYSCONFDIR  ?= /etc
LOCALSTATEDIR ?= /var
DESTDIR     ?=

B           := build
CC          ?= cc
PKGS        := libmnl libnftnl libmariadb libconfig jansson libsystemd
PKG_CFLAGS  := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS    := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CUNIT_LIBS  := $(shell pkg-config --libs cunit 2>/dev/null || echo -lcunit)

WARN        := -Wall -Wextra -Wshadow -Wstrict-prototypes \
	       -Wmissing-prototypes -Wformat-security -Wno-unused-parameter
CFLAGS      ?= -O2 -g
ifeq ($(CI),true)
WARN        += -Werror
endif
ifeq ($(SANITIZE),1)
CFLAGS      += -fsanitize=address,undefined -fno-omit-frame-pointer \
	       -fno-sanitize-recover=undefined
LDFLAGS     += -fsanitize=address,undefined
B           := build-san
endif
ALL_CFLAGS  := -std=gnu11 $(WARN) -fstack-protector-strong -D_GNU_SOURCE \
	       -DTQ_VERSION='"$(VERSION)"' \
	       -DTQ_SYSCONFDIR='"$(SYSCONFDIR)"' \
	       $(PKG_CFLAGS) $(CPPFLAGS) $(CFLAGS)
LIBS        := $(PKG_LIBS) -lm

LIB_SRC     := $(wildcard lib/*.c)
DAEMON_SRC  := $(filter-out daemon/main.c,$(wildcard daemon/*.c))
TOOLS_SRC   := $(filter-out tools/openhost.c tools/openfw.c tools/tcpquota.c,\
		 $(wildcard tools/*.c))
LIB_OBJ     := $(LIB_SRC:%.c=$(B)/%.o)
DAEMON_OBJ  := $(DAEMON_SRC:%.c=$(B)/%.o)
TOOLS_OBJ   := $(TOOLS_SRC:%.c=$(B)/%.o)

PROGS       := $(B)/tcpquotad $(B)/openhost $(B)/openfw $(B)/tcpquota
UNIT_SRC    := $(wildcard tests/unit/test_*.c)
UNIT_BIN    := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
HELPER_SRC  := $(wildcard tests/helpers/*.c)
HELPER_BIN  := $(HELPER_SRC:tests/helpers/%.c=$(B)/tests/%)

.PHONY: all deps check check-unit check-integration install uninstall \
	clean demo lab bench fuzz soak
.DEFAULT_GOAL := all
all: $(PROGS)

# Debian packages the build, the tests and the demo need.  Quick and silent
# when they are all present; otherwise one apt-get run installs the rest.
DEB_PKGS := build-essential pkg-config libmnl-dev libnftnl-dev libjansson-dev \
	    libsystemd-dev \
	    libmariadb-dev libconfig-dev libcunit1-dev nftables conntrack \
	    iproute2 mariadb-server mariadb-client procps psmisc \
	    util-linux bsdextrautils socat shellcheck groff-base mandoc \
	    clang libclang-rt-14-dev tmux valgrind logrotate jq tzdata
deps:
	@tests/lib/deps.sh $(DEB_PKGS)

$(B)/libtq.a: $(LIB_OBJ)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^
$(B)/libtqd.a: $(DAEMON_OBJ)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^
$(B)/libtqtools.a: $(TOOLS_OBJ)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

ALL_A := $(B)/libtqtools.a $(B)/libtqd.a $(B)/libtq.a

# Without the -dev packages every compile would fail on a missing header;
# say once what to do instead.
have-pkgs:
	@pkg-config --exists $(PKGS) || { echo "tcpquota: the build needs the\
	 Debian -dev packages of $(PKGS): run 'make deps' as root\
	 (make check and make demo install them themselves)" >&2; exit 1; }
.PHONY: have-pkgs

# Per-layer include paths: lib sees only itself, the daemon and the tools
# each see lib and themselves, so a tool reaching into a daemon header (or
# lib into either) is a compile error.  Tests and benchmarks see all.
$(B)/lib/%.o: INC := -Ilib
$(B)/daemon/%.o: INC := -Ilib -Idaemon
$(B)/tools/%.o: INC := -Ilib -Itools
INC ?= -Ilib -Idaemon -Itools

$(B)/%.o: %.c | have-pkgs
	@mkdir -p $(@D)
	$(CC) $(INC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(B)/tcpquotad: $(B)/daemon/main.o $(B)/libtqd.a $(B)/libtq.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)
$(B)/%: $(B)/tools/%.o $(B)/libtqtools.a $(B)/libtq.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

# Unit tests: one CUnit program per module, linked against every object
# except the programs' main files.
$(B)/tests/test_%: $(B)/tests/unit/test_%.o $(B)/tests/unit/tq_test.o $(ALL_A)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) $(CUNIT_LIBS)
# Helper programs for the integration tests and benchmarks.
$(B)/tests/%: $(B)/tests/helpers/%.o $(ALL_A)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

check-build: $(PROGS) $(UNIT_BIN) $(HELPER_BIN)
.PHONY: check-build

check: deps
	@$(MAKE) --no-print-directory check-build
	@B=$(B) tests/run.sh all
check-unit: deps
	@$(MAKE) --no-print-directory check-build
	@B=$(B) tests/run.sh unit
check-integration: deps
	@$(MAKE) --no-print-directory check-build
	@B=$(B) tests/run.sh integration

clean:
	rm -rf build build-san build-fuzz

-include $(shell find $(B) -name '*.d' 2>/dev/null)
-include mk/*.mk
