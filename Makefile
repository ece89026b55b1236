# lua-mmap: build, test, install.
#
#   make                 build mmap.so in this directory
#   make module          build $(B)/mmap.so only (what luarocks builds)
#   make check           build, then run the specs and the C tests
#   make check-all       make check on Lua 5.1, 5.2, 5.3, 5.4, 5.5 and LuaJIT in turn
#   make check-valgrind  the same specs under valgrind memcheck
#   make check-asan      the same specs against an ASan+UBSan build
#   make static          libmmap.a, for C hosts that link the module in
#   make lint            luacheck on spec/, examples/, bench/ and .ci/*.lua (.luacheckrc)
#   make demo            build, then run an example on a file it creates
#   make bench           run bench/ and write bench/RESULTS.md
#   make install         PREFIX, DESTDIR, LUA_VERSION (or INST_LIBDIR) choose where
#   make clean           remove what the targets above build
#   make check POSIX_ONLY=1   the same suite against the portable layer alone
#                        (see "Platforms" below), built in build/posix-$(LUA_VERSION)/
#   make windows         mmap.dll for Windows, cross-built (see "Windows" below)
#   make check-wine      make windows, then the specs on it under wine
#
# Platforms: Linux (everything is tested there); other POSIX systems with a
# C99 compiler, GNU make and Lua: the BSDs and other ELF systems link as
# Linux does (-shared -Wl,-z,nodelete); macOS (uname Darwin) links a Lua
# module as -bundle -undefined dynamic_lookup and its linker has no
# -z nodelete, so the library pins itself at its first map (MMS_PIN_SELF in
# src/mm_posix.c). Elsewhere set LIBFLAG and NODELETE (an empty NODELETE
# turns MMS_PIN_SELF on). Only Linux is tested; POSIX_ONLY=1 builds with
# -D_POSIX_C_SOURCE=200809L, which hides every Linux and glibc extension
# from the headers, and runs the suite against that build on Linux.
#
# Windows (x86-64), cross-built on Linux with mingw-w64 and tested under
# wine: `make windows [LUA_VERSION=5.4|5.5]` runs .ci/win64, which builds a
# Windows Lua (lua.exe, lua54.dll or lua55.dll, its import library and
# headers) and busted's C modules for it, once, into build/win64/ (5.4) or
# build/win64-5.5/ (5.5), then builds mmap.dll there from SRCS_WIN (the
# platform layer is src/mm_win32.c) and the C tests named in WIN_CTESTS.
# `make check-wine` runs the specs with that lua.exe under wine64 in the
# prefix build/win64/wineprefix (spec/run-wine), the C tests' .exe files
# too, and closes as make check does.
#
# Packages (Debian names; .ci/deps checks them before anything compiles, and
# installs the missing ones, without recommends, when run as root; otherwise
# it prints the apt-get line and stops). For the default Lua 5.4:
#   make, static, install   liblua5.4-dev
#   make demo               lua5.4 liblua5.4-dev
#   make check, check-asan  lua5.4 liblua5.4-dev lua-busted
#                           (LUA_VERSION=5.1/5.2/jit: also lua-compat53)
#                           (LUA_VERSION=5.5: none for Lua itself; unless
#                           LUA and LUA_INCDIR are given, .ci/lua55 builds
#                           it and busted's C modules into build/lua5.5)
#   make check-valgrind     the same and valgrind
#   make bench              lua5.4 liblua5.4-dev python3
#   make lint               lua-check
#   make windows            gcc-mingw-w64-x86-64 patch xz-utils
#                           debian-archive-keyring (Lua 5.4's source comes
#                           from Debian's deb-src through apt-get source)
#   make check-wine         the same and wine64 wine lua-busted
#   sh .ci/rocks            luarocks (needs no make target)
# Optional, for specs that are pending without them: strace (guard_spec's
# system-call count), lua-rex-pcre2 (rex_spec). .ci/run installs all of them.
#
# LUA_VERSION is 5.1, 5.2, 5.3, 5.4 (the default), 5.5 or jit (LuaJIT 2.1). Each
# version builds in build/$(LUA_VERSION)/; ./mmap.so is a copy of the last
# one built, so that `package.cpath = "./?.so;" .. package.cpath` finds it
# (make check-all ends by making it the default version's again).
# The warning flags are not part of CFLAGS so that `make CFLAGS=...` keeps them.

