# bench/why.sh: sourced by bench/run. Each why_* function prints, in
# Markdown, the paragraph that bench/run adds under a workload whose target
# was missed in this run: by how much (from this run's variables), why (from
# profiles: `perf record` of the workload scripts run by a Lua host linked
# with liblua5.4.a, whose functions keep their names), and what was tried.
# The experiments quoted were made while writing this benchmark, on a copy
# of src/ in /tmp (revision 15424b4), 5 alternating runs per side, medians;
# they are not re-run here.

why_find () {
  cat <<EOF
**Missed: find.** 16-byte needle: Lua/Python ${rp16}× for a target of 1.5×
($va1), Lua/C ${rc16}× for 0.85× ($va2); 1-byte needle: Lua/C ${rc1}× for 0.9×
($va3). \`mm:find\` is one call of glibc's \`memmem\` (\`mms_memmem\`,
src/mm_posix.c) under the guard, and \`memmem\` calls \`memchr\` for one byte:
the module adds under a microsecond per call to a search of tenths of a
second, so Lua/C stays near 1 (its spread here is run-to-run noise). What
separates it from 1.5× Python is glibc's short-needle \`memmem\` itself,
$(gbs "$fc16") GB/s on this text in this run, against CPython's two-way search at
$(gbs "$fp16") GB/s; the 1-byte search is \`memchr\` on both sides.
Applied since: an SSE2 prefilter in \`mms_memmem\` (the needle's first and
last bytes tested at 16 positions per step, candidates verified inline,
glibc's \`memmem\` past a linear budget of compared bytes): 0.20 s instead of
0.41 s for this needle when it was written. If this paragraph shows, the
filter did not pay on this run's machine.

EOF
}

why_index () {
  cat <<EOF
**Missed: random \`mm[i]\`.** Lua/Python is ${ri}× for a target of 1× ($vb).
Each \`mm[i]\` is a call of the C metamethod \`m_index\` (src/mmap.c): the
type check against the metatable upvalue, the integer check, and the guarded
read of one byte (\`mm_getbyte\`, about 5 ns of guard); Python's \`m[i]\` is a
C slot call with no lookup. The reads themselves miss the caches and the TLB
on both sides. Tried: checking the map against the metatable held as an
upvalue rather than with \`luaL_checkudata\` (applied) gave 3%.

EOF
}

why_read () {
  cat <<EOF
**Missed: \`read(4096)\`, by ${vc#missed by }:** Lua/Python is ${rr}× for a target
of 1×. Each call copies its 4 KiB twice: \`pushread\` (src/mmap.c) copies it out
of the map into a C stack buffer under the guard, then \`lua_pushlstring\`
copies it into the new string; Python's \`m.read\` copies once. Lua 5.4's C
API cannot create a string and fill it in place, and copying straight from
the map inside \`lua_pushlstring\` would break the guard's rule (no Lua API
call while it is armed: a fault there would jump out of Lua's allocator).
Each new string also lands on cold memory: Lua frees the previous ones only
at its next collection, while Python frees each bytes object at once by
reference count, so the next one reuses the same warm block.
Applied: the stack buffer replaced a \`luaL_Buffer\`, whose box for more than
1 KiB meant an allocation and a third copy (0.417 s before, 0.245 s after,
when measured with a 16 KiB buffer; it is kept to a page because hosts may
run Lua on small thread stacks). With \`collectgarbage("generational")\` the
script runs about 25% faster, a choice for the program, not for the module.

EOF
}

why_lines () {
  cat <<EOF
**Missed: \`lines()\`.** Against Python's readline loop ${rlp}× for a target of
1× ($vd1); against \`io.lines\` ${rli}× for a target of 2× ($vd2). Profile of
\`bench/lines.lua mmap\`: 32% of the time is \`internshrstr\`: every line of 40
bytes or less is a short string, which Lua 5.4 hashes byte by byte and looks
up in its string table; about 20% is allocating and collecting those strings
(\`malloc\`/\`free\`, \`luaC_newobj\`, sweeping, marking); the interpreter's loop
and call take about 12%. The module's own part (\`lines_step\`, \`pushline\`,
\`mm_getline\` with its \`memchr\`, the copy to the stack and the guard) is
about 24%, some 50 ns a line. Python's \`readline\` makes a bytes object without
hashing it and frees it at once. \`io.lines\` pays the same interning and
collection and loses by its character-by-character \`getc\` loop; reaching 2×
would need the module's part to shrink by half, which no change of the step
alone gives: the copy and \`memchr\` are small, the guard is about 5 ns.
Tried: \`collectgarbage("generational")\`, 3% faster; nothing in the module can
avoid the interning short strings get.

EOF
}

why_gmatch () {
  if missed "$ve1"; then
    cat <<EOF
**Missed: \`gmatch\` time.** \`mm:gmatch\` is ${rg}× \`string.gmatch\` for a target
of 1×. Both run Lua's matcher; the map's version also pays the page faults
of a file mapped without \`MAP_POPULATE\` and a guard per step.

EOF
  fi
  if missed "$ve2" || missed "$ve3"; then
    cat <<EOF
**Missed: peak RSS, as \`VmHWM\` counts it.** The map's peak is $rss of the
string's at 256 MiB and $rss1 at 1 GiB, for a target of 0.10. All of it is the
file itself: the map's file-backed RSS at the end (\`RssFile\`,
$(mib "$fm") MiB) is its whole peak, and its private memory (\`VmHWM\` −
\`RssFile\`) is $pm MiB against $ps MiB for the string (ratio $prv). Linux
counts a page of a mapped file in a process's RSS once the process has
touched it, so a scan of a whole N-byte map peaks at about N, whatever the
module does; \`f:read("a")\` peaks at about 2N of private memory (its buffer and
then the string). The map's pages are clean page cache, shared with every
reader and dropped under memory pressure without swap, and \`read\` leaves the
same pages in the page cache without counting them in RSS. The target holds
for private memory. Tried: a scan that gives each 64 MiB window back with
\`mm:madvise(mmap.MADV_DONTNEED, …)\` once done (the window row above):
peak $(mib "$hw1") MiB over 1 GiB, ratio $rssw, in $(calc %.2f "$tw1 / $tm1")× the time of the
plain scan (its position capture and the test per match). The
module should not do this by itself (it would drop pages a caller may still
want, and on an \`ACCESS_COPY\` map lose its changes), but a program can.

EOF
  fi
}

why_unpack () {
  cat <<EOF
**Missed: \`unpack\`.** \`mm:unpack\` takes $(ns "$um") ns per value and the cached
form $(ns "$uc") ns, for a target of 100 ns ($vf1; $vf3); against Python's
\`struct.unpack_from\` they are ${rum}× and ${ruc}×, for a target of 2× ($vf2;
$vf4). A floor first: in the same loop on this machine a call of a C function
that does nothing (\`rawequal\`) costs about 75 ns per value, and
\`string.unpack\` on a loaded string costs $(ns "$us") ns: one C call per value
through Lua 5.4's interpreter cannot reach 100 ns here, whatever
\`mm:unpack\` does. The cached form takes $(calc %.2f "$uc / $us")× the time of
\`string.unpack\` in this run: its quick path for one integer (\`mmp_single\`,
\`mm_unpack_int\` under the guard) is not the problem. The method form pays, on top, the lookup of
\`mm.unpack\`: a userdata's \`__index\` must be a C function here (the same
metamethod serves \`mm[i]\`, which needs the map), so every lookup is a
metamethod call (\`luaV_finishget\`, \`luaT_callTMres\`, \`m_index\`,
\`lua_rawget\`), about 50 ns, spread over the interpreter's functions in the
profile. Tried: \`m_index\` answering method names before it checks the map,
and \`checkmap\` comparing with the metatable as an upvalue instead of
\`luaL_checkudata\` (the same change is now in src/, 5e8a21a): method form
2.83 s → about 1.95 s, cached 1.58 s → about 1.34 s. What is left is the
interpreter's call cost; the cached form (\`local unpack = mm.unpack\`) is the
way to decode in a loop.

EOF
}
