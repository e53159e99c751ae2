# libtcpq: builds the static and shared library, the examples and the
# tests; installs them. Plain make; `make V=1` shows the commands.

# ---- version, read once from the public header -------------------------
VERSION_MAJOR := $(shell sed -n 's/^\#define TCPQ_VERSION_MAJOR *\([0-9]*\).*/\1/p' include/tcpq.h)
VERSION_MINOR := $(shell sed -n 's/^\#define TCPQ_VERSION_MINOR *\([0-9]*\).*/\1/p' include/tcpq.h)
VERSION_PATCH := $(shell sed -n 's/^\#define TCPQ_VERSION_PATCH *\([0-9]*\).*/\1/p' include/tcpq.h)
VERSION := $(VERSION_MAJOR).$(VERSION_MINOR).$(VERSION_PATCH)

# ---- where things go (every one overridable) ---------------------------
PREFIX ?= /usr/local
EXEC_PREFIX ?= $(PREFIX)
LIBDIR ?= $(EXEC_PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BINDIR ?= $(EXEC_PREFIX)/bin
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
MANDIR ?= $(PREFIX)/share/man
INSTALL ?= install
PKG_CONFIG ?= pkg-config

# ---- platform: one file per family, chosen here ------------------------
UNAME_S := $(shell uname -s)
ifeq ($(UNAME_S),Linux)
  OS_SRC := lib/os_linux.c
  OS_CPPFLAGS := -D_GNU_SOURCE
else ifeq ($(UNAME_S),FreeBSD)
  OS_SRC := lib/os_freebsd.c
else ifeq ($(UNAME_S),Darwin)
  OS_SRC := lib/os_darwin.c
else ifeq ($(UNAME_S),OpenBSD)
  OS_SRC := lib/os_openbsd.c
else
  OS_SRC := lib/os_posix.c
endif

ifeq ($(UNAME_S),Darwin)
  SHARED_EXT_MAJOR := $(VERSION_MAJOR).dylib
  SHARED_EXT_VER := $(VERSION).dylib
  SHARED_NAME := libtcpq.$(SHARED_EXT_VER)
  SHARED_MAJOR := libtcpq.$(SHARED_EXT_MAJOR)
  SHARED_LINK := libtcpq.dylib
  SHARED_FLAGS = -dynamiclib -install_name $(LIBDIR)/$(SHARED_MAJOR) \
                 -compatibility_version $(VERSION_MAJOR) -current_version $(VERSION)
else
  SHARED_NAME := libtcpq.so.$(VERSION)
  SHARED_MAJOR := libtcpq.so.$(VERSION_MAJOR)
  SHARED_LINK := libtcpq.so
  SHARED_FLAGS = -shared -Wl,-soname=$(SHARED_MAJOR) -Wl,-z,relro,-z,now
endif

# ---- flags -------------------------------------------------------------
CFLAGS ?= -O2 -g
WARNFLAGS := -std=c99 -Wall -Wextra -Wpedantic -Wshadow -Wconversion
ALL_CPPFLAGS = -Iinclude $(OS_CPPFLAGS) $(CPPFLAGS)
ALL_CFLAGS = $(WARNFLAGS) $(CFLAGS)
# a library linked into servers, setuid ones included: canaries, checked
# string functions (need optimisation), and a read-only GOT
HARDEN_CFLAGS := -fstack-protector-strong -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2
LIB_CFLAGS = $(ALL_CFLAGS) -fPIC -fvisibility=hidden $(HARDEN_CFLAGS)

ifeq ($(V),1)
  Q :=
  say = @true
else
  Q := @
  say = @printf '  %-6s %s\n'
endif

LIB_SRCS := lib/tcpq.c lib/io.c lib/parse.c $(OS_SRC)
LIB_OBJS := $(LIB_SRCS:.c=.o)
LIB_HDRS := include/tcpq.h $(wildcard lib/*.h)
EXAMPLES := examples/tcpq-info examples/echo-server examples/echo-client
TEST_SRCS := $(wildcard tests/check_*.c)
TEST_BIN := tests/check_tcpq

.PHONY: all lib examples demo check check-asan check-valgrind check-tsan fuzz \
        check-all lint matrix install-man manlint dist distcheck \
        check-downstream deb \
        deps bench bench-syscalls install install-lib install-bin \
        install-includes install-pc uninstall clean format

all: lib examples

lib: lib/libtcpq.a lib/$(SHARED_NAME)

lib/%.o: lib/%.c $(LIB_HDRS)
	$(say) CC $@
	$(Q)$(CC) $(ALL_CPPFLAGS) $(LIB_CFLAGS) -c $< -o $@

lib/libtcpq.a: $(LIB_OBJS)
	$(say) AR $@
	$(Q)rm -f $@ && $(AR) rcs $@ $(LIB_OBJS)

lib/$(SHARED_NAME): $(LIB_OBJS)
	$(say) LD $@
	$(Q)$(CC) $(ALL_CFLAGS) $(SHARED_FLAGS) -o $@ $(LIB_OBJS) $(LDFLAGS)
	$(Q)ln -sf $(SHARED_NAME) lib/$(SHARED_MAJOR)
	$(Q)ln -sf $(SHARED_NAME) lib/$(SHARED_LINK)

examples: $(EXAMPLES)

# The examples link the static library so that they run from the tree.
examples/%: examples/%.c include/tcpq.h $(wildcard examples/*.h) lib/libtcpq.a
	$(say) CC $@
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $< -o $@ lib/libtcpq.a -lpthread $(LDFLAGS)

# The main job: this host's limits and what typical requests become.
demo: all
	@./examples/tcpq-info

# ---- tests ---------------------------------------------------------------
$(TEST_BIN): $(TEST_SRCS) tests/check_tcpq.h lib/libtcpq.a
	@$(PKG_CONFIG) --version >/dev/null 2>&1 || { echo "make check needs pkg-config: apt-get install pkg-config (or: make deps)"; exit 1; }
	@$(PKG_CONFIG) --exists check || { echo "make check needs the Check framework: apt-get install check (or: make deps)"; exit 1; }
	$(say) CC $@
	$(Q)$(CC) $(ALL_CPPFLAGS) -Ilib $(ALL_CFLAGS) $$($(PKG_CONFIG) --cflags check) \
	    $(TEST_SRCS) -o $@ lib/libtcpq.a $$($(PKG_CONFIG) --libs check) -lpthread $(LDFLAGS)

check: all $(TEST_BIN)
	$(Q)sh tests/manlint.sh
	$(Q)CC="$(CC)" PKG_CONFIG="$(PKG_CONFIG)" MAKE="$(MAKE)" sh tests/downstream.sh
	$(Q)./$(TEST_BIN)

# ---- hardening: sanitizers, valgrind, fuzzing ---------------------------
# Each rebuilds the tree with its own flags and cleans up after itself.
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
             -fno-sanitize-recover=all
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := procfs netstat

# the whole suite under AddressSanitizer + UBSan, in one process so that no
# report is lost in a forked child
check-asan:
	$(Q)$(MAKE) -s clean
	$(Q)$(MAKE) -s CC=clang CFLAGS="$(SAN_FLAGS)" LDFLAGS="-fsanitize=address,undefined" all $(TEST_BIN)
	$(Q)CK_FORK=no ./$(TEST_BIN)
	$(Q)$(MAKE) -s clean

check-valgrind:
	$(Q)$(MAKE) -s clean
	$(Q)$(MAKE) -s CFLAGS="-O1 -g" all $(TEST_BIN)
	$(Q)CK_FORK=no valgrind -q --leak-check=full \
	    --errors-for-leak-kinds=definite,indirect --error-exitcode=1 ./$(TEST_BIN)
	$(Q)$(MAKE) -s clean

# libFuzzer on every parser of kernel text, FUZZ_SECONDS each, on a copy of
# the committed seed corpus
fuzz:
	$(Q)for t in $(FUZZ_TARGETS); do \
	    clang -std=c99 -g -O1 -fsanitize=fuzzer,address,undefined \
	        -Iinclude -Ilib tests/fuzz/fuzz_$$t.c lib/parse.c -o tests/fuzz/fuzz_$$t || exit 1; \
	    work=$$(mktemp -d) && cp tests/fuzz/corpus/$$t/* "$$work"/ && \
	    ./tests/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) \
	        -artifact_prefix="$$work/" "$$work" > "$$work.log" 2>&1; \
	    rc=$$?; tail -n 1 "$$work.log"; \
	    if [ $$rc -ne 0 ]; then tail -n 40 "$$work.log"; rm -rf "$$work" "$$work.log"; \
	        echo "fuzz: $$t FAILED"; exit 1; fi; \
	    rm -rf "$$work" "$$work.log"; \
	    echo "fuzz: $$t ran $(FUZZ_SECONDS) s without a crash"; \
	done

# the API from 8 threads at once under ThreadSanitizer; built from the
# sources into its own binary, so lib/*.o are left alone
TSAN_CC ?= clang
TSAN_BIN := tests/stress_tsan
$(TSAN_BIN): tests/stress_tsan.c $(LIB_SRCS) $(LIB_HDRS)
	$(say) CC $@
	$(Q)$(TSAN_CC) $(ALL_CPPFLAGS) $(WARNFLAGS) -g -O1 -fsanitize=thread \
	    $(LIB_SRCS) tests/stress_tsan.c -o $@ -lpthread

check-tsan: $(TSAN_BIN)
	$(Q)TSAN_OPTIONS=halt_on_error=1 ./$(TSAN_BIN)

# ---- distribution -------------------------------------------------------------
# libtcpq-X.Y.Z.tar.gz from the tracked files; distcheck builds, tests,
# installs and uninstalls it in a temporary directory
dist:
	$(Q)MAKE="$(MAKE)" sh tests/dist.sh dist

distcheck:
	$(Q)MAKE="$(MAKE)" sh tests/dist.sh distcheck

# the make, CMake and Meson consumers in examples/downstream against a
# staged install, through pkg-config only; pkg-config itself validated
check-downstream: lib
	$(Q)CC="$(CC)" PKG_CONFIG="$(PKG_CONFIG)" MAKE="$(MAKE)" sh tests/downstream_all.sh

# libtcpq0, libtcpq-dev and tcpq-tools with dpkg-buildpackage, their
# contents checked with dpkg-deb -c, and lintian without errors
deb:
	$(Q)sh tests/deb.sh

# every man page through mandoc -Tlint (or groff -ww): any warning fails
manlint:
	$(Q)sh tests/manlint.sh

# cppcheck and clang-tidy (.clang-tidy), both clean or it fails
lint:
	$(Q)sh tests/lint.sh

# -Werror with gcc and clang, musl, the header as C++ and as C89
matrix:
	$(Q)sh tests/matrix.sh

check-all: check check-asan check-valgrind check-tsan fuzz lint matrix

# Debian build and test dependencies (sudo when not root): ss, nstat and
# nft measure the kernel's queues in the tests; strace and gnuplot serve
# make bench.
DEB_DEPS := build-essential pkg-config check iproute2 nftables strace \
            gnuplot-nox clang valgrind cppcheck clang-tidy musl-tools mandoc \
            cmake meson ninja-build dpkg-dev debhelper fakeroot lintian

deps:
	@if [ "$$(id -u)" -eq 0 ]; then SUDO=; else SUDO=sudo; fi; \
	command -v apt-get >/dev/null || { echo "make deps: no apt-get; install a C compiler, make, pkg-config, Check, iproute2 (ss) and nftables by hand"; exit 1; }; \
	$$SUDO apt-get update -qq && \
	DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(DEB_DEPS) >/dev/null && \
	echo "make deps: $(DEB_DEPS) installed"

# ---- benchmarks ------------------------------------------------------------
BENCHES := bench/burst bench/io bench/accept bench/setup bench/syscalls

BENCH_UTIL := bench/bench_util.c bench/bench_util.h

# each program with the helpers they share
bench/%: bench/%.c $(BENCH_UTIL) include/tcpq.h lib/libtcpq.a
	$(say) CC $@
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $< bench/bench_util.c -o $@ \
	    lib/libtcpq.a -lpthread -lm $(LDFLAGS)

# ratios measured side by side in one run; not part of make check
bench: $(BENCHES)
	$(Q)sh bench/run.sh

# what one call costs with data ready: counted by strace
bench-syscalls: bench/syscalls
	$(Q)sh bench/syscalls.sh bench/syscalls

# ---- install -------------------------------------------------------------

install: install-lib install-includes install-pc install-bin install-man

install-lib: lib
	$(Q)$(INSTALL) -d -m 755 $(DESTDIR)$(LIBDIR)
	$(Q)$(INSTALL) -m 644 lib/libtcpq.a $(DESTDIR)$(LIBDIR)/libtcpq.a
	$(Q)$(INSTALL) -m 755 lib/$(SHARED_NAME) $(DESTDIR)$(LIBDIR)/$(SHARED_NAME)
	$(Q)ln -sf $(SHARED_NAME) $(DESTDIR)$(LIBDIR)/$(SHARED_MAJOR)
	$(Q)ln -sf $(SHARED_NAME) $(DESTDIR)$(LIBDIR)/$(SHARED_LINK)
	@echo "libtcpq $(VERSION) installed in $(DESTDIR)$(LIBDIR)"

# tcpq-info, the command-line face of the library
install-bin: examples/tcpq-info
	$(Q)$(INSTALL) -d -m 755 $(DESTDIR)$(BINDIR)
	$(Q)$(INSTALL) -m 755 examples/tcpq-info $(DESTDIR)$(BINDIR)/tcpq-info

install-man:
	$(Q)for s in 1 3 7; do $(INSTALL) -d -m 755 $(DESTDIR)$(MANDIR)/man$$s && \
	    $(INSTALL) -m 644 man/man$$s/*.$$s $(DESTDIR)$(MANDIR)/man$$s/ || exit 1; done

install-includes:
	$(Q)$(INSTALL) -d -m 755 $(DESTDIR)$(INCLUDEDIR)
	$(Q)$(INSTALL) -m 644 include/tcpq.h $(DESTDIR)$(INCLUDEDIR)/tcpq.h

# generated at install time, so it always names this install's directories
install-pc: libtcpq.pc.in include/tcpq.h
	$(Q)$(INSTALL) -d -m 755 $(DESTDIR)$(PKGCONFIGDIR)
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@EXEC_PREFIX@|$(EXEC_PREFIX)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@VERSION@|$(VERSION)|' libtcpq.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/libtcpq.pc
	$(Q)chmod 644 $(DESTDIR)$(PKGCONFIGDIR)/libtcpq.pc

uninstall:
	$(Q)rm -f $(DESTDIR)$(LIBDIR)/libtcpq.a $(DESTDIR)$(LIBDIR)/$(SHARED_NAME) \
	    $(DESTDIR)$(LIBDIR)/$(SHARED_MAJOR) $(DESTDIR)$(LIBDIR)/$(SHARED_LINK) \
	    $(DESTDIR)$(INCLUDEDIR)/tcpq.h $(DESTDIR)$(PKGCONFIGDIR)/libtcpq.pc \
	    $(DESTDIR)$(BINDIR)/tcpq-info \
	    $(DESTDIR)$(MANDIR)/man1/tcpq-info.1 $(DESTDIR)$(MANDIR)/man7/tcpq.7 \
	    $(DESTDIR)$(MANDIR)/man3/tcpq_*.3
	@echo "libtcpq removed from $(DESTDIR)$(PREFIX)"

clean:
	$(Q)rm -f lib/*.o lib/libtcpq.a lib/libtcpq.so* lib/libtcpq*.dylib \
	    $(EXAMPLES) $(TEST_BIN) $(BENCHES) \
	    $(FUZZ_TARGETS:%=tests/fuzz/fuzz_%) $(TSAN_BIN) libtcpq-*.tar.gz

format:
	clang-format -i include/*.h lib/*.c lib/*.h examples/*.c examples/*.h tests/*.c tests/*.h bench/*.c
