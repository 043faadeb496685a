# pam_unified — build, test, install, demo.
# `make check` and `make demo` install missing Debian packages themselves
# (when run as root), then build and run.

CC       ?= gcc
PREFIX   ?= /usr
DESTDIR  ?=
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)
PAMDIR   ?= $(or $(wildcard /lib/$(MULTIARCH)/security),$(wildcard /usr/lib/$(MULTIARCH)/security),/usr/lib/$(MULTIARCH)/security)
SBINDIR  ?= $(PREFIX)/sbin
SYSCONFDIR ?= /etc
MANDIR   ?= $(PREFIX)/share/man
UNITDIR  ?= /lib/systemd/system
PAMCONFIGDIR ?= $(PREFIX)/share/pam-configs
VERSION  := $(shell sed -n 's/.*PU_VERSION "\(.*\)"/\1/p' src/common/version.h)

BUILD    := build
WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wformat=2 -Werror
OPT      ?= -O2 -g
SAN      ?=
PKGS     := pam libconfig hiredis libssl libcrypto libxcrypt libcares
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LIBS     := $(or $(shell pkg-config --libs $(PKGS) 2>/dev/null),-lpam -lconfig -lhiredis -lssl -lcrypto -lcrypt -lcares)
CMOCKA   := $(or $(shell pkg-config --libs cmocka 2>/dev/null),-lcmocka)
CFLAGS   ?=
CFLAGS   += -Isrc $(PKG_CFLAGS) -std=gnu11 $(OPT) $(WARN) -fPIC -fvisibility=hidden \
            -D_FORTIFY_SOURCE=2 -fstack-protector-strong -MMD -MP $(SAN)
LDFLAGS  += $(SAN)
TEST_CFLAGS := -Wno-format-truncation

