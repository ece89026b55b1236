# lua-mmap: build, test, install.
#
#   make                 build mmap.so in this directory
#   make check           install missing packages (as root), build, run the specs
#   make check-valgrind  the same specs under valgrind memcheck
#   make check-asan      the same specs against an ASan+UBSan build
#   make demo            build, then run an example on a file it creates
#   make bench           run bench/ and write bench/RESULTS.md
#   make install         PREFIX, DESTDIR, LUA_VERSION (or INST_LIBDIR) choose where
#
# The warning flags are not part of CFLAGS so that `make CFLAGS=...` keeps them.

LUA_VERSION ?= 5.4
LUA         ?= lua$(LUA_VERSION)
LUA_INCDIR  ?= /usr/include/lua$(LUA_VERSION)
PREFIX      ?= /usr/local
INST_LIBDIR ?= $(PREFIX)/lib/lua/$(LUA_VERSION)
BUSTED      ?= /usr/bin/busted

CC      ?= cc
CFLAGS  ?= -O2 -g
LIBFLAG ?= -shared
# The SIGBUS handler lives in this library: it must never be unloaded.
NODELETE = -Wl,-z,nodelete
WARN     = -std=c99 -Wall -Wextra -Wpedantic -Wshadow \
           -Wmissing-prototypes -Wstrict-prototypes
# Only luaopen_mmap is exported: everything else is hidden (see src/lmmap.h).
MYCFLAGS = $(WARN) -fPIC -fvisibility=hidden -I$(LUA_INCDIR)

SRCS = src/mmap.c src/mm_core.c src/mm_match.c src/mm_pack.c src/mm_posix.c
OBJS = $(SRCS:.c=.o)
HDRS = src/lmmap.h src/mm_core.h src/mm_match.h src/mm_pack.h src/mm_sys.h

.PHONY: all check check-valgrind check-asan demo bench install uninstall clean deps

all: mmap.so

mmap.so: $(OBJS)
	$(CC) $(LIBFLAG) $(NODELETE) $(LDFLAGS) -o $@ $(OBJS)

src/%.o: src/%.c $(HDRS)
	$(CC) $(CFLAGS) $(MYCFLAGS) -c -o $@ $<

# The core's own test: plain C, no Lua, sizes near the limits of int64_t.
spec/core_test: spec/core_test.c src/mm_core.o src/mm_posix.o $(HDRS)
	$(CC) $(CFLAGS) $(WARN) -Isrc -o $@ spec/core_test.c src/mm_core.o src/mm_posix.o

# A C host embedding Lua: the guard under threads and host signal handlers.
LUA_LIB ?= -llua$(LUA_VERSION)
spec/guard_test: spec/guard_test.c
	$(CC) $(CFLAGS) $(WARN) -I$(LUA_INCDIR) -o $@ spec/guard_test.c $(LUA_LIB) -lpthread -lm

# The sanitizer build lives apart (build/asan/) so that it never replaces the
# plain mmap.so; spec/run loads it with libasan preloaded into lua.
ASAN_CFLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
              -fno-sanitize-recover=all
ASAN_DIR = build/asan

$(ASAN_DIR)/mmap.so: $(SRCS) $(HDRS)
	mkdir -p $(ASAN_DIR)
	$(CC) $(ASAN_CFLAGS) $(MYCFLAGS) $(LIBFLAG) $(NODELETE) -o $@ $(SRCS)

$(ASAN_DIR)/core_test: spec/core_test.c src/mm_core.c src/mm_posix.c $(HDRS)
	mkdir -p $(ASAN_DIR)
	$(CC) $(ASAN_CFLAGS) $(WARN) -Isrc -o $@ spec/core_test.c src/mm_core.c src/mm_posix.c

check-asan: deps mmap.so $(ASAN_DIR)/mmap.so $(ASAN_DIR)/core_test spec/guard_test
	@LUA=$(LUA) BUSTED=$(BUSTED) ASAN=$(ASAN_DIR) CC=$(CC) sh spec/run

# Benchmarks: bench/run writes bench/RESULTS.md.
bench/guard: bench/guard.c src/mm_core.o src/mm_posix.o $(HDRS)
	$(CC) $(CFLAGS) $(WARN) -Isrc -o $@ bench/guard.c src/mm_core.o src/mm_posix.o

# The physical limit of find: glibc memmem/memchr over the same map.
bench/memsearch: bench/memsearch.c
	$(CC) $(CFLAGS) $(WARN) -o $@ bench/memsearch.c

PYTHON ?= python3
bench: mmap.so bench/guard bench/memsearch
	@LUA=$(LUA) PYTHON=$(PYTHON) sh bench/run

# Install what is missing when run as root on Debian; otherwise just say so.
deps:
	@sh .ci/deps $(LUA_VERSION)

TESTBINS = spec/core_test spec/guard_test

check: deps mmap.so $(TESTBINS)
	@LUA=$(LUA) BUSTED=$(BUSTED) sh spec/run

check-valgrind: mmap.so $(TESTBINS)
	@LUA=$(LUA) BUSTED=$(BUSTED) VALGRIND=1 sh spec/run

demo: deps mmap.so
	@LUA=$(LUA) sh examples/demo.sh

install: mmap.so
	mkdir -p $(DESTDIR)$(INST_LIBDIR)
	cp mmap.so $(DESTDIR)$(INST_LIBDIR)/mmap.so

uninstall:
	rm -f $(DESTDIR)$(INST_LIBDIR)/mmap.so

clean:
	rm -f mmap.so src/*.o $(TESTBINS) bench/guard bench/memsearch
	rm -rf build
