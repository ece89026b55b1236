# lua-mmap: build, test, install.
#
#   make                 build mmap.so in this directory
#   make check           install missing packages (as root), build, run the specs
#   make check-all       make check on Lua 5.1, 5.2, 5.3, 5.4 and LuaJIT in turn
#   make check-valgrind  the same specs under valgrind memcheck
#   make check-asan      the same specs against an ASan+UBSan build
#   make static          libmmap.a, for C hosts that link the module in
#   make lint            luacheck on spec/, examples/ and bench/ (.luacheckrc)
#   make demo            build, then run an example on a file it creates
#   make bench           run bench/ and write bench/RESULTS.md
#   make install         PREFIX, DESTDIR, LUA_VERSION (or INST_LIBDIR) choose where
#
# LUA_VERSION is 5.1, 5.2, 5.3, 5.4 (the default) or jit (LuaJIT 2.1). Each
# version builds in build/$(LUA_VERSION)/; ./mmap.so is a copy of the last
# one built, so that `package.cpath = "./?.so;" .. package.cpath` finds it.
# The warning flags are not part of CFLAGS so that `make CFLAGS=...` keeps them.

LUA_VERSION ?= 5.4
ifeq ($(LUA_VERSION),jit)
LUA         ?= luajit
LUA_INCDIR  ?= /usr/include/luajit-2.1
LUA_LIB     ?= -lluajit-5.1
LUA_ABI      = 5.1
else
LUA         ?= lua$(LUA_VERSION)
LUA_INCDIR  ?= /usr/include/lua$(LUA_VERSION)
LUA_LIB     ?= -llua$(LUA_VERSION)
LUA_ABI      = $(LUA_VERSION)
endif
PREFIX      ?= /usr/local
INST_LIBDIR ?= $(PREFIX)/lib/lua/$(LUA_ABI)
BUSTED      ?= /usr/bin/busted
B           ?= build/$(LUA_VERSION)

CC      ?= cc
OBJCOPY ?= objcopy
CFLAGS  ?= -O2 -g
LIBFLAG ?= -shared
# The SIGBUS handler lives in this library: it must never be unloaded.
NODELETE = -Wl,-z,nodelete
WARN     = -std=c99 -Wall -Wextra -Wpedantic -Wshadow \
           -Wmissing-prototypes -Wstrict-prototypes
# Only luaopen_mmap is exported: everything else is hidden (see src/lmmap.h).
MYCFLAGS = $(WARN) -fPIC -fvisibility=hidden -I$(LUA_INCDIR)

SRCS = src/mmap.c src/mm_core.c src/mm_match.c src/mm_pack.c src/mm_posix.c \
       src/mm_search.c
OBJS = $(SRCS:src/%.c=$(B)/%.o)
HDRS = src/lmmap.h src/mm_compat.h src/mm_core.h src/mm_match.h src/mm_pack.h \
       src/mm_search.h src/mm_sys.h

.PHONY: all check check-all check-valgrind check-asan static lint demo bench \
        install uninstall clean deps FORCE

all: mmap.so

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
$(B)/config: FORCE
	@mkdir -p $(B)
	@echo '$(CONFIG)' | cmp -s - $@ || echo '$(CONFIG)' >$@

# For C hosts (examples/host/): the same objects linked into one, in which
# only the C API of src/lmmap.h stays global, so that the core's names
# (mm_*, mms_*, mmp_*) can never clash with a host's own.
API_SYMS = luaopen_mmap lmmap_check lmmap_test
static: $(B)/libmmap.a
	@cmp -s $(B)/libmmap.a libmmap.a || cp $(B)/libmmap.a libmmap.a

$(B)/libmmap.a: $(OBJS)
	$(LD) -r -o $(B)/lmmap.o $(OBJS)
	$(OBJCOPY) $(API_SYMS:%=--keep-global-symbol=%) $(B)/lmmap.o
	rm -f $@
	$(AR) rcs $@ $(B)/lmmap.o

CORE_OBJS = $(B)/mm_core.o $(B)/mm_posix.o $(B)/mm_search.o

# The core's own test: plain C, no Lua, sizes near the limits of int64_t.
$(B)/core_test: spec/core_test.c $(CORE_OBJS) $(HDRS)
	$(CC) $(CFLAGS) $(WARN) -Isrc -o $@ spec/core_test.c $(CORE_OBJS)

