# libFuzzer targets (clang), built apart from the gcc objects.
#   make fuzz             run each target for FUZZ_SECONDS (default 60)
#   make fuzz-smoke       run each for a few seconds (part of make check)
#   FUZZ_B=DIR            build them in DIR (default build-fuzz)
FUZZ_B       ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_CC      := clang
FUZZ_CFLAGS  := -std=gnu11 -g -O1 -D_GNU_SOURCE -DTQ_VERSION='"$(VERSION)"' \
		-DTQ_SYSCONFDIR='"$(SYSCONFDIR)"' -Ilib -Idaemon -Iportal \
		$(PKG_CFLAGS) -fsanitize=fuzzer,address,undefined
FUZZ_SRC     := lib/addr.c $(wildcard lib/conf*.c) lib/util.c lib/log.c \
		daemon/scan.c daemon/scanagg.c daemon/acct.c daemon/ct.c \
		portal/parse.c
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,$(FUZZ_B)/%,\
		  $(wildcard tests/fuzz/fuzz_*.c))

$(FUZZ_B)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_SRC) $(wildcard lib/*.h daemon/*.h portal/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_SRC) $(PKG_LIBS) -lm

.PHONY: fuzz fuzz-build fuzz-smoke
fuzz-build: deps
	@$(MAKE) --no-print-directory $(FUZZ_TARGETS)
fuzz: fuzz-build
	@tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)
fuzz-smoke: fuzz-build
	@tests/fuzz/run.sh 5 $(FUZZ_TARGETS)
