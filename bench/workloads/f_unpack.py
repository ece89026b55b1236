# (f) unpack: decoding 10 M little-endian int32 from a map, against Python's
# struct.unpack_from and Lua's string.unpack on a loaded string.
tag = "(f)"
title = "Decoding 10,000,000 little-endian int32 (a 40 MB file)"
data = ["ints.bin"]
rounds = 5
columns = ["s", "sum"]
same = "sum"
sides = [
    ("method", "Lua `s = s + mm:unpack(\"<i4\", off)`", "LUA bench/unpack.lua ints.bin method"),
    ("py", "Python `s += struct.unpack_from(\"<i\", m, off)[0]`", "PYTHON bench/unpack.py ints.bin"),
    ("cached", "Lua `local unpack = mm.unpack`, `s = s + unpack(mm, \"<i4\", off)`",
     "LUA bench/unpack.lua ints.bin cached"),
    ("string", "Lua `string.unpack(\"<i4\", data, off + 1)`, `data = f:read(\"a\")`",
     "LUA bench/unpack.lua ints.bin string"),
]
derived = {"ns per value": lambda r: r["s"] * 100}
ratios = [
    ("`mm:unpack` vs Python `struct.unpack_from`", "py / method", ">= 2"),
    ("cached `unpack` vs Python `struct.unpack_from`", "py / cached", ">= 2"),
    ("`mm:unpack` vs `string.unpack` on a loaded string", "string / method", None),
    ("cached `unpack` vs `string.unpack` on a loaded string", "string / cached", None),
]
how = """
`bench/unpack.lua method`, `bench/unpack.py`, `bench/unpack.lua cached` and
`bench/unpack.lua string`, in that order, {rounds} rounds; the run stops
unless every run finds the same sum. The map (`MAP_POPULATE`) or the string is
made before the clock starts; the time is the whole loop (its iteration and
the addition included), divided by 10 M for ns per value. Python's call is the
plain form; a bound `struct.Struct("<i").unpack_from` would be about 15% faster
(measured once while writing this benchmark, not part of this run).
"""
findings = """
Findings. Whether a loop reaches 100 ns per value (the old absolute aim)
depends on the machine more than on the module: where this was investigated, a
call of a C function that does nothing (`rawequal`) cost about 75 ns per value
in the same loop and `string.unpack` on a loaded string 128 ns, so no form of
one C call per value could get there; read the `ns per value` column against
the `string` row. The cached form's quick path for one integer (`mmp_single`,
`mm_unpack_int` under the guard) took 1.03× the time of `string.unpack` then.
The method form pays, on top, the lookup of `mm.unpack`: a userdata's
`__index` must be a C function here (the same metamethod serves `mm[i]`, which
needs the map), so every lookup is a metamethod call (`luaV_finishget`,
`luaT_callTMres`, `m_index`, `lua_rawget`), about 50 ns, spread over the
interpreter's functions in the profile. Tried and applied: `m_index` answering
method names before it checks the map, and `checkmap` comparing with the
metatable as an upvalue instead of `luaL_checkudata` (5e8a21a): method form
2.83 s → about 1.95 s, cached 1.58 s → about 1.34 s. What is left is the
interpreter's call cost; the cached form (`local unpack = mm.unpack`) is the
way to decode in a loop.
"""