LIB_SRC  := src/dispatch.c $(wildcard src/common/*.c src/pam/*.c src/backends/*.c src/backends/*/*.c)
SM_SRC   := $(wildcard src/pam_sm_*.c)
CLI_SRC  := $(wildcard src/cli/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
SM_OBJ   := $(SM_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
OBJS     := $(LIB_OBJ) $(SM_OBJ) $(CLI_OBJ)
ARCHIVE  := $(BUILD)/libpam_unified.a
MODULE   := $(BUILD)/pam_unified.so
CTL      := $(BUILD)/unifiedctl

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
IT_BIN   := $(BUILD)/tests/it_socket $(BUILD)/tests/it_redis $(BUILD)/tests/it_replay

DEB_PKGS := build-essential pkg-config libpam0g-dev libconfig-dev \
            libcmocka-dev libpam-wrapper libpamtest0-dev pamtester \
            libhiredis-dev libcrypt-dev libssl-dev redis-server redis-sentinel \
            valgrind python3 procps scdoc man-db groff-base \
            debhelper dpkg-dev fakeroot lintian curl libc-ares-dev \
            clang libclang-rt-14-dev openssl

# Suites that live in their own folder add themselves here: each
# tests/<name>/suite.mk appends its target to SUITES (run by make check,
# after the hostile suite) and the Debian packages it needs to DEB_PKGS.
SUITES   :=
# the suites' targets come first in the file: a bare make still builds
.DEFAULT_GOAL := all
include $(sort $(wildcard tests/*/suite.mk))

.PHONY: all check unit integration valgrind asan demo install uninstall \
        clean deps print-deb-pkgs print-pamdir bench-replay bench bench-quick man man-check deb deb-check
all: $(MODULE) $(CTL) man

MAN_SRC  := $(wildcard man/*.scd)
MAN_OUT  := $(MAN_SRC:man/%.scd=$(BUILD)/man/%)
man: $(MAN_OUT)
$(BUILD)/man/%: man/%.scd
	@mkdir -p $(dir $@)
	scdoc < $< > $@

# man pages render without a warning (groff and man-db's own check)
man-check: $(MAN_OUT)
	@set -e; for m in $(MAN_OUT); do \
	  out=$$(LC_ALL=C.UTF-8 groff -ww -man -Tutf8 -z $$m 2>&1; \
	         LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l $$m 2>&1 >/dev/null); \
	  if [ -n "$$out" ]; then echo "FAIL $$m: $$out"; exit 1; fi; \
	  echo "ok   $$m renders without warnings"; done

$(CTL): $(CLI_OBJ) $(ARCHIVE)
	@mkdir -p $(dir $@)
	$(CC) $(CLI_OBJ) -o $@ $(ARCHIVE) $(LDFLAGS) $(LIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(ARCHIVE): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(MODULE): $(SM_OBJ) $(ARCHIVE) src/pam_unified.map
	$(CC) -shared -o $@ $(SM_OBJ) $(ARCHIVE) $(LDFLAGS) \
	    -Wl,--version-script=src/pam_unified.map -Wl,-z,relro,-z,now \
	    -Wl,-z,nodelete \
	    -Wl,--no-undefined $(LIBS)

$(BUILD)/tests/test_%: tests/unit/test_%.c $(ARCHIVE)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(TEST_CFLAGS) $< -o $@ $(ARCHIVE) $(LDFLAGS) $(CMOCKA) $(LIBS)

# libpam through pam_start_confdir (no pam_wrapper); the archive gives the
# tests the stores' own key functions.  Case tables leave trailing fields
# out (NULL/0: not checked), hence -Wno-missing-field-initializers.
IT_CFLAGS := -Itests/integration -Wno-missing-field-initializers
$(BUILD)/tests/it_%: tests/integration/it_%.c tests/integration/harness.c \
                     tests/integration/harness.h $(ARCHIVE) $(MODULE)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(TEST_CFLAGS) $(IT_CFLAGS) \
	    $< tests/integration/harness.c -o $@ $(ARCHIVE) $(LDFLAGS) \
	    $(CMOCKA) $(LIBS) -lpthread

$(BUILD)/tests/pam_login: tests/integration/pam_login.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(TEST_CFLAGS) $< -o $@ $(LDFLAGS) -lpam

$(BUILD)/bench/bench: bench/bench.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(TEST_CFLAGS) -Wno-format-nonliteral $< -o $@ $(LDFLAGS) -lpam

$(BUILD)/bench/crypt_cost: bench/crypt_cost.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(TEST_CFLAGS) $< -o $@ $(LDFLAGS) -lcrypt

$(BUILD)/bench/replay_cost: bench/replay_cost.c $(ARCHIVE)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(TEST_CFLAGS) -Isrc \
	    -DPAM_SET_ITEMS='"/usr/lib/$(MULTIARCH)/pam_wrapper/pam_set_items.so"' \
	    $< -o $@ $(ARCHIVE) $(LDFLAGS) $(LIBS)

$(BUILD)/bench/tls_cost: bench/tls_cost.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(TEST_CFLAGS) $< -o $@ $(LDFLAGS) -lssl -lcrypto

BENCH_BIN := $(BUILD)/bench/bench $(BUILD)/bench/crypt_cost $(BUILD)/bench/replay_cost \
	     $(BUILD)/bench/tls_cost

# The benchmark report: bench/README.md and bench/latency.png.
bench: deps all $(BENCH_BIN)
	@command -v gnuplot >/dev/null || { [ "$$(id -u)" = 0 ] && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gnuplot-nox >/dev/null; }
	bench/run.py --build $(BUILD)

# Under a minute: proves the harness works (no timing assertions).
bench-quick: all $(BENCH_BIN)
	timeout 300 bench/run.py --quick --build $(BUILD) >/dev/null
	@echo "bench-quick: harness ran every configuration ($(BUILD)/bench-quick.md)"

# The replay check's cost per login, window 1 vs 1000, both stores.
bench-replay: $(MODULE) $(BUILD)/bench/replay_cost
	bench/replay_cost.sh $(BUILD)

# Installs what the build and tests need, on Debian, when missing.
print-deb-pkgs:
	@echo $(DEB_PKGS)

deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" != 0 ]; then \
	    echo "missing Debian packages:$$missing (run as root or apt-get install them)"; exit 1; fi; \
	  echo "installing:$$missing"; \
	  rcd=""; [ -e /usr/sbin/policy-rc.d ] || { rcd=1; \
	    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; \
	    chmod 755 /usr/sbin/policy-rc.d; }; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  st=$$?; [ -z "$$rcd" ] || rm -f /usr/sbin/policy-rc.d; exit $$st; \
	fi

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

integration: $(IT_BIN) $(CTL) $(BUILD)/tests/pam_login
	@set -e; for t in $(IT_BIN); do echo "== $$t"; timeout 300 $$t; done
	timeout 120 tests/integration/pamtester.sh $(MODULE)
	timeout 120 tests/ctl_check.sh $(BUILD)

# The integration suite again under valgrind; leaks count as errors.
valgrind: $(IT_BIN) $(UNIT_BIN) $(CTL) $(BUILD)/tests/pam_login
	@set -e; for t in $(IT_BIN); do echo "== valgrind $$t"; \
	  PU_UNDER_VALGRIND=1 timeout 900 valgrind -q --error-exitcode=99 \
	    --suppressions=tests/valgrind.supp --trace-children=no \
	    --leak-check=full --errors-for-leak-kinds=definite,indirect \
	    --show-leak-kinds=definite,indirect --track-fds=no $$t; done
	@set -e; for t in $(UNIT_BIN); do \
	  valgrind -q --error-exitcode=99 --leak-check=full \
	    --errors-for-leak-kinds=definite,indirect $$t >/dev/null; done; \
	  echo "valgrind: unit tests clean"

# The whole suite under ASan/UBSan, in a separate build tree.
asan:
	$(MAKE) BUILD=build-asan OPT="-O1 -g -fno-omit-frame-pointer" \
	    SAN="-fsanitize=address,undefined -fno-sanitize-recover=all" \
	    build-asan/pam_unified.so build-asan/unifiedctl \
	    build-asan/tests/it_socket build-asan/tests/it_redis \
	    build-asan/tests/it_replay build-asan/tests/pam_login \
	    $(UNIT_SRC:tests/unit/%.c=build-asan/tests/%)
	@set -e; for t in $(UNIT_SRC:tests/unit/%.c=build-asan/tests/%); do \
	  ASAN_OPTIONS=detect_leaks=1 $$t >/dev/null; done; echo "asan: unit tests clean"
	@set -e; for t in it_socket it_redis it_replay; do echo "== asan $$t"; \
	  ASAN_OPTIONS=detect_leaks=1 PU_BUILD=build-asan \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/fuzz/lsan.supp \
	  PU_MODULE=$(CURDIR)/build-asan/pam_unified.so \
	  timeout 300 build-asan/tests/$$t; done

# The hostile-peer suite (tests/hostile): a lying Redis, a lying socket
# server, and the lockout race against a real redis-server.
HOSTILE_SRC := $(wildcard tests/hostile/*.c)
$(BUILD)/tests/hostile: $(HOSTILE_SRC) tests/hostile/hostile.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(TEST_CFLAGS) $(HOSTILE_SRC) -o $@ $(LDFLAGS) -lpam -lcrypt

.PHONY: hostile
hostile: $(MODULE) $(BUILD)/tests/hostile
	timeout 300 $(BUILD)/tests/hostile --module $(MODULE) --scripts tests/hostile

# Every process a suite starts inherits PU_CHECK_ID; none may outlive it.
# Two lanes after the integration suite: one busy on the CPU (valgrind,
# then ASan/UBSan, then the fuzz corpus: one process at a time), one that
# mostly waits on servers and programs (the hostile peers, then every
# tests/<name>/suite.mk suite: the real programs, the fleet; then the
# benchmark harness's quick run, which asserts no timing).  They share
# nothing (private sockets, ports a suite checks free, a mount namespace
# each) and together take about the longer one's time.  Each lane's
# output is shown when both have ended.
CHECK_CPU  := valgrind asan fuzz-replay
CHECK_WAIT := hostile $(SUITES) bench-quick
check: export PU_CHECK_ID := $(shell date +%s%N)
check: deps all
	$(MAKE) unit
	tests/symbols.sh $(MODULE)
	$(MAKE) man-check
	$(MAKE) deb-check
	$(MAKE) integration
	@rm -f $(BUILD)/check-*.log; \
	lane() { name=$$1; shift; for t in "$$@"; do s=$$(date +%s); \
	  $(MAKE) --no-print-directory $$t >>$(BUILD)/check-$$name.log 2>&1 || \
	  { echo "make $$t: FAILED" >>$(BUILD)/check-$$name.log; return 1; }; \
	  echo "make $$t: $$(( $$(date +%s) - s )) s" >>$(BUILD)/check-$$name.log; \
	  done; }; \
	lane cpu $(CHECK_CPU) & cpu=$$!; \
	lane wait $(CHECK_WAIT) & wait=$$!; \
	rc=0; wait $$cpu || rc=1; wait $$wait || rc=1; \
	for l in cpu wait; do echo "==== lane $$l"; cat $(BUILD)/check-$$l.log; done; \
	grep -h '^make .*: [0-9]* s$$' $(BUILD)/check-*.log; exit $$rc
	tests/leftovers.sh $(PU_CHECK_ID)
	@echo "make check: all suites passed"

demo: deps all
	timeout 120 ./contrib/demo.sh $(MODULE)

install: $(MODULE) $(CTL) $(MAN_OUT)
	install -d $(DESTDIR)$(PAMDIR)
	install -m 0644 $(MODULE) $(DESTDIR)$(PAMDIR)/pam_unified.so
	install -d $(DESTDIR)$(SBINDIR)
	install -m 0755 $(CTL) $(DESTDIR)$(SBINDIR)/unifiedctl
	install -m 0755 contrib/pam_unified_server.py $(DESTDIR)$(SBINDIR)/pam-unified-server
	install -d $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 0644 $(BUILD)/man/pam_unified.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 $(BUILD)/man/pam_unified.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 $(BUILD)/man/unifiedctl.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 $(BUILD)/man/pam-unified-server.8 $(DESTDIR)$(MANDIR)/man8/
	install -d $(DESTDIR)$(UNITDIR)
	install -m 0644 contrib/systemd/pam-unified-server.service $(DESTDIR)$(UNITDIR)/
	install -d $(DESTDIR)$(PAMCONFIGDIR)
	install -m 0644 contrib/pam-configs/unified $(DESTDIR)$(PAMCONFIGDIR)/unified
	install -d $(DESTDIR)$(SYSCONFDIR)/security
	@if [ ! -e $(DESTDIR)$(SYSCONFDIR)/security/pam_unified.conf ]; then \
	  install -m 0644 conf/pam_unified.conf $(DESTDIR)$(SYSCONFDIR)/security/pam_unified.conf; \
	else echo "keeping existing $(DESTDIR)$(SYSCONFDIR)/security/pam_unified.conf"; fi

print-pamdir:
	@echo $(PAMDIR)

uninstall:
	rm -f $(DESTDIR)$(PAMDIR)/pam_unified.so $(DESTDIR)$(SBINDIR)/unifiedctl \
	    $(DESTDIR)$(SBINDIR)/pam-unified-server \
	    $(DESTDIR)$(MANDIR)/man5/pam_unified.conf.5 \
	    $(DESTDIR)$(MANDIR)/man8/pam_unified.8 $(DESTDIR)$(MANDIR)/man8/unifiedctl.8 \
	    $(DESTDIR)$(MANDIR)/man8/pam-unified-server.8 \
	    $(DESTDIR)$(UNITDIR)/pam-unified-server.service \
	    $(DESTDIR)$(PAMCONFIGDIR)/unified
	@echo "kept $(DESTDIR)$(SYSCONFDIR)/security/pam_unified.conf (remove it by hand)"

# A Debian package, built with debhelper from a copy of the tree.
deb: 
	rm -rf $(BUILD)/deb && mkdir -p $(BUILD)/deb/libpam-unified-$(VERSION)
	tar --exclude=./build --exclude=./build-asan --exclude=./build-fuzz --exclude=./.git -cf - . | \
	    tar -x -C $(BUILD)/deb/libpam-unified-$(VERSION)
	cd $(BUILD)/deb/libpam-unified-$(VERSION) && \
	    dpkg-buildpackage -us -uc -b >../build.log 2>&1 || { tail -30 ../build.log; exit 1; }
	cp $(BUILD)/deb/*.deb $(BUILD)/
	@ls -1 $(BUILD)/*.deb

deb-check: deb
	tests/deb.sh $(BUILD)/libpam-unified_$(VERSION)_$(shell dpkg --print-architecture).deb

clean:
	rm -rf build build-asan

-include $(OBJS:.o=.d)
include tests/fuzz/fuzz.mk
