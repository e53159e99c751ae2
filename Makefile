# libtcpq: builds the static and shared library, the examples and the
# tests; installs them. Plain make; `make V=1` shows the commands.

# ---- version, read once from the public header -------------------------
VERSION_MAJOR := $(shell sed -n 's/^\#define TCPQ_VERSION_MAJOR *\([0-9]*\).*/\1/p' include/tcpq.h)
VERSION_MINOR := $(shell sed -n 's/^\#define TCPQ_VERSION_MINOR *\([0-9]*\).*/\1/p' include/tcpq.h)
VERSION_PATCH := $(shell sed -n 's/^\#define TCPQ_VERSION_PATCH *\([0-9]*\).*/\1/p' include/tcpq.h)
VERSION := $(VERSION_MAJOR).$(VERSION_MINOR).$(VERSION_PATCH)

# ---- where things go (every one overridable, in either case, as zstd) ---
prefix ?= /usr/local
PREFIX ?= $(prefix)
exec_prefix ?= $(PREFIX)
EXEC_PREFIX ?= $(exec_prefix)
libdir ?= $(EXEC_PREFIX)/lib
LIBDIR ?= $(libdir)
includedir ?= $(PREFIX)/include
INCLUDEDIR ?= $(includedir)
bindir ?= $(EXEC_PREFIX)/bin
BINDIR ?= $(bindir)
pkgconfigdir ?= $(LIBDIR)/pkgconfig
PKGCONFIGDIR ?= $(pkgconfigdir)
mandir ?= $(PREFIX)/share/man
MANDIR ?= $(mandir)
INSTALL ?= install
PKG_CONFIG ?= pkg-config
NM ?= nm

# ---- where the build goes ------------------------------------------------
# Objects go to $(OBJDIR); the library, programs and test binary to their
# usual places under $(OUT) (empty: this tree). The sanitizer and other
# variant builds set both to a directory of their own under build/, so
# they never touch the normal build.
OBJDIR ?= build
OUT ?=

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
LDLIBS ?=
WARNFLAGS := -std=c99 -Wall -Wextra -Wpedantic -Wshadow -Wconversion
ALL_CPPFLAGS = -Iinclude $(OS_CPPFLAGS) $(CPPFLAGS)
ALL_CFLAGS = $(WARNFLAGS) $(CFLAGS)
# a library linked into servers, setuid ones included: canaries and checked
# string functions (need optimisation); a packager's own choice wins: set
# HARDEN_CFLAGS, or put a _FORTIFY_SOURCE level in CPPFLAGS or CFLAGS
HARDEN_CFLAGS ?= -fstack-protector-strong \
    $(if $(findstring _FORTIFY_SOURCE,$(CPPFLAGS) $(CFLAGS)),,-D_FORTIFY_SOURCE=2)
LIB_CFLAGS = $(ALL_CFLAGS) -fPIC -fvisibility=hidden $(HARDEN_CFLAGS)

ifeq ($(V),1)
  Q :=
  say = @true
else
  Q := @
  say = @printf '  %-6s %s\n'
endif

# the portable core, lowest layer first (lib/tcpq_internal.h)
LIB_CORE_SRCS := lib/parse.c lib/sock.c lib/report.c lib/limits.c \
                 lib/sockopts.c lib/setup.c lib/resolve.c lib/dial.c \
                 lib/endpoint.c lib/io.c lib/activation.c
# in layer order, the platform file just above the parsers
LIB_SRCS := $(firstword $(LIB_CORE_SRCS)) $(OS_SRC) \
            $(wordlist 2,$(words $(LIB_CORE_SRCS)),$(LIB_CORE_SRCS))
