# (d) lines: counting 10 M short lines, against Python's readline loop and
# Lua's io.lines.
tag = "(d)"
title = "Counting 10,000,000 short lines"
data = ["lines.txt"]
rounds = 5
columns = ["s", "lines"]
same = "lines"
sides = [
    ("mmap", "Lua `for l in mm:lines()`", "LUA bench/lines.lua lines.txt mmap"),
    ("py", "Python `for l in iter(m.readline, b\"\")`", "PYTHON bench/lines.py lines.txt"),
    ("io", "Lua `for l in io.lines(path)`", "LUA bench/lines.lua lines.txt io"),
]
derived = {"ns per line": lambda r: r["s"] * 100}
ratios = [
    ("`mm:lines()`, 10 M lines, vs Python readline loop", "py / mmap", ">= 1"),
    ("`mm:lines()`, 10 M lines, vs `io.lines`", "io / mmap", ">= 2"),
]
how = """
`bench/lines.lua mmap`, `bench/lines.py` and `bench/lines.lua io`, in that
order, {rounds} rounds. The file has 10 M lines of 20 to 40 bytes (300 MB, hot
in the page cache). The time is the whole walk: opening and mapping the file
(no `MAP_POPULATE`: page faults included) or opening it for `io.lines`.
"""
findings = """
Findings: why `lines()` stays below Python and short of 2× `io.lines`. Profile
of `bench/lines.lua mmap`: 32% of the time is `internshrstr`: every line of 40
bytes or less is a short string, which Lua 5.4 hashes byte by byte and looks
up in its string table; about 20% is allocating and collecting those strings
(`malloc`/`free`, `luaC_newobj`, sweeping, marking); the interpreter's loop and
call take about 12%. The module's own part (`lines_step`, `pushline`,
`mm_getline` with its `memchr`, the copy to the stack and the guard) is about
24%, some 50 ns a line. Python's `readline` makes a bytes object without
hashing it and frees it at once. `io.lines` pays the same interning and
collection and loses by its character-by-character `getc` loop; reaching 2×
would need the module's part to shrink by half, which no change of the step
alone gives: the copy and `memchr` are small, the guard is about 5 ns. Tried:
`collectgarbage("generational")`, 3% faster; nothing in the module can avoid
the interning short strings get.
"""