LUA_VERSION ?= 5.4
ifeq ($(LUA_VERSION),jit)
LUA         ?= luajit
LUA_INCDIR  ?= /usr/include/luajit-2.1
LUA_LIB     ?= -lluajit-5.1
LUA_ABI      = 5.1
else ifeq ($(LUA_VERSION),5.5)
# No distribution packages it yet: unless LUA and LUA_INCDIR name one,
# .ci/lua55 builds one into build/lua5.5 (from ../shared/lua-5.5.0), with a
# busted runner for it (BUSTED). Its liblua.a is static: a C program that
# loads mmap.so into it exports the lua_* symbols (-Wl,-E).
LUA55       ?= $(CURDIR)/build/lua5.5
LUA         ?= $(LUA55)/bin/lua5.5
LUA_INCDIR  ?= $(LUA55)/include
LUA_LIB     ?= -Wl,-E $(LUA55)/lib/liblua.a -ldl
BUSTED      ?= $(LUA55)/busted
LUA_ABI      = 5.5
else
LUA         ?= lua$(LUA_VERSION)
LUA_INCDIR  ?= /usr/include/lua$(LUA_VERSION)
LUA_LIB     ?= -llua$(LUA_VERSION)
LUA_ABI      = $(LUA_VERSION)
endif
PREFIX      ?= /usr/local
INST_LIBDIR ?= $(PREFIX)/lib/lua/$(LUA_ABI)
BUSTED      ?= /usr/bin/busted
ifeq ($(POSIX_ONLY),1)
B           ?= build/posix-$(LUA_VERSION)
HOSTB       ?= build/posix-host
POSIX_CFLAGS = -D_POSIX_C_SOURCE=200809L
# ./mmap.so stays the full build's: no copy of this one is made there.
SO_HERE      = $(B)/mmap.so
ASAN_DIR     = build/asan-posix-$(LUA_VERSION)
else
SO_HERE      = mmap.so
endif
B           ?= build/$(LUA_VERSION)
HOSTB       ?= build/host

CC      ?= cc
OBJCOPY ?= objcopy
CFLAGS  ?= -O2 -g
# The guard's signal handler lives in this library: it must never be
# unloaded. The linker marks it so (-z nodelete), or else it pins itself.
ifeq ($(shell uname -s 2>/dev/null),Darwin)
LIBFLAG ?= -bundle -undefined dynamic_lookup
NODELETE ?=
else
LIBFLAG ?= -shared
NODELETE ?= -Wl,-z,nodelete
endif
PIN_SELF = $(if $(strip $(NODELETE)),,-DMMS_PIN_SELF=1)
WARN     = -std=c99 -Wall -Wextra -Wpedantic -Wshadow \
           -Wmissing-prototypes -Wstrict-prototypes
# Only luaopen_mmap is exported: everything else is hidden (see src/lmmap.h).
MYCFLAGS = $(WARN) $(POSIX_CFLAGS) $(PIN_SELF) -fPIC -fvisibility=hidden \
           -I$(LUA_INCDIR)

SRCS = src/mmap.c src/mm_core.c src/mm_match.c src/mm_pack.c src/mm_posix.c \
       src/mm_search.c src/mm_atomic.c
OBJS = $(SRCS:src/%.c=$(B)/%.o)
HDRS = src/lmmap.h src/mm_compat.h src/mm_core.h src/mm_match.h src/mm_pack.h \
       src/mm_search.h src/mm_sys.h src/mm_atomic.h

.PHONY: all module check check-all check-valgrind check-asan static lint demo bench \
        install uninstall clean deps windows check-wine FORCE

all: $(SO_HERE)

# The module alone, without the copy here: what luarocks builds (B=build/luarocks).
module: $(B)/mmap.so

# The packages the goals need (see the top), checked once per make run before
# anything is compiled: everything that compiles waits for it.
deps:
	@LUA='$(LUA)' LUA_INCDIR='$(LUA_INCDIR)' BUSTED='$(BUSTED)' \
	  sh .ci/deps $(LUA_VERSION) $(or $(MAKECMDGOALS),all)

# A copy, renewed whenever it differs: switching LUA_VERSION must switch it.
mmap.so: $(B)/mmap.so FORCE
	@cmp -s $(B)/mmap.so $@ || cp $(B)/mmap.so $@

$(B)/mmap.so: $(OBJS)
	$(CC) $(LIBFLAG) $(NODELETE) $(LDFLAGS) -o $@ $(OBJS)

$(B)/%.o: src/%.c $(HDRS) $(B)/config
	$(CC) $(CFLAGS) $(MYCFLAGS) -c -o $@ $<

