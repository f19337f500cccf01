# blockd: build, install, test.  `make help` lists the targets.

VERSION    := $(shell cat VERSION)
PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
# Data files go where the programs look for them, whatever PREFIX is.
DATADIR    ?= /usr/share
SYSCONFDIR ?= /etc
DESTDIR    ?=

CC      ?= cc
B       ?= build
PKGS    := libmnl libnftnl libnetfilter_queue libnetfilter_log ldns libcrypto
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
HARDEN  := -fstack-protector-strong -fstack-clash-protection -fPIE -D_FORTIFY_SOURCE=2 -fcf-protection
OPT     ?= -O2 -g
CFLAGS  ?=
CFLAGS  += -std=gnu11 $(OPT) $(WARN) $(HARDEN) -pthread
CPPFLAGS += -D_GNU_SOURCE -DBLOCKD_VERSION='"$(VERSION)"' -Iblockd -Irules \
	    -I/usr/include/iniparser $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDFLAGS += -pie -Wl,-z,relro,-z,now -Wl,--as-needed -pthread
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -liniparser -lm -lcap -lseccomp

# Every .c under blockd/*/ and rules/ is library code, except the programs' mains.
MAINS        := blockd/daemon/main.c blockd/daemon/blockctl.c rules/blockrules.c rules/witness.c
RULES_SRC    := $(filter-out $(MAINS),$(wildcard rules/*.c))
BLOCKD_SRC   := $(filter-out $(MAINS),$(wildcard blockd/*/*.c))
RULES_OBJ    := $(RULES_SRC:%.c=$(B)/obj/%.o)
BLOCKD_OBJ   := $(BLOCKD_SRC:%.c=$(B)/obj/%.o)
UNIT_SRC     := $(wildcard tests/unit/*.c)
BENCH_SRC    := $(wildcard tests/bench/*.c)
PROGS        := $(B)/blockd $(B)/blockctl $(B)/blockrules $(B)/blockd-witness
MANPAGES     := $(wildcard man/*.[1-8])

.PHONY: all install uninstall check check-unit check-asan check-integration check-man \
	deps demo bench clean help check-fresh format check-format lint deb fuzz fuzz-build check-fuzz \
	check-alerts

all: $(PROGS) ## build blockd, blockctl, blockrules and blockd-witness into build/

# Before the first compile: name what is missing and the one command that installs it.
$(B)/.deps-build $(B)/.deps-unit: tests/lib/deps.sh
	@sh tests/lib/deps.sh --check $(subst .deps-,,$(@F))
	@mkdir -p $(@D); touch $@

$(B)/obj/%.o: %.c | $(B)/.deps-build
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(B)/librules.a: $(RULES_OBJ)
	@rm -f $@; $(AR) rcs $@ $^
$(B)/libblockd.a: $(BLOCKD_OBJ)
	@rm -f $@; $(AR) rcs $@ $^

LIBS := $(B)/libblockd.a $(B)/librules.a
$(B)/blockd: $(B)/obj/blockd/daemon/main.o $(LIBS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(B)/blockctl: $(B)/obj/blockd/daemon/blockctl.o $(LIBS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(B)/blockrules: $(B)/obj/rules/blockrules.o $(LIBS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(B)/blockd-witness: $(B)/obj/rules/witness.o $(LIBS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Unit tests: one Criterion binary over all of tests/unit/.
$(B)/unit: $(UNIT_SRC:%.c=$(B)/obj/%.o) $(LIBS) | $(B)/.deps-unit
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcriterion

# Benchmarks: one binary per tests/bench/*.c.
$(B)/bench/%: $(B)/obj/tests/bench/%.o $(LIBS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

install: all ## install programs, man pages and example config (DESTDIR, PREFIX)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR)
	install -m 0755 $(B)/blockd $(DESTDIR)$(SBINDIR)/blockd
	install -m 0755 $(B)/blockctl $(DESTDIR)$(SBINDIR)/blockctl
	install -m 0755 $(B)/blockrules $(DESTDIR)$(BINDIR)/blockrules
	install -m 0755 $(B)/blockd-witness $(DESTDIR)$(BINDIR)/blockd-witness
	for m in $(MANPAGES); do s=$${m##*.}; install -d $(DESTDIR)$(MANDIR)/man$$s; \
		install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done
	for d in blockd blockrules; do install -d $(DESTDIR)$(DATADIR)/$$d; \
		install -m 0644 packaging/shared-infrastructure $(DESTDIR)$(DATADIR)/$$d/; done
	install -d $(DESTDIR)$(DATADIR)/blockd/prometheus
	install -m 0644 packaging/blockd-alerts.yml $(DESTDIR)$(DATADIR)/blockd/prometheus/
	if [ -f packaging/blockd.conf ]; then install -d $(DESTDIR)$(SYSCONFDIR)/blockd; \
		install -m 0644 packaging/blockd.conf $(DESTDIR)$(SYSCONFDIR)/blockd/blockd.conf.example; fi

uninstall: ## remove what install put in place
	rm -f $(DESTDIR)$(SBINDIR)/blockd $(DESTDIR)$(SBINDIR)/blockctl $(DESTDIR)$(BINDIR)/blockrules \
		$(DESTDIR)$(BINDIR)/blockd-witness
	for m in $(MANPAGES); do s=$${m##*.}; rm -f $(DESTDIR)$(MANDIR)/man$$s/$${m##*/}; done
	rm -f $(DESTDIR)$(SYSCONFDIR)/blockd/blockd.conf.example
	rm -f $(DESTDIR)$(DATADIR)/blockd/shared-infrastructure \
		$(DESTDIR)$(DATADIR)/blockrules/shared-infrastructure
	rm -f $(DESTDIR)$(DATADIR)/blockd/prometheus/blockd-alerts.yml