LIB_OBJS := $(LIB_SRCS:%.c=$(OBJDIR)/%.o)
LIB_HDRS := include/tcpq.h $(wildcard lib/*.h)
LIB_A := $(OUT)lib/libtcpq.a
LIB_SO := $(OUT)lib/$(SHARED_NAME)
LIB_PC := $(OUT)lib/libtcpq.pc
EXAMPLE_SRCS := examples/echo-server.c examples/echo-client.c
EXAMPLES := $(EXAMPLE_SRCS:%.c=$(OUT)%)
# The HTTP servers on event loops (examples/loop_server.h), Linux only as
# epoll is, so not in EXAMPLE_SRCS, which make check-cross builds. Those
# that need a library more (LOOP_PKG_name, its pkg-config name) are built
# where pkg-config finds it, and said to be skipped where not.
LOOP_PKG_libuv-server := libuv
LOOP_PKG_libevent-server := libevent
loop_pkg = $(LOOP_PKG_$(basename $(notdir $(1))))
ifeq ($(UNAME_S),Linux)
  LOOP_EXAMPLE_ALL := examples/epoll-server.c examples/libuv-server.c \
                      examples/libevent-server.c
endif
LOOP_EXAMPLE_SRCS := $(strip $(foreach s,$(LOOP_EXAMPLE_ALL),$(if $(call loop_pkg,$(s)),\
    $(if $(shell $(PKG_CONFIG) --exists $(call loop_pkg,$(s)) 2>/dev/null && echo y),$(s)),$(s))))
LOOP_EXAMPLE_SKIPPED := $(filter-out $(LOOP_EXAMPLE_SRCS),$(LOOP_EXAMPLE_ALL))
LOOP_EXAMPLES := $(LOOP_EXAMPLE_SRCS:%.c=$(OUT)%)
# tcpq-info, the installed tool; TOOL_SRCS are its files on this platform,
# the source of --watch's listeners picked by uname -s as OS_SRC is
TOOLS := $(OUT)tools/tcpq-info/tcpq-info
ifeq ($(UNAME_S),Linux)
  TOOL_WATCH_SRC := tools/tcpq-info/watch_linux.c
else
  TOOL_WATCH_SRC := tools/tcpq-info/watch_none.c
endif
TOOL_SRCS := tools/tcpq-info/cli.c tools/tcpq-info/usage.c \
             tools/tcpq-info/args.c tools/tcpq-info/limits.c \
             tools/tcpq-info/findings.c tools/tcpq-info/request.c \
             tools/tcpq-info/custom.c tools/tcpq-info/watch.c \
             tools/tcpq-info/metrics.c tools/tcpq-info/output.c \
             $(TOOL_WATCH_SRC)
TEST_SRCS := $(wildcard tests/check_*.c tests/tools/check_*.c)
TEST_BIN := $(OUT)tests/check_tcpq
# tests/check_costs.c counts the calls the library makes through these
TEST_WRAP := $(foreach f,recv send fcntl getsockopt setsockopt poll accept4 \
               getpeername clock_gettime socket connect open,-Wl,--wrap=$(f))

.PHONY: FORCE all lib examples demo check check-compat check-asan check-valgrind check-tsan fuzz \
        check-all lint matrix install-man manlint dist distcheck \
        check-downstream deb \
        deps bench bench-syscalls install install-lib install-bin \
        install-includes install-pc uninstall clean format

all: lib examples

lib: $(LIB_A) $(LIB_SO) $(LIB_PC)

$(OBJDIR)/%.o: %.c $(LIB_HDRS)
	@mkdir -p $(@D)
	$(say) CC $@
	$(Q)$(CC) $(ALL_CPPFLAGS) $(LIB_CFLAGS) -c $< -o $@

$(LIB_A): $(LIB_OBJS)
	@mkdir -p $(@D)
	$(say) AR $@
	$(Q)rm -f $@ && $(AR) rcs $@ $(LIB_OBJS)

$(LIB_SO): $(LIB_OBJS)
	@mkdir -p $(@D)
	$(say) LD $@
	$(Q)$(CC) $(ALL_CFLAGS) $(SHARED_FLAGS) $(LDFLAGS) -o $@ $(LIB_OBJS) $(LDLIBS)
	$(Q)ln -sf $(SHARED_NAME) $(@D)/$(SHARED_MAJOR)
	$(Q)ln -sf $(SHARED_NAME) $(@D)/$(SHARED_LINK)

# pkg-config's file, naming the directories of this build's install;
# rewritten only when they change
$(LIB_PC): libtcpq.pc.in include/tcpq.h FORCE
	@mkdir -p $(@D)
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@EXEC_PREFIX@|$(EXEC_PREFIX)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@VERSION@|$(VERSION)|' libtcpq.pc.in > $@.tmp
	$(Q)if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

FORCE:

examples: $(EXAMPLES) $(LOOP_EXAMPLES)
	@$(foreach s,$(LOOP_EXAMPLE_SKIPPED),echo "  SKIP   $(OUT)$(s:.c=): $(PKG_CONFIG) finds no $(call loop_pkg,$(s)) (make deps installs it)";)

# The examples link the static library so that they run from the tree; a
# loop example also its loop library, with the flags pkg-config gives.
$(OUT)examples/%: examples/%.c include/tcpq.h $(wildcard examples/*.h) tools/common/cli_number.h $(LIB_A)
	@mkdir -p $(@D)
	$(say) CC $@
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) \
	    $(if $(LOOP_PKG_$*),$$($(PKG_CONFIG) --cflags $(LOOP_PKG_$*))) \
	    $(LDFLAGS) $< -o $@ $(LIB_A) \
	    $(if $(LOOP_PKG_$*),$$($(PKG_CONFIG) --libs $(LOOP_PKG_$*))) -lpthread $(LDLIBS)

.PHONY: tools
all: tools
tools: $(TOOLS)

# Built like the examples, against the static library, to run from the tree.
$(OUT)tools/tcpq-info/tcpq-info: $(TOOL_SRCS) tools/tcpq-info/tcpq_info.h tools/common/cli_number.h include/tcpq.h $(LIB_A)
	@mkdir -p $(@D)
	$(say) CC $@
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) $(TOOL_SRCS) -o $@ $(LIB_A) $(LDLIBS)

# tcpq-run and its preload library (Linux: LD_PRELOAD and ELF). The
# library carries libtcpq inside it (the PIC objects) and exports nothing
# but listen(); tcpq-run names where make install puts it, so both are
# remade when that directory changes.
RUN_SRCS := tools/tcpq-run/run.c tools/tcpq-run/elf.c tools/tcpq-run/settings.c
PRELOAD_SRCS := tools/tcpq-run/preload.c tools/tcpq-run/settings.c
PRELOADDIR ?= $(LIBDIR)/tcpq
RUN_BIN := $(OUT)tools/tcpq-run/tcpq-run
PRELOAD_SO := $(OUT)lib/libtcpq-preload.so
ifeq ($(UNAME_S),Linux)
  TOOLS += $(RUN_BIN) $(PRELOAD_SO)
tools: $(RUN_BIN) $(PRELOAD_SO)
endif

$(OBJDIR)/tcpq_run_paths.h: FORCE
	@mkdir -p $(@D)
	$(Q)echo '#define TCPQ_RUN_PRELOAD_PATH "$(PRELOADDIR)/libtcpq-preload.so"' > $@.tmp
	$(Q)if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

$(RUN_BIN): $(RUN_SRCS) tools/tcpq-run/tcpq_run.h tools/common/cli_number.h include/tcpq.h $(OBJDIR)/tcpq_run_paths.h $(LIB_A)
	@mkdir -p $(@D)
	$(say) CC $@
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) \
	    -include $(OBJDIR)/tcpq_run_paths.h $(RUN_SRCS) -o $@ $(LIB_A) $(LDLIBS)

$(PRELOAD_SO): $(PRELOAD_SRCS) tools/tcpq-run/tcpq_run.h tools/common/cli_number.h tools/tcpq-run/preload.map $(LIB_OBJS)
	@mkdir -p $(@D)
	$(say) LD $@
	$(Q)$(CC) $(ALL_CPPFLAGS) $(LIB_CFLAGS) -shared $(LDFLAGS) \
	    -Wl,--version-script=tools/tcpq-run/preload.map -Wl,-z,relro,-z,now \
	    $(PRELOAD_SRCS) $(LIB_OBJS) -o $@ -ldl $(LDLIBS)

# The main job: this host's limits and what typical requests become.
demo: all
	@./tools/tcpq-info/tcpq-info

# ---- tests ---------------------------------------------------------------
$(TEST_BIN): $(TEST_SRCS) tests/check_tcpq.h $(LIB_A)
	@$(PKG_CONFIG) --version >/dev/null 2>&1 || { echo "make check needs pkg-config: apt-get install pkg-config (or: make deps)"; exit 1; }
	@$(PKG_CONFIG) --exists check || { echo "make check needs the Check framework: apt-get install check (or: make deps)"; exit 1; }
	@mkdir -p $(@D)
	$(say) CC $@
	$(Q)$(CC) $(ALL_CPPFLAGS) -Ilib $(ALL_CFLAGS) $$($(PKG_CONFIG) --cflags check) \
	    $(LDFLAGS) $(TEST_SRCS) -o $@ $(LIB_A) $$($(PKG_CONFIG) --libs check) \
	    -lpthread $(TEST_WRAP) $(LDLIBS)

# tests/check_loops.c's stand-in for a supervisor that passes a listener
# with O_NONBLOCK set, and tcpq-run's test program
TEST_HELPERS := $(OUT)tests/nonblock-exec $(OUT)tests/run_program
$(OUT)tests/nonblock-exec: tests/nonblock_exec.c
	@mkdir -p $(@D)
	$(say) CC $@
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) $< -o $@ $(LDLIBS)

# a program that knows nothing of libtcpq, for tcpq-run's tests
$(OUT)tests/run_program: tests/run_program.c
	@mkdir -p $(@D)
	$(say) CC $@
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $< -o $@ $(LDLIBS)

check: all $(TEST_BIN) $(TEST_HELPERS)
	$(Q)sh tests/manlint.sh
	$(Q)NM="$(NM)" sh tests/layers.sh $(LIB_OBJS)
	$(Q)CC="$(CC)" PKG_CONFIG="$(PKG_CONFIG)" MAKE="$(MAKE)" sh tests/downstream.sh
	$(Q)CC="$(CC)" MAKE="$(MAKE)" sh tests/compat.sh
	$(Q)./$(TEST_BIN)

# a program built against 0.1.0 run against this library (also in check)
check-compat: lib
	$(Q)CC="$(CC)" MAKE="$(MAKE)" sh tests/compat.sh

# ---- hardening: sanitizers, valgrind, fuzzing ---------------------------
# Each builds into a directory of its own under build/ (objects, library,
# test binary), so the normal build is never touched.
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
             -fno-sanitize-recover=all
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := procfs netstat
VARIANT = $(MAKE) -s OBJDIR=build/$(1)/obj OUT=build/$(1)/

# the whole suite under AddressSanitizer + UBSan, in one process so that no
# report is lost in a forked child
check-asan: all $(TEST_HELPERS)
	$(Q)$(call VARIANT,asan) CC=clang CFLAGS="$(SAN_FLAGS)" \
	    LDFLAGS="-fsanitize=address,undefined" build/asan/tests/check_tcpq
	$(Q)CK_FORK=no ./build/asan/tests/check_tcpq

check-valgrind: all $(TEST_HELPERS)
	$(Q)$(call VARIANT,valgrind) CFLAGS="-O1 -g" build/valgrind/tests/check_tcpq
	$(Q)CK_FORK=no valgrind -q --leak-check=full --suppressions=tests/valgrind.supp \
	    --errors-for-leak-kinds=definite,indirect --error-exitcode=1 \
	    ./build/valgrind/tests/check_tcpq

# libFuzzer on every parser of kernel text, FUZZ_SECONDS each, on a copy of
# the committed seed corpus
fuzz:
	$(Q)mkdir -p build/fuzz
	$(Q)for t in $(FUZZ_TARGETS); do \
	    clang -std=c99 -g -O1 -fsanitize=fuzzer,address,undefined \
	        -Iinclude -Ilib tests/fuzz/fuzz_$$t.c lib/parse.c -o build/fuzz/fuzz_$$t || exit 1; \
	    work=$$(mktemp -d) && cp tests/fuzz/corpus/$$t/* "$$work"/ && \
	    ./build/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) \
	        -artifact_prefix="$$work/" "$$work" > "$$work.log" 2>&1; \
	    rc=$$?; tail -n 1 "$$work.log"; \
	    if [ $$rc -ne 0 ]; then tail -n 40 "$$work.log"; rm -rf "$$work" "$$work.log"; \
	        echo "fuzz: $$t FAILED"; exit 1; fi; \
	    rm -rf "$$work" "$$work.log"; \
	    echo "fuzz: $$t ran $(FUZZ_SECONDS) s without a crash"; \
	done

# the API from 8 threads at once under ThreadSanitizer; built from the
# sources into its own binary under build/tsan
TSAN_CC ?= clang
TSAN_BIN := build/tsan/stress_tsan
$(TSAN_BIN): tests/stress_tsan.c $(LIB_SRCS) $(LIB_HDRS)
	@mkdir -p $(@D)
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
lint: lib
	$(Q)sh tests/lint.sh
	$(Q)NM="$(NM)" sh tests/layers.sh $(LIB_OBJS)

# -Werror with gcc and clang, musl, the header as C++ and as C89
matrix:
	$(Q)sh tests/matrix.sh

check-all: check check-asan check-valgrind check-tsan fuzz lint matrix

# Debian build and test dependencies (sudo when not root): ss, nstat and
# nft measure the kernel's queues in the tests; python3, node (nodejs)
# and ab (apache2-utils) are the real servers and load of tcpq-run's tests;
# strace and gnuplot serve make bench; libuv and libevent build the loop
# examples, which the tests run under ab and systemd-socket-activate
# (systemd); h2load (nghttp2-client) loads them by hand, with --h1.
DEB_DEPS := build-essential pkg-config check iproute2 nftables strace \
            gnuplot-nox clang valgrind cppcheck clang-tidy musl-tools mandoc \
            cmake meson ninja-build dpkg-dev debhelper fakeroot lintian \
            python3 nodejs apache2-utils libuv1-dev libevent-dev nghttp2-client \
            systemd

# promtool (package prometheus) checks tcpq-info --openmetrics in the
# tests; without its recommends (a node exporter, a server to start)
DEB_DEPS_ALONE := prometheus

deps:
	@if [ "$$(id -u)" -eq 0 ]; then SUDO=; else SUDO=sudo; fi; \
	command -v apt-get >/dev/null || { echo "make deps: no apt-get; install a C compiler, make, pkg-config, Check, iproute2 (ss) and nftables by hand"; exit 1; }; \
	$$SUDO apt-get update -qq && \
	DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(DEB_DEPS) >/dev/null && \
	DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
	    $(DEB_DEPS_ALONE) >/dev/null && \
	echo "make deps: $(DEB_DEPS) $(DEB_DEPS_ALONE) installed"

# ---- cross check: macOS and FreeBSD against their real headers ------------
# Compiled (macOS also linked) here, never run: tests/cross.sh. Zig's `zig
# cc` carries the macOS SDK headers; make cross-deps fetches it from the npm
# registry into ZIG_CACHE, outside the tree so that every clone and worktree
# shares one copy (about 350 MB) and `git clean` keeps it; zig's compile
# cache goes there too. A toolchain or sysroot missing: a SKIP line.
ZIG_VERSION := 0.11.0
ZIG_CACHE ?= $(HOME)/.cache/libtcpq-zig
ZIG ?= $(ZIG_CACHE)/$(ZIG_VERSION)/package/zig
FREEBSD_SYSROOT ?= ../shared/sysroots/freebsd-14.2
# what tests/cross.sh builds for each system: the portable core (the
# platform file is OS_SRC), the examples (one program per file) and the
# sources of tcpq-info (above)

.PHONY: cross-deps check-cross
cross-deps:
	$(Q)ZIG_CACHE="$(ZIG_CACHE)" ZIG_VERSION="$(ZIG_VERSION)" sh tests/cross-deps.sh

check-cross:
	$(Q)MAKE="$(MAKE)" ZIG="$(ZIG)" ZIG_CACHE="$(ZIG_CACHE)" \
	    FREEBSD_SYSROOT="$(FREEBSD_SYSROOT)" sh tests/cross.sh

# ---- benchmarks ------------------------------------------------------------
BENCHES := bench/burst bench/io bench/accept bench/setup bench/connect bench/syscalls

BENCH_UTIL := bench/bench_util.c bench/bench_util.h

# each program with the helpers they share
bench/%: bench/%.c $(BENCH_UTIL) include/tcpq.h $(LIB_A)
	$(say) CC $@
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) $< bench/bench_util.c -o $@ \
	    $(LIB_A) -lpthread -lm $(LDLIBS)

# ratios measured side by side in one run; not part of make check
ifeq ($(UNAME_S),Linux)
bench: $(BENCHES)
	$(Q)sh bench/run.sh

# what one call costs with data ready: counted by strace
bench-syscalls: bench/syscalls
	$(Q)sh bench/syscalls.sh bench/syscalls
else
# the bench programs use epoll, /proc and strace
bench bench-syscalls:
	@echo "make $@: Linux only (the bench uses epoll, /proc and strace); this is $(UNAME_S)"; exit 1
endif

# ---- install -------------------------------------------------------------

install: install-lib install-includes install-pc install-bin install-man

install-lib: $(LIB_A) $(LIB_SO)
	$(Q)$(INSTALL) -d -m 755 $(DESTDIR)$(LIBDIR)
	$(Q)$(INSTALL) -m 644 $(LIB_A) $(DESTDIR)$(LIBDIR)/libtcpq.a
	$(Q)$(INSTALL) -m 755 $(LIB_SO) $(DESTDIR)$(LIBDIR)/$(SHARED_NAME)
	$(Q)ln -sf $(SHARED_NAME) $(DESTDIR)$(LIBDIR)/$(SHARED_MAJOR)
	$(Q)ln -sf $(SHARED_NAME) $(DESTDIR)$(LIBDIR)/$(SHARED_LINK)
	@echo "libtcpq $(VERSION) installed in $(DESTDIR)$(LIBDIR)"

# tcpq-info, the command-line face of the library; tcpq-run and its
# preload library where they are built (Linux)
install-bin: $(TOOLS)
	$(Q)$(INSTALL) -d -m 755 $(DESTDIR)$(BINDIR)
	$(Q)$(INSTALL) -m 755 tools/tcpq-info/tcpq-info $(DESTDIR)$(BINDIR)/tcpq-info
	$(Q)if [ -f "$(RUN_BIN)" ]; then \
	    $(INSTALL) -m 755 $(RUN_BIN) $(DESTDIR)$(BINDIR)/tcpq-run && \
	    $(INSTALL) -d -m 755 $(DESTDIR)$(PRELOADDIR) && \
	    $(INSTALL) -m 644 $(PRELOAD_SO) $(DESTDIR)$(PRELOADDIR)/libtcpq-preload.so; fi

install-man:
	$(Q)for s in 1 3 7; do $(INSTALL) -d -m 755 $(DESTDIR)$(MANDIR)/man$$s && \
	    $(INSTALL) -m 644 man/man$$s/*.$$s $(DESTDIR)$(MANDIR)/man$$s/ || exit 1; done

install-includes:
	$(Q)$(INSTALL) -d -m 755 $(DESTDIR)$(INCLUDEDIR)
	$(Q)$(INSTALL) -m 644 include/tcpq.h $(DESTDIR)$(INCLUDEDIR)/tcpq.h

# the build target above, remade when the directories differ
install-pc: $(LIB_PC)
	$(Q)$(INSTALL) -d -m 755 $(DESTDIR)$(PKGCONFIGDIR)
	$(Q)$(INSTALL) -m 644 $(LIB_PC) $(DESTDIR)$(PKGCONFIGDIR)/libtcpq.pc

uninstall:
	$(Q)rm -f $(DESTDIR)$(LIBDIR)/libtcpq.a $(DESTDIR)$(LIBDIR)/$(SHARED_NAME) \
	    $(DESTDIR)$(LIBDIR)/$(SHARED_MAJOR) $(DESTDIR)$(LIBDIR)/$(SHARED_LINK) \
	    $(DESTDIR)$(INCLUDEDIR)/tcpq.h $(DESTDIR)$(PKGCONFIGDIR)/libtcpq.pc \
	    $(DESTDIR)$(BINDIR)/tcpq-info $(DESTDIR)$(BINDIR)/tcpq-run \
	    $(DESTDIR)$(PRELOADDIR)/libtcpq-preload.so \
	    $(DESTDIR)$(MANDIR)/man1/tcpq-info.1 $(DESTDIR)$(MANDIR)/man1/tcpq-run.1 \
	    $(DESTDIR)$(MANDIR)/man7/tcpq.7 \
	    $(DESTDIR)$(MANDIR)/man3/tcpq_*.3
	$(Q)rmdir $(DESTDIR)$(PRELOADDIR) 2>/dev/null || true
	@echo "libtcpq removed from $(DESTDIR)$(PREFIX)"

# for scripts: `make -s print-LIB_SRCS` prints that variable's value
print-%:
	@echo '$($*)'

clean:
	$(Q)rm -rf build
	$(Q)rm -f lib/*.o lib/libtcpq.a lib/libtcpq.so* lib/libtcpq*.dylib lib/libtcpq.pc \
	    $(EXAMPLES) $(LOOP_EXAMPLE_ALL:%.c=$(OUT)%) $(TOOLS) $(TEST_BIN) $(TEST_HELPERS) \
	    tests/run_program $(BENCHES) libtcpq-*.tar.gz

format:
	clang-format -i include/*.h lib/*.c lib/*.h examples/*.c examples/*.h tests/*.c tests/*.h bench/*.c tools/*/*.[ch] tests/tools/*.c