# What the objects were compiled with: when it changes (other Lua headers,
# other flags, as luarocks builds for one version after another), they are
# compiled again, whatever their dates say.
CONFIG = $(CC) $(CFLAGS) $(MYCFLAGS)
$(B)/config: FORCE | deps
	@mkdir -p $(B)
	@echo '$(CONFIG)' | cmp -s - $@ || echo '$(CONFIG)' >$@

# For C hosts (examples/host/): the same objects linked into one, in which
# only the C API of src/lmmap.h stays global, so that the core's names
# (mm_*, mms_*, mmp_*) can never clash with a host's own.
API_SYMS = luaopen_mmap lmmap_check lmmap_test
define LINK_STATIC
	$(LD) -r -o $(@D)/lmmap.o $^
	$(OBJCOPY) $(API_SYMS:%=--keep-global-symbol=%) $(@D)/lmmap.o
	rm -f $@
	$(AR) rcs $@ $(@D)/lmmap.o
endef

static: $(B)/libmmap.a
	@cmp -s $(B)/libmmap.a libmmap.a || cp $(B)/libmmap.a libmmap.a

$(B)/libmmap.a: $(OBJS)
	$(LINK_STATIC)

CORE_OBJS = $(B)/mm_core.o $(B)/mm_posix.o $(B)/mm_search.o

# The core's own test: plain C, no Lua, sizes near the limits of int64_t.
$(B)/core_test: spec/core_test.c $(CORE_OBJS) $(HDRS)
	$(CC) $(CFLAGS) $(WARN) -Isrc -o $@ spec/core_test.c $(CORE_OBJS)

# The search functions alone, against a naive search, between guard pages.
$(B)/search_test: spec/search_test.c $(B)/mm_search.o src/mm_search.h
	$(CC) $(CFLAGS) $(WARN) -Isrc -o $@ spec/search_test.c $(B)/mm_search.o

# A C host embedding this Lua: the guard under threads and host signal handlers.
$(B)/guard_test: spec/guard_test.c spec/ctest.h $(B)/config
	$(CC) $(CFLAGS) $(WARN) -I$(LUA_INCDIR) -o $@ spec/guard_test.c $(LUA_LIB) -lpthread -lm

# The self-pinning that stands in for -z nodelete where the linker lacks it
# (macOS): a build with MMS_PIN_SELF and no -z nodelete, and a host that
# checks that it outlives lua_close. Built unoptimised: it is only loaded.
$(B)/pin/mmap.so: $(SRCS) $(HDRS) $(B)/config
	@mkdir -p $(@D)
	$(CC) -O0 $(MYCFLAGS) -DMMS_PIN_SELF=1 $(LIBFLAG) -o $@ $(SRCS)

$(B)/pin_test: spec/pin_test.c $(B)/pin/mmap.so
	$(CC) $(CFLAGS) $(WARN) -I$(LUA_INCDIR) -DPIN_SO='"$(B)/pin/mmap.so"' \
	  -o $@ spec/pin_test.c $(LUA_LIB) -ldl -lm

# Atomics, wait and notify between two lua_States in two threads of a host.
$(B)/atomic_test: spec/atomic_test.c spec/ctest.h $(B)/config
	$(CC) $(CFLAGS) $(WARN) -I$(LUA_INCDIR) -o $@ spec/atomic_test.c $(LUA_LIB) -lpthread -lm

# The embedding example: Lua 5.4 and libmmap.a linked into one program
# (luaL_requiref is 5.2+, and the example is written for 5.4). A 5.4 build
# with the system's headers lends it its libmmap.a; any other build leaves
# build/5.4 alone (another make may be compiling there) and the host gets
# its own 5.4 objects in $(HOSTB) (build/host, or build/posix-host).
HOST = $(HOSTB)/host
HOST_INCDIR = /usr/include/lua5.4
ifeq ($(B) $(LUA_INCDIR),build/5.4 $(HOST_INCDIR))
HOST_LIB = $(B)/libmmap.a
else
HOST_LIB = $(HOSTB)/libmmap.a
endif
HOST_OBJS = $(SRCS:src/%.c=$(HOSTB)/%.o)
HOST_CFLAGS = $(CFLAGS) $(WARN) $(POSIX_CFLAGS) -fPIC -fvisibility=hidden -I$(HOST_INCDIR)
HOST_CONFIG = $(CC) $(HOST_CFLAGS)

$(HOSTB)/%.o: src/%.c $(HDRS) $(HOSTB)/config
	$(CC) $(HOST_CFLAGS) -c -o $@ $<

$(HOSTB)/config: FORCE | deps
	@mkdir -p $(HOSTB)
	@echo '$(HOST_CONFIG)' | cmp -s - $@ || echo '$(HOST_CONFIG)' >$@