deb: ## Debian packages blockd and blockrules into build/deb/ (needs: sudo apt-get build-dep ./)
	@sh tests/lib/deps.sh --check deb
	@dpkg-checkbuilddeps || { echo "make deb: install the build dependencies with: sudo apt-get build-dep ./"; exit 1; }
	@rm -rf build/deb; mkdir -p build/deb
	a=$$(dpkg --print-architecture); DEB_OUTDIR=build/deb dpkg-buildpackage -us -uc -b -tc \
		--changes-option=-ubuild/deb --changes-file=build/deb/blockd_$(VERSION)_$$a.changes \
		--buildinfo-option=-ubuild/deb --buildinfo-file=build/deb/blockd_$(VERSION)_$$a.buildinfo

deps: ## install build and test dependencies (root, Debian 12)
	@sh tests/lib/deps.sh

check: deps ## everything a contributor keeps green: lint, unit, sanitizers, fuzz, man, integration
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory check-unit
	@$(MAKE) --no-print-directory check-asan
	@$(MAKE) --no-print-directory check-fuzz
	@$(MAKE) --no-print-directory check-man
	@$(MAKE) --no-print-directory check-alerts
	@$(MAKE) --no-print-directory check-integration

check-unit: $(B)/unit ## Criterion unit tests
	cd tests/unit && ../../$(B)/unit --jobs=2

check-asan: ## unit tests under AddressSanitizer and UndefinedBehaviorSanitizer
	@$(MAKE) --no-print-directory B=build/asan CC=clang \
		OPT='-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer' \
		LDFLAGS='-fsanitize=address,undefined -pthread' build/asan/unit
	cd tests/unit && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		../../build/asan/unit --jobs=2

# Fuzzing: each tests/fuzz/fuzz_NAME.c becomes build/fuzz/fuzz_NAME (libFuzzer, ASan, UBSan),
# run by tests/fuzz/run.sh on a copy of tests/fuzz/corpus/NAME/.
FUZZ_SRC     := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_SECONDS ?= 60
$(B)/fuzz_%: $(B)/obj/tests/fuzz/fuzz_%.o $(LIBS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

fuzz-build:
	@$(MAKE) --no-print-directory B=build/fuzz CC=clang \
		OPT='-O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer' \
		LDFLAGS='-fsanitize=fuzzer,address,undefined -pthread' \
		$(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)

fuzz: fuzz-build ## every fuzz harness for FUZZ_SECONDS (default 60) each, 2 at a time
	@sh tests/fuzz/run.sh $(FUZZ_SECONDS)

check-fuzz: fuzz-build ## every fuzz harness briefly (10 s each) on its seed corpus
	@sh tests/fuzz/run.sh 10

check-man: ## mandoc -Tlint and groff warnings on every man page
	@for m in $(MANPAGES); do mandoc -Tlint -Wwarning $$m || exit 1; \
		w=$$(LC_ALL=C.UTF-8 groff -mandoc -Tutf8 -ww -z $$m 2>&1); \
		if [ -n "$$w" ]; then echo "$$m: groff: $$w"; exit 1; fi; done; \
		echo "man: $(words $(MANPAGES)) pages lint clean"

check-alerts: ## promtool check and test the shipped Prometheus alerts; their metrics are blockd's
	@sh tests/lib/check-alerts.sh

check-integration: all ## network-namespace integration tests (root)
	@sh tests/integration/run.sh

check-fresh: ## the README's commands and `make deb` in a minimal Debian 12 root (root, about 25 minutes)
	@sh tests/check-fresh.sh

demo: deps all ## a blocked and an allowed lookup and request, in namespaces (root)
	@sh tests/demo.sh

bench: deps all $(BENCH_SRC:tests/bench/%.c=$(B)/bench/%) ## benchmarks through namespaced appliances (root, about 5 minutes)
	@sh tests/bench/run.sh

C_FILES = $(wildcard blockd/*/*.[ch] rules/*.[ch] tests/*/*.[ch])

format: ## reformat every C file with clang-format (.clang-format)
	clang-format -i $(C_FILES)

check-format: ## fail on any C file clang-format would change
	@bad=$$(for f in $(C_FILES); do clang-format $$f | cmp -s - $$f || echo $$f; done); \
	if [ -n "$$bad" ]; then echo "not formatted:" $$bad; echo "fix with: make format"; exit 1; fi

LINT_SRC = $(wildcard blockd/*/*.c rules/*.c)

lint: check-format ## formatting, cppcheck, clang-tidy (.clang-tidy), ARCHITECTURE.md; zero findings
	cppcheck --enable=warning,portability,performance --std=c11 --error-exitcode=1 \
		--inline-suppr --quiet --suppress=missingIncludeSystem \
		-D_GNU_SOURCE -Iblockd -Irules -I/usr/include/iniparser blockd rules
	printf '%s\n' $(LINT_SRC) | xargs -P 2 -I{} clang-tidy --quiet {} \
		-- -std=gnu11 $(CPPFLAGS) 2>/dev/null
	sh tests/lib/check-architecture.sh
	@echo "lint: clean"

compile_commands.json: ## compilation database for editors and clang tools (bear)
	$(MAKE) clean
	bear -- $(MAKE) all $(B)/unit

clean: ## remove build/
	rm -rf build

help: ## list the targets
	@grep -hE '^[a-z_.-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 20

-include $(shell find $(B) -name '*.d' 2>/dev/null)
