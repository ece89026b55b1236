# (h) Atomics: an uncontended mm:atomic_add against the unpack + pack pair
# and against string.pack on a string; two processes contending on one
# counter with atomic_add, against the same counter under a flock(2) lock.
tag = "(h)"
title = "Atomic counters: `mm:atomic_add` alone and with two processes contending"
rounds = 5
columns = ["s", "count"]
sides = [
    ("atomic", "Lua `mm:atomic_add(0, 1)`, 2,000,000 times, one process",
     "LUA bench/atomic.lua atomic 2000000"),
    ("pair", "Lua `mm:pack(\"j\", 0, mm:unpack(\"j\", 0) + 1)` (not atomic), the same",
     "LUA bench/atomic.lua pair 2000000"),
    ("string", "Lua `s = string.pack(\"j\", string.unpack(\"j\", s) + 1)`, the same",
     "LUA bench/atomic.lua string 2000000"),
    ("atomic2", "2 processes x 1,000,000 `mm:atomic_add(8, 1)` on one shared file map",
     "LUA bench/contend.lua atomic 1000000"),
    ("flock2", "2 processes x 200,000 (`flock` LOCK_EX, unpack + pack, LOCK_UN) on the same",
     "LUA bench/contend.lua flock 200000"),
]
derived = {"ns per op": lambda r: r["s"] * 1e9 / r["count"]}
ratios = [
    ("uncontended `atomic_add` vs `unpack` + `pack`", "pair:ns per op / atomic:ns per op", None),
    ("uncontended `atomic_add` vs `string.pack` on a string", "string:ns per op / atomic:ns per op", None),
    ("2 processes: `atomic_add` vs a `flock` lock", "flock2:ns per op / atomic2:ns per op", None),
]
how = """
`bench/atomic.lua` (three ways) and `bench/contend.lua` (two), alternately,
{rounds} rounds; `ns per op` divides the time by the final count, which is
exact on every side (a lost update would show there). One process: the CPU
time of the loop, on an 8-byte anonymous map made before the clock starts.
Two processes: each adds to one 8-byte counter of a 16-byte file map;
both are released together (a start barrier made of `atomic_add`, `wait` and
`notify`), and the time is the wall time (`CLOCK_MONOTONIC`, through the small
module `bench/flock.c`, which `make bench` builds) of the slower of the two:
waiting for the lock is part of the cost. `ns per op` there is that time over
both processes' operations together. The lock side takes `flock(2)` with
`LOCK_EX` (blocking) around an `unpack` + `pack`, the way a Lua program
without atomics keeps such a counter exact.
"""