$(HOSTB)/libmmap.a: $(HOST_OBJS)
	$(LINK_STATIC)

$(HOST): examples/host/host.c src/lmmap.h $(HOST_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) -I$(HOST_INCDIR) -Isrc -o $@ examples/host/host.c \
	  $(HOST_LIB) -llua5.4 -lm

# The sanitizer build lives apart, one per Lua (build/asan-5.4/, ...), so
# that it never replaces the plain mmap.so; spec/run loads it with libasan
# preloaded into lua. It follows $(B)/config: other headers, other flags.
ASAN_CFLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
              -fno-sanitize-recover=all
ASAN_DIR ?= build/asan-$(LUA_VERSION)

$(ASAN_DIR)/mmap.so: $(SRCS) $(HDRS) $(B)/config
	@mkdir -p $(ASAN_DIR)
	$(CC) $(ASAN_CFLAGS) $(MYCFLAGS) $(LIBFLAG) $(NODELETE) -o $@ $(SRCS)

$(ASAN_DIR)/core_test: spec/core_test.c src/mm_core.c src/mm_posix.c src/mm_search.c \
                      $(HDRS) $(B)/config
	@mkdir -p $(ASAN_DIR)
	$(CC) $(ASAN_CFLAGS) $(WARN) $(POSIX_CFLAGS) -Isrc -o $@ spec/core_test.c src/mm_core.c \
	  src/mm_posix.c src/mm_search.c

# (no pin_test for POSIX_ONLY: a library finds its own path with dladdr,
# an extension)
TESTBINS = $(B)/core_test $(B)/search_test $(B)/guard_test $(B)/atomic_test $(HOST) \
           $(if $(filter 1,$(POSIX_ONLY)),,$(B)/pin_test)
RUN = LUA=$(LUA) BUSTED=$(BUSTED) TESTDIR=$(B) HOST=$(HOST) \
      MMAP_STATIC=$(HOST_LIB) MMAP_POSIX_ONLY=$(POSIX_ONLY) sh spec/run

check: $(SO_HERE) $(TESTBINS)
	@$(RUN)

check-asan: $(SO_HERE) $(ASAN_DIR)/mmap.so $(ASAN_DIR)/core_test $(TESTBINS)
	@ASAN=$(ASAN_DIR) CC=$(CC) $(RUN)

check-valgrind: $(SO_HERE) $(TESTBINS)
	@VALGRIND=1 $(RUN)

# Every version in turn, each ending with its own line; then the sum. Each
# one replaces ./mmap.so: it is made this make's own again at the end, so
# that lua5.4 finds a 5.4 build there, and the status is check-all's.
ALL_VERSIONS = 5.1 5.2 5.3 5.4 5.5 jit
check-all:
	@sh spec/run-all $(ALL_VERSIONS); status=$$?; \
	  $(MAKE) --no-print-directory -s mmap.so >/dev/null || status=1; \
	  exit $$status

# Windows: mmap.dll for a Windows Lua that .ci/win64 cross-builds with
# mingw-w64 (5.4 in build/win64, 5.5 in build/win64-5.5, each with its
# lua.exe and a busted runner for it), from the same sources as mmap.so but
# with src/mm_win32.c for src/mm_posix.c; check-wine runs the specs on it
# under wine (spec/run-wine, in the wine prefix build/win64/wineprefix).
WCC      ?= x86_64-w64-mingw32-gcc
WAR      ?= x86_64-w64-mingw32-ar
WOBJDUMP ?= x86_64-w64-mingw32-objdump
WINE     ?= /usr/lib/wine/wine64
WCFLAGS  ?= -O2
WLIBS    ?=
ifeq ($(LUA_VERSION),5.5)
WB       ?= build/win64-5.5
WLUA_DLL  = lua55
else
WB       ?= build/win64
WLUA_DLL  = lua54
endif
WLUA_LIB  = $(WB)/lib$(WLUA_DLL).dll.a
SRCS_WIN  = $(filter-out src/mm_posix.c,$(SRCS)) src/mm_win32.c
WOBJS     = $(SRCS_WIN:src/%.c=$(WB)/%.o)
WMYCFLAGS = $(WARN) -I$(WB)/include
WCONFIG   = $(WCC) $(WCFLAGS) $(WMYCFLAGS)
# The C tests that have a Windows version: each NAME here is spec/NAME.c,
# built as $(WB)/NAME.exe against the module's objects (an archive, so that
# a test takes only what it uses) and this Lua, and run by check-wine.
WIN_CTESTS ?=
WIN_TESTBINS = $(WIN_CTESTS:%=$(WB)/%.exe)