# The search functions alone, against a naive search, between guard pages.
$(B)/search_test: spec/search_test.c $(B)/mm_search.o src/mm_search.h
	$(CC) $(CFLAGS) $(WARN) -Isrc -o $@ spec/search_test.c $(B)/mm_search.o

# A C host embedding this Lua: the guard under threads and host signal handlers.
$(B)/guard_test: spec/guard_test.c
	@mkdir -p $(B)
	$(CC) $(CFLAGS) $(WARN) -I$(LUA_INCDIR) -o $@ spec/guard_test.c $(LUA_LIB) -lpthread -lm

# The embedding example: Lua 5.4 and libmmap.a linked into one program
# (luaL_requiref is 5.2+, and the example is written for 5.4).
HOST = build/host/host
$(HOST): examples/host/host.c src/lmmap.h FORCE
	@$(MAKE) --no-print-directory LUA_VERSION=5.4 LUA=lua5.4 \
	  LUA_INCDIR=/usr/include/lua5.4 LUA_LIB=-llua5.4 build/5.4/libmmap.a
	@mkdir -p build/host
	$(CC) $(CFLAGS) $(WARN) -I/usr/include/lua5.4 -Isrc -o $@ examples/host/host.c \
	  build/5.4/libmmap.a -llua5.4 -lm

# The sanitizer build lives apart (build/asan/) so that it never replaces the
# plain mmap.so; spec/run loads it with libasan preloaded into lua.
ASAN_CFLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
              -fno-sanitize-recover=all
ASAN_DIR = build/asan

$(ASAN_DIR)/mmap.so: $(SRCS) $(HDRS)
	mkdir -p $(ASAN_DIR)
	$(CC) $(ASAN_CFLAGS) $(MYCFLAGS) $(LIBFLAG) $(NODELETE) -o $@ $(SRCS)

$(ASAN_DIR)/core_test: spec/core_test.c src/mm_core.c src/mm_posix.c src/mm_search.c $(HDRS)
	mkdir -p $(ASAN_DIR)
	$(CC) $(ASAN_CFLAGS) $(WARN) -Isrc -o $@ spec/core_test.c src/mm_core.c src/mm_posix.c \
	  src/mm_search.c

TESTBINS = $(B)/core_test $(B)/search_test $(B)/guard_test $(HOST)
RUN = LUA=$(LUA) BUSTED=$(BUSTED) TESTDIR=$(B) HOST=$(HOST) sh spec/run

check: deps mmap.so $(TESTBINS)
	@$(RUN)

check-asan: deps mmap.so $(ASAN_DIR)/mmap.so $(ASAN_DIR)/core_test $(TESTBINS)
	@ASAN=$(ASAN_DIR) CC=$(CC) $(RUN)

check-valgrind: mmap.so $(TESTBINS)
	@VALGRIND=1 $(RUN)

# Every version in turn, each ending with its own line; then the sum.
ALL_VERSIONS = 5.1 5.2 5.3 5.4 jit
check-all:
	@sh spec/run-all $(ALL_VERSIONS)

lint:
	luacheck spec examples bench

# Benchmarks: bench/run.py writes bench/RESULTS.md.
bench/guard: bench/guard.c $(CORE_OBJS) $(HDRS)
	$(CC) $(CFLAGS) $(WARN) -Isrc -o $@ bench/guard.c $(CORE_OBJS)

# The physical limit of find: glibc memmem/memchr over the same map.
bench/memsearch: bench/memsearch.c
	$(CC) $(CFLAGS) $(WARN) -o $@ bench/memsearch.c

PYTHON ?= python3
bench: mmap.so bench/guard bench/memsearch
	@LUA=$(LUA) PYTHON=$(PYTHON) $(PYTHON) bench/run.py

# Install what is missing when run as root on Debian; otherwise just say so.
deps:
	@sh .ci/deps $(LUA_VERSION)

demo: deps mmap.so
	@LUA=$(LUA) sh examples/demo.sh

install: mmap.so
	mkdir -p $(DESTDIR)$(INST_LIBDIR)
	cp mmap.so $(DESTDIR)$(INST_LIBDIR)/mmap.so

uninstall:
	rm -f $(DESTDIR)$(INST_LIBDIR)/mmap.so

FORCE:

clean:
	rm -f mmap.so libmmap.a src/*.o spec/core_test spec/guard_test spec/search_test bench/guard bench/memsearch
	rm -rf build
