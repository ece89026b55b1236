# (c) read(4096) from the start of a 1 GiB map to its end, against Python.
tag = "(c)"
title = "`read(4096)` from the start of a 1 GiB map to its end"
data = ["log.txt"]
rounds = 5
sides = [
    ("lua", "Lua `mm:read(4096)` until `nil`", "LUA bench/read.lua log.txt"),
    ("py", "Python `m.read(4096)` until `b\"\"`", "PYTHON bench/read.py log.txt"),
    ("lua55", "Lua 5.5 `mm:read(4096)` until `nil`", "LUA55 bench/read.lua log.txt"),
]
derived = {"ns per call": lambda r: r["s"] * 1e9 / 262144,
           "GB/s": lambda r: 1.073741824 / r["s"]}
ratios = [
    ("`read(4096)` through 1 GiB, vs Python", "py / lua", ">= 1"),
    ("`read(4096)` through 1 GiB on Lua 5.5, vs Python", "py / lua55", ">= 1"),
]
how = """
`bench/read.lua` and `bench/read.py`, alternately, {rounds} rounds; 262,144
calls each. The map (`MAP_POPULATE`) is made before the clock starts. The
`lua55` side is the same script on Lua 5.5 (built by .ci/lua55) with
build/5.5/mmap.so, where each result is one copy: the buffer, from the
state's allocator, becomes the string (`lua_pushexternalstring`).
"""
findings = """
Findings: why `read(4096)` stays below Python. Each call copies its 4 KiB
twice: `pushread` (src/mmap.c) copies it out of the map into a C stack buffer
under the guard, then `lua_pushlstring` copies it into the new string;
Python's `m.read` copies once. Lua 5.4's C API cannot create a string and fill
it in place, and copying straight from the map inside `lua_pushlstring` would
break the guard's rule (no Lua API call while it is armed: a fault there would
jump out of Lua's allocator). Each new string also lands on cold memory: Lua
frees the previous ones only at its next collection, while Python frees each
bytes object at once by reference count, so the next one reuses the same warm
block. Applied: the stack buffer replaced a `luaL_Buffer`, whose box for more
than 1 KiB meant an allocation and a third copy (0.417 s before, 0.245 s
after, when measured with a 16 KiB buffer; it is kept to a page because hosts
may run Lua on small thread stacks). With `collectgarbage("generational")` the
script runs about 25% faster, a choice for the program, not for the module.
On Lua 5.5 the copy into a stack buffer is gone (measured with `perf
record` on this workload: `memmove`, the one copy out of the map, takes about
half the time, the collector most of the rest, `luaS_clearcache` alone 7%):
what is left between Lua and Python is the collector against reference
counting. Leaving out the collector step that accounts for each external
buffer (as 5.5's own `luaL_pushresult` takes it) gained about 10% and was not
kept: without it the collector would not see the bytes of long results.
"""