windows: $(WB)/mmap.dll $(WIN_TESTBINS)

# A DLL exports what is marked dllexport (LMMAP_API in src/lmmap.h), or,
# when nothing is, every global name: only the C API may be there.
$(WB)/mmap.dll: $(WOBJS)
	$(WCC) -shared -static-libgcc -o $@ $(WOBJS) $(WLUA_LIB) $(WLIBS)
	@names=$$($(WOBJDUMP) -p $@ | \
	  sed -n '/^\[Ordinal\/Name Pointer\] Table/,/^$$/s/^[[:space:]]*\[ *[0-9]*\] //p'); \
	bad=$$(echo "$$names" | grep -v -x -e luaopen_mmap -e 'lmmap_[a-z_]*'); \
	if [ -n "$$bad" ] || ! echo "$$names" | grep -q -x luaopen_mmap; then \
	  echo "$@ must export luaopen_mmap and the lmmap_* C API alone; it exports:" \
	    $$names >&2; rm -f $@; exit 1; fi

$(WB)/%.o: src/%.c $(HDRS) $(WB)/config
	$(WCC) $(WCFLAGS) $(WMYCFLAGS) -c -o $@ $<

# Lua for Windows first (.ci/win64 returns at once when it is all there),
# then what the objects are compiled with, as $(B)/config.
$(WB)/config: FORCE | deps
	@sh .ci/win64 $(LUA_VERSION) $(WB)
	@echo '$(WCONFIG)' | cmp -s - $@ || echo '$(WCONFIG)' >$@

$(WB)/libmmwin.a: $(WOBJS)
	rm -f $@
	$(WAR) rcs $@ $(WOBJS)

$(WB)/%.exe: spec/%.c spec/ctest.h $(WB)/libmmwin.a $(HDRS)
	$(WCC) $(WCFLAGS) $(WARN) -DLMMAP_STATIC -Isrc -I$(WB)/include -static-libgcc -o $@ $< \
	  $(WB)/libmmwin.a $(WLUA_LIB) $(WLIBS)

check-wine: windows
	@TESTDIR=$(WB) TESTS='$(WIN_TESTBINS)' WINE=$(WINE) sh spec/run-wine

lint: deps
	luacheck spec examples bench .ci/luarocks-test.lua

# Benchmarks: bench/run.py writes bench/RESULTS.md.
bench/guard: bench/guard.c $(CORE_OBJS) $(HDRS)
	$(CC) $(CFLAGS) $(WARN) -Isrc -o $@ bench/guard.c $(CORE_OBJS)

# The physical limit of find: glibc memmem/memchr over the same map.
bench/memsearch: bench/memsearch.c | deps
	$(CC) $(CFLAGS) $(WARN) -o $@ bench/memsearch.c

# Workload (h): a blocking flock(2) and a monotonic clock for Lua.
bench/flock.so: bench/flock.c | deps
	$(CC) $(CFLAGS) $(WARN) -fPIC $(LIBFLAG) -I$(LUA_INCDIR) -o $@ bench/flock.c

PYTHON ?= python3
# The read workload has a Lua 5.5 side: build/5.5/mmap.so and the Lua of
# .ci/lua55 (whatever LUA_VERSION this make is for).
BENCH55 = $(CURDIR)/build/lua5.5
bench: mmap.so bench/guard bench/memsearch bench/flock.so
	@$(MAKE) --no-print-directory -s module LUA_VERSION=5.5 B=build/5.5 \
	  LUA=$(BENCH55)/bin/lua5.5 LUA_INCDIR=$(BENCH55)/include BUSTED=$(BENCH55)/busted
	@LUA=$(LUA) LUA55=build/lua5.5/bin/lua5.5 PYTHON=$(PYTHON) $(PYTHON) bench/run.py

demo: mmap.so
	@LUA=$(LUA) sh examples/demo.sh

# From $(B), not ./mmap.so: `luarocks make` (B=build/luarocks) leaves the
# copy in this directory as it was.
install: $(B)/mmap.so
	mkdir -p $(DESTDIR)$(INST_LIBDIR)
	cp $(B)/mmap.so $(DESTDIR)$(INST_LIBDIR)/mmap.so

uninstall:
	rm -f $(DESTDIR)$(INST_LIBDIR)/mmap.so

FORCE:

# What the targets above make: build/ (every version, the sanitizer builds,
# the Windows builds and their wine prefix, the host, luarocks'
# build/luarocks), the two copies here, bench's programs.
clean:
	rm -rf build
	rm -f mmap.so libmmap.a bench/guard bench/memsearch bench/flock.so
