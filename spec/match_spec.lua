-- match / gmatch (doc/mmap.md §12): Lua 5.4's patterns run over the mapped bytes
-- without copying them; 0-based offsets for position captures.
--
-- The differential part is the heart: random subjects (fixed seed) each in a
-- map of exactly their length, a hand-written corpus of patterns covering
-- every item of the pattern language (and malformed ones), and every result
-- compared with string.match / string.gmatch on the same bytes: the values,
-- their types, and the error texts. For a start and a stop the reference is
-- string.match(subject:sub(1, stop), p, start + 1), start and stop being
-- normalised against the map's length first (negative from the end).
local H = require "helper"
local mmap = require "mmap"

-- Globals of a spec file are looked up through busted's environment, which
-- is slow: the differential loop below uses these locals instead.
local string, table, math = string, table, math
local pcall, error, ipairs, select, type, tostring =
  pcall, error, ipairs, select, type, tostring

local P = mmap.PAGESIZE
local SEED = 20250611
-- subjects, and how many (subject, pattern) pairs each subject gets
local SUBJECTS = H.VALGRIND and 60 or 2000
local PER_SUBJECT = H.VALGRIND and 12 or 24

-- {{======================================================
-- The corpus. Each entry is one pattern; the comments say what it is for.

local R = string.rep
-- 201 nested levels of 'a*': "pattern too complex" in Lua 5.2+
local DEEP = R("a*", 201) .. "b"

local PATTERNS = {
  -- empty pattern, plain bytes
  "", "a", "b", "ab", "abc", "ba", "aaa", "x", "\0", "a\0", "\0\0", " ", "\n",
  "%z", "%Z",      -- '\0' and the rest: deprecated, but 5.4 has them
  "%q", "%Q",      -- escaped letters that are no class
  -- any byte
  ".", "..", "a.", ".b", "...", ".\0",
  -- classes and complements
  "%a", "%c", "%d", "%g", "%l", "%p", "%s", "%u", "%w", "%x",
  "%A", "%C", "%D", "%G", "%L", "%P", "%S", "%U", "%W", "%X",
  "%a+", "%d+", "%s*", "%w+", "%x%x", "%p%p", "%u%l*", "%S+", "%D-%d", "%c+",
  "%g+", "%A+", "%W-%w", "%l%u",
  -- escapes of non-alphanumerics
  "%%", "%.", "%(", "%)", "%[", "%]", "%-", "%*", "%+", "%?", "%^", "%$",
  "%.%.", "a%-b", "%%%a", "% ", "%\0", "%(%)", "%[.-%]",
  -- sets: members, ranges, classes, complement, ']' first, odd ranges
  "[abc]", "[a-c]", "[^abc]", "[^a-c]", "[]]", "[^]]", "[]a]", "[a-]", "[-a]",
  "[%a]", "[%d%s]", "[^%s]", "[%]]", "[%-]", "[a-c%d]+", "[^%a%d]+", "[%w_]+",
  "[.]", "[%.]", "[a%-z]", "[z-a]", "[\0-\31]", "[^\0]", "[a-a]", "[%%]", "[[]",
  "[^[]", "[a-%]]", "[%a-z]", "[^%]]", "[%^]", "[^^]", "[$]", "[()]+",
  "[\128-\255]", "[^\128-\255]+", "[a-b-c]", "[%A%D]",
  -- the four repetitions and their backtracking
  "a*", "a+", "a-", "a?", "ab*", "ab+", "ab-", "ab?", "a*b", "a+b", "a-b", "a?b",
  ".*", ".+", ".-", ".?", ".-b", ".*b", "[ab]*", "[ab]+c", "[^a]-a", "%a*%d",
  "a*a", "a-a", "a-$", "a*$", ".-$", "b?b?b?", "x*a", "x?x?a", "a+a+",
  "%s*(%S+)%s*", "[ab]-b", "b-%$", ".?.?.?$",
  -- repetition marks where they are ordinary bytes
  "*", "+", "-", "?", "*a", "a**", "a+?", "a?-", "-a",
  -- anchors: '^' first (in match; an ordinary byte in gmatch), '$' last
  "^a", "^", "^$", "$", "^.", "^a*", "^.-b", "^(a)", "a$", "^abc$", "^%a+$",
  "b$", "$a", "a$b", "^^", "a^", "^%^", "^[ab]+", "^()", "()$", "^.*$",
  -- captures, nested, around repetitions
  "(a)", "(a)(b)", "((a)b)", "(a*)", "(a-)b", "(.)(.)(.)", "(%a+)(%d*)",
  "((((a))))", "(a(b(c)))", "(.-)b", "(.*)b(.*)", "([ab])([^ab])", "(%b())",
  "(a?)(b?)", "(.)(.-)%1", "(ab)+", "(a*(.)%w(%s*))",
  -- position captures (0-based offsets in the map)
  "()", "()a()", "(()a)", "a()b", "()()", "(a)()(b)", "()%a+()", "(()(.)())",
  -- back-references
  "(.)%1", "(.)(.)%2%1", "(a*)%1", "(%a)%1+", "(..)%1", "((.)%2)", "(.)%1%1",
  "()%1",          -- a position is no text: never matches
  "(a)%2",         -- error, only once an 'a' is found
  "(a%1)",         -- error: capture 1 still open
  "(a)%0",
  -- balanced pairs
  "%b()", "%b[]", "%bab", "%baa", "%b((", "a%b()", "%b()+", "(%b[])", "%b%%",
  "%b\0a", "%b()%b[]",
  -- frontiers (before the map and after the subject count as '\0')
  "%f[%a]", "%f[%a]%a+", "%f[%A]", "%f[%w]%w+%f[%W]", "%f[a]", "%f[^a]",
  "%f[%s]", "%f[^\0]", "%f[\0]", "%f[]]", "%f[%z]", "%f[%a]$", "%f[^%a]",
  "()%f[b]", "%f[ab]()",
  -- malformed: the error comes when the matcher reaches the faulty item
  "%", "a%", "[", "[a", "[^", "[]", "[^]", "[%", "[a%", "x[", "a[b", "(", "(a",
  ")", "a)", "(()", "%b", "%bx", "a%bx", "%1", "%0", "%f", "%fx", "%f[a", "a%f",
  "%9", "(a)(b)%3",
  -- too many captures (33), and the nesting limit (200 levels of 'a*')
  R("()", 32), R("()", 33), "a" .. R("(a)", 33), DEEP,
  "(" .. R("a*", 197) .. ")", R("(.?)", 32),
}

-- }}======================================================


-- {{======================================================
-- The reference: Lua 5.4's string.match and string.gmatch. The module
-- implements 5.4's patterns on every Lua; where this Lua's own string
-- library differs from 5.4 (probed here, not assumed from the version),
-- the reference is adapted, or the corpus restricted, as follows.

-- 5.1 and LuaJIT end a pattern at its first "\0" (they match with %z):
-- patterns holding one are left out of the comparison there.
local NUL_OK = string.match("a\0b", "\0b") == "\0b"
-- 5.1 has no %g (printable but space): patterns with %g / %G left out.
local GRAPH_OK = string.match(" a", "%g") == "a"
-- 5.1 has no limit on the matcher's nesting: DEEP raises nothing there.
-- LuaJIT's matcher nests at every 'a*', even one that takes nothing, so
-- DEEP raises there even on "b", which 5.4 matches: DEEP is compared only
-- where it raises as in 5.4.
local DEPTH_LIMIT = not pcall(string.match, "a", DEEP)
local DEPTH_54 = DEPTH_LIMIT and pcall(string.match, "b", DEEP)
-- 5.1 (and LuaJIT) take an init past the end as the end itself; 5.2+
-- find nothing. The reference wrapper below gives 5.4's nil there.
local INIT_PAST_END = string.match("abc", "", 5) == nil
-- gmatch takes an init only from 5.4 on, and before 5.3 it could match an
-- empty string right where the previous match ended ("b*" over "abc"
-- gives 4 matches, 3 in 5.3+). Where either differs, the reference
-- gmatch is 5.4's gmatch_aux written over string.find below.
local GMATCH_54 = select("#", string.gmatch("ab", ".", 2)()) == 1
  and string.gmatch("ab", ".", 2)() == "b"
do
  local k = 0
  for _ in string.gmatch("abc", "b*") do k = k + 1 end
  GMATCH_54 = GMATCH_54 and k == 3
end
-- Error texts that 5.1 and LuaJIT word differently: "unbalanced pattern"
-- for a %b without its two bytes; "invalid capture index" without the
-- %N of the faulty back-reference, which 5.2+ append. These are mapped to
-- 5.4's wording (the N from the pattern's one back-reference).
local OLD_TEXTS = {
  ["unbalanced pattern"] = "malformed pattern (missing arguments to '%b')",
}

local function backrefs(p)
  local found, i = {}, 1
  while i <= #p do
    if p:sub(i, i) == "%" then
      local d = p:sub(i + 1, i + 1)
      if d:match("^%d$") then found[#found + 1] = d end
      i = i + 2
    else
      i = i + 1
    end
  end
  return found
end

local function reraise(p, err)
  local msg = (tostring(err):gsub("^[^:]*:%d+: ", ""))
  if OLD_TEXTS[msg] then msg = OLD_TEXTS[msg] end
  if msg == "invalid capture index" then
    local refs = backrefs(p)
    if #refs == 1 then msg = msg .. " %" .. refs[1] end
  end
  error(msg, 0)
end

local function ref_match(s, p, init)
  init = init or 1
  if not INIT_PAST_END and init > #s + 1 then return nil end
  local r = H.pack(pcall(string.match, s, p, init))
  if not r[1] then reraise(p, r[2]) end
  return H.unpack(r, 2, r.n)
end

-- Lua 5.4's gmatch (lstrlib.c, gmatch and gmatch_aux): from init on, the
-- first position where the pattern matches (a leading '^' is an ordinary
-- byte there), skipping a match that ends where the previous one ended.
-- A match at a position is string.find anchored there.
local function gmatch54(s, p, init)
  local ls = #s
  local src = (init or 1) - 1     -- 0-based; init >= 1 here
  if src > ls then src = ls + 1 end
  local anchored = "^" .. (p:sub(1, 1) == "^" and "%" .. p or p)
  local lastmatch
  return function()
    while src <= ls do
      local r = H.pack(pcall(string.find, s, anchored, src + 1))
      if not r[1] then reraise(p, r[2]) end
      local e = r[3]              -- the 1-based last byte: the 0-based end
      if r[2] ~= nil and e ~= lastmatch then
        src, lastmatch = e, e
        if r.n > 3 then return H.unpack(r, 4, r.n) end
        return s:sub(r[2], r[3])
      end
      src = src + 1
    end
  end
end

local function ref_gmatch(s, p, init)
  if not GMATCH_54 then return gmatch54(s, p, init) end
  local ok, it = pcall(string.gmatch, s, p, init)
  if not ok then reraise(p, it) end
  return function()
    local r = H.pack(pcall(it))
    if not r[1] then reraise(p, r[2]) end
    return H.unpack(r, 2, r.n)
  end
end

-- Restrict the corpus to what this Lua's reference can judge.
do
  local kept = {}
  for _, p in ipairs(PATTERNS) do
    if (NUL_OK or not p:find("\0", 1, true))
       and (GRAPH_OK or not p:find("%%[gG]"))
       and (DEPTH_54 or p ~= DEEP) then
      kept[#kept + 1] = p
    end
  end
  PATTERNS = kept
end

-- }}======================================================

-- Bytes subjects are made of: a few alphabets, so that patterns match.
local ALPHABETS = {
  "ab",
  "aabbc ",
  "aaabbbcx()[]%-.^$ 01\0AZ_\n",
  "a b()[]\0",
}

local function random_subject(rnd)
  local n = rnd(0, 60)
  local alpha = ALPHABETS[rnd(#ALPHABETS)]
  local t = {}
  for i = 1, n do
    if rnd(12) == 1 then
      t[i] = string.char(rnd(0, 255))
    else
      local k = rnd(#alpha)
      t[i] = alpha:sub(k, k)
    end
  end
  return table.concat(t)
end

-- "file:line: " prefixes aside, the message of an error.
local function bare(err)
  return (tostring(err):gsub("^[^:]*:%d+: ", ""))
end

-- Outcomes are flat lists { n = N, ... }: for each call, its count of
-- values then the values, position captures (integers) shifted by `shift`;
-- an error ends the list with false and its bare message.
local function record(out, shift, ...)
  local n = select("#", ...)
  local k = out.n + 1
  out[k] = n
  for i = 1, n do
    local v = (select(i, ...))
    if type(v) == "number" then v = v + shift end  -- a position capture
    out[k + i] = v
  end
  out.n = k + n
  return n, (...)
end

local function failed(out, err)
  out[out.n + 1] = false
  out[out.n + 2] = bare(err)
  out.n = out.n + 2
  return out
end

local function recorded(out, shift, f, ...)
  return record(out, shift, f(...))
end

-- The outcome of f(...) (a match).
local function call(shift, f, ...)
  local out = { n = 0 }
  local ok, err = pcall(recorded, out, shift, f, ...)
  if not ok then return failed({ n = 0 }, err) end
  return out
end

local function drain(out, shift, iter)
  for _ = 1, 200 do
    local n, first = record(out, shift, iter())
    if n == 0 or first == nil then return end
  end
end

-- The outcome of every step of the iterator that f(...) returns (a gmatch).
local function steps(shift, f, ...)
  local out = { n = 0 }
  local ok, iter = pcall(f, ...)
  if ok then ok, iter = pcall(drain, out, shift, iter) end
  if not ok then failed(out, iter) end
  return out
end

local function show(o)
  local t = {}
  for i = 1, o.n do
    local v = o[i]
    t[i] = type(v) == "string" and ("%q"):format(v):gsub("\\\n", "\\n") or tostring(v)
  end
  return "{" .. table.concat(t, ", ") .. "}"
end

local function same(a, b)
  if a.n ~= b.n then return false end
  for i = 1, a.n do
    if a[i] ~= b[i] or H.isint(a[i]) ~= H.isint(b[i]) then return false end
  end
  return true
end

-- Expected start and stop of the reference call: normalised against n.
local function bounds(n, start, stop)
  local a = start or 0
  if a < 0 then a = math.max(a + n, 0) end
  local b = stop or n
  if b < 0 then b = math.max(b + n, 0) elseif b > n then b = n end
  return a, b
end

describe("match/gmatch against string.match/gmatch", function()
  after_each(function() H.cleanup() end)

  it(("agree on %d random subjects x %d patterns each (corpus of %d)")
       :format(SUBJECTS, PER_SUBJECT, #PATTERNS), function()
    assert.is_true(#PATTERNS >= 150)
    math.randomseed(SEED)
    local rnd = math.random
    local uses = {}
    local compared = 0
    for si = 1, SUBJECTS do
      local s = random_subject(rnd)
      local n = #s
      -- a map of exactly the subject; the empty subject is stop = 0 of a
      -- one-byte map
      local mm = assert(mmap.mmap(-1, math.max(n, 1)))
      mm:write(s)
      local whole = n == 0 and 0 or nil
      local starts = { 0, H.idiv(n, 2), n, n + 1, n + 7, -1, -3, -(n + 5), rnd(0, n) }
      local stops = { n, H.idiv(n, 2), 0, -1, -4, -(n + 5), n + 3, rnd(0, n), rnd(0, n) }
      for k = 1, PER_SUBJECT do
        -- half of them every pattern in turn, the other half random ones
        local half = H.idiv(PER_SUBJECT, 2)
        local pi = k <= half and ((si - 1) * half + k - 1) % #PATTERNS + 1
                   or rnd(#PATTERNS)
        local p = PATTERNS[pi]
        uses[pi] = (uses[pi] or 0) + 1
        -- the defaults, then a start alone or a start and a stop
        local cut = whole or (rnd(3) > 1 and stops[rnd(#stops)] or nil)
        local cases = {
          { whole and 0 or nil, whole },
          { starts[rnd(#starts)], cut },
        }
        for _, c in ipairs(cases) do
          local start, stop = c[1], c[2]
          local a, b = bounds(n, start, stop)
          local sub = s:sub(1, b)
          local want = call(0, ref_match, sub, p, a + 1)
          local got = call(1, mm.match, mm, p, start, stop)
          if not same(want, got) then
            error(("match(%q, %s, %s) on %q:\n  string.match %s\n  mm:match     %s")
                  :format(p, tostring(start), tostring(stop), s, show(want), show(got)))
          end
          want = steps(0, ref_gmatch, sub, p, a + 1)
          got = steps(1, mm.gmatch, mm, p, start, stop)
          if not same(want, got) then
            error(("gmatch(%q, %s, %s) on %q:\n  string.gmatch %s\n  mm:gmatch     %s")
                  :format(p, tostring(start), tostring(stop), s, show(want), show(got)))
          end
          compared = compared + 1
        end
      end
      mm:close()
    end
    for i = 1, #PATTERNS do
      assert.is_true((uses[i] or 0) > 0, "pattern never used: " .. PATTERNS[i])
    end
    assert.is_true(compared >= SUBJECTS * PER_SUBJECT * 2)
  end)

  it("agree on the defaults with string.match(s, p) itself", function()
    local s = "key = value; other=42 (nested (parens)) [x] end"
    local mm = H.anon(s)
    for _, p in ipairs(PATTERNS) do
      local want, got = call(0, ref_match, s, p), call(1, mm.match, mm, p)
      assert.is_true(same(want, got), p .. ": " .. show(want) .. " vs " .. show(got))
      want, got = steps(0, ref_gmatch, s, p), steps(1, mm.gmatch, mm, p)
      assert.is_true(same(want, got), "gmatch " .. p .. ": " .. show(want) .. " vs " .. show(got))
    end
  end)
end)

describe("match/gmatch", function()
  local mm
  after_each(function() H.cleanup(mm); mm = nil end)

  describe("results", function()
    before_each(function() mm = H.anon("hello world, hello moon") end)

    it("the whole match without captures, the captures with them", function()
      assert.are.equal("hello", mm:match("%a+"))
      assert.are.same({ "hello", "world" }, { mm:match("(%a+) (%a+)") })
      assert.is_nil(mm:match("xyz"))
      assert.are.equal("", mm:match(""))
    end)

    it("position captures are 0-based offsets into the map", function()
      assert.are.same({ 0, 5 }, { mm:match("()%a+()") })
      assert.are.same({ 6, "world", 11 }, { mm:match("()(w%a+)()") })
      assert.are.equal(23, mm:match("()$"))
      assert.is_true(H.isint(mm:match("()")))
      local t = {}
      for at in mm:gmatch("()hello") do t[#t + 1] = at end
      assert.are.same({ 0, 13 }, t)
    end)

    it("start and stop: 0-based, negative from the end", function()
      assert.are.equal("hello", mm:match("h%a+", 1))
      assert.are.equal(13, mm:match("()h", 1))
      assert.are.equal("moon", mm:match("%a+", -4))
      assert.are.equal("mo", mm:match("%a+", -4, -2))
      assert.are.equal("wor", mm:match("w%a*", 0, 9))
      assert.is_nil(mm:match("^hello", 1))
      assert.are.equal("hello", mm:match("^hello", 13))
      assert.are.equal("hel", mm:match("h%a*$", 0, 16))
      assert.are.equal(5, mm:match("()%f[^%a]", nil, 10))
      assert.are.equal("hello", mm:match("%a+", nil, nil))
      assert.are.equal("world", mm:match("w%a+", nil))
    end)

    it("the subject is [0, stop): '$' anchors to stop, nothing past it is read", function()
      assert.are.equal("wo", mm:match("%a+$", 0, 8))
      assert.are.equal(8, mm:match("()$", 3, 8))
      -- the byte at stop is 'r', but for %f it is the '\0' after the subject
      assert.are.equal(8, mm:match("%f[\0]()", 6, 8))
      assert.are.equal(9, mm:match("%f[\0]()", 6, 9))
    end)

    it("bytes before start are seen by %f and by nothing else", function()
      -- at 8 ('r'), the byte before is 'o': no frontier of letters there
      assert.are.equal(13, mm:match("%f[%a]()", 8))
      assert.are.equal(6, mm:match("()%f[%a]", 6))
      assert.is_nil(mm:match("^%f[%a]", 7))
    end)

    it("a start past the end is nil; start == #mm matches the empty string", function()
      local n = #mm
      assert.are.equal("", mm:match("", n))
      assert.are.equal(n, mm:match("()", n))
      assert.is_nil(mm:match("", n + 1))
      assert.is_nil(mm:match("", H.MAXINT))
      assert.are.equal("hello", mm:match("%a+", H.MININT))
      assert.are.equal("", mm:match("$", n))
    end)

    it("a start past the stop is nil, even for the empty pattern", function()
      assert.is_nil(mm:match("", 5, 4))
      assert.is_nil(mm:match("", -3, 2))
      assert.are.equal("", mm:match("", 5, 5))
      local it = mm:gmatch("", 5, 4)
      assert.are.equal(0, select("#", it()))
    end)

    it("gmatch yields as string.gmatch, empty matches included", function()
      local t = {}
      for w in mm:gmatch("%a+") do t[#t + 1] = w end
      assert.are.same({ "hello", "world", "hello", "moon" }, t)
      local x = H.anon("abc")
      local e = {}
      for w in x:gmatch("x*") do e[#e + 1] = w end
      assert.are.same({ "", "", "", "" }, e)
      local pairs_ = {}
      for k, v in H.anon("a=1, b=22"):gmatch("(%w+)=(%w+)") do
        pairs_[#pairs_ + 1] = k .. ":" .. v
      end
      assert.are.same({ "a:1", "b:22" }, pairs_)
    end)

    it("gmatch: a leading '^' is an ordinary byte, as in string.gmatch", function()
      local x = H.anon("a^b^c")
      local t = {}
      for w in x:gmatch("^.") do t[#t + 1] = w end
      assert.are.same({ "^b", "^c" }, t)
    end)

    it("gmatch with start and stop", function()
      local t = {}
      for w in mm:gmatch("%a+", 6, 20) do t[#t + 1] = w end
      assert.are.same({ "world", "hello", "m" }, t)
      t = {}
      for w in mm:gmatch("%a+", -4) do t[#t + 1] = w end
      assert.are.same({ "moon" }, t)
      t = {}
      for w in mm:gmatch("%a+", #mm + 1) do t[#t + 1] = w end
      assert.are.same({}, t)
    end)

    it("the iterator ends with no value, as string.gmatch's", function()
      local it = mm:gmatch("moon")
      assert.are.equal("moon", it())
      assert.are.equal(0, select("#", it()))
      assert.are.equal(0, select("#", it()))
    end)

    it("works on a read-only map, and does not move the position", function()
      local ro = H.readonly("read only text")
      assert.are.equal("only", ro:match("o%a+"))
      assert.are.equal("text", ro:match("%a+$"))
      mm:seek(7)
      assert.are.equal("hello", mm:match("%a+"))
      for _ in mm:gmatch("%a") do end
      assert.are.equal(7, mm:tell())
    end)

    it("handles bytes beyond 127 and '\\0' in subjects and patterns", function()
      local x = H.anon("a\0b\255c\128")
      assert.are.equal("\0b", x:match("\0b"))
      assert.are.equal("\255c\128", x:match("[\128-\255]c."))
      assert.are.equal(1, x:match("()%c"))
      assert.is_nil(x:match("%a", 3, 4))
      assert.are.equal(string.match("a\0b\255c\128", "%A+", 2), x:match("%A+", 1))
    end)

    it("too many captures and the nesting limit raise Lua's messages", function()
      H.raises("too many captures", mm.match, mm, R("()", 33))
      assert.are.equal(32, select("#", mm:match(R("()", 32))))
      -- 200 nested levels are allowed, as in Lua (MAXCCALLS): each "a?"
      -- that takes its byte goes one level deeper
      local a = H.anon(R("a", 300))
      assert.are.equal(R("a", 199), a:match(R("a?", 199)))
      H.raises("pattern too complex", a.match, a, R("a?", 200))
      -- each "a*" goes one level deeper when the ones before it take nothing
      local one = H.anon("a")
      assert.is_nil(one:match(R("a*", 199) .. "b"))
      H.raises("pattern too complex", one.match, one, R("a*", 200) .. "b")
    end)
  end)

  describe("malformed patterns raise Lua 5.4's own texts", function()
    before_each(function() mm = H.anon("abc(de)f") end)

    local cases = {
      { "%", "malformed pattern (ends with '%')" },
      { "a%", "malformed pattern (ends with '%')" },
      { "[a", "malformed pattern (missing ']')" },
      { "[", "malformed pattern (missing ']')" },
      { "[^", "malformed pattern (missing ']')" },
      { "[]", "malformed pattern (missing ']')" },
      { "[^]", "malformed pattern (missing ']')" },
      { "[a%", "malformed pattern (missing ']')" },
      { "%f", "missing '[' after '%f' in pattern" },
      { "%fa", "missing '[' after '%f' in pattern" },
      { "%f[a", "malformed pattern (missing ']')" },
      { "%b", "malformed pattern (missing arguments to '%b')" },
      { "%bx", "malformed pattern (missing arguments to '%b')" },
      { "%1", "invalid capture index %1" },
      { "%0", "invalid capture index %0" },
      { "(a)%2", "invalid capture index %2" },
      { "(a%1)", "invalid capture index %1" },
      { "()%9", "invalid capture index %9" },
      { ")", "invalid pattern capture" },
      { "a)", "invalid pattern capture" },
      { "(", "unfinished capture" },
      { "(()", "unfinished capture" },
      { "a(b", "unfinished capture" },
      { "%f[%a]" .. R("%a?", 250), "pattern too complex", R("abcdef", 50) },
      { R("()", 40), "too many captures" },
    }
    for _, c in ipairs(cases) do
      local p, text, subject = c[1], c[2], c[3]
      it(("%q: %s"):format(p, text), function()
        if subject then mm = H.anon(subject) end
        -- the text is exactly what string.match raises on the same bytes
        -- (5.4's wording, see ref_match; Lua 5.1 has no nesting limit)
        if DEPTH_LIMIT or text ~= "pattern too complex" then
          local ok, err = pcall(ref_match, subject or "abc(de)f", p)
          assert.is_false(ok)
          assert.are.equal(text, bare(err))
        end
        local ok2, err2 = pcall(mm.match, mm, p)
        assert.is_false(ok2)
        assert.are.equal(text, bare(err2))
        local ok3, err3 = pcall(function() for _ in mm:gmatch(p) do end end)
        assert.is_false(ok3)
        assert.are.equal(text, bare(err3))
      end)
    end

    it("a malformed part that is never reached raises nothing, as in Lua", function()
      assert.is_nil(string.match("abc", "x["))
      assert.is_nil(mm:match("x["))
      assert.is_nil(mm:match("z%1"))
      assert.is_nil(string.match("abc(de)f", "b|["))
      assert.is_nil(mm:match("b|["))
      assert.is_nil(mm:match("f(%b[]"))  -- an 'f' ends the subject
    end)
  end)

  describe("checks, in order: closed, pattern, start/stop, readable", function()
    it("a closed map raises before anything else", function()
      mm = H.anon("abc")
      mm:close()
      H.raises(H.MSG.closed, mm.match, mm, "a")
      H.raises(H.MSG.closed, mm.match, mm, 5, "x")
      H.raises(H.MSG.closed, mm.gmatch, mm, "a")
      H.raises(H.MSG.closed, mm.gmatch, mm, {})
    end)

    -- The calls below are wrapped in parentheses: LuaJIT does not know the
    -- name of a function it reached by a tail call, and would report
    -- "bad argument #2 to '?'" (for string.rep as well).
    it("the pattern is a string: numbers are not coerced", function()
      mm = H.anon("a5")
      H.raises("bad argument #1 to 'match' (string expected, got number)",
               function() return (mm:match(5)) end)
      H.raises("bad argument #1 to 'gmatch' (string expected, got number)",
               function() return (mm:gmatch(5)) end)
      H.raises("bad argument #1 to 'match' (string expected, got no value)",
               function() return (mm:match()) end)
      H.raises("bad argument #1 to 'gmatch' (string expected, got table)",
               function() return (mm:gmatch({})) end)
      H.raises("bad argument #1 to 'match' (string expected, got number)",
               function() return (mm:match(5, "x")) end)
    end)

    it("start and stop are integers or nil", function()
      mm = H.anon("abc")
      H.raises("bad argument #2 to 'match' (number expected, got string)",
               function() return (mm:match("a", "x")) end)
      H.raises("bad argument #3 to 'match' (number expected, got table)",
               function() return (mm:match("a", 0, {})) end)
      H.raises("bad argument #2 to 'gmatch' (number has no integer representation)",
               function() return (mm:gmatch("a", 1.5)) end)
      H.raises("bad argument #3 to 'gmatch' (number expected, got boolean)",
               function() return (mm:gmatch("a", nil, true)) end)
      assert.are.equal("b", mm:match("%a", 1.0))
      assert.are.equal("a", mm:match("%a", nil, 1))
    end)

    H.gate(H.NOTWIN.flags, it, pending)(
        "a map without PROT_READ raises 'not readable', after the argument checks", function()
      mm = H.keep(assert(mmap.mmap(-1, 16, { prot = 0 })))
      H.raises(H.MSG.unreadable, mm.match, mm, "a")
      H.raises(H.MSG.unreadable, mm.match, mm, "a", 1, 2)
      H.raises(H.MSG.unreadable, mm.gmatch, mm, "a")
      H.raises("bad argument #1 to 'match'", function() return (mm:match(5)) end)
      H.raises("bad argument #2 to 'gmatch'", function() return (mm:gmatch("a", "x")) end)
    end)

    it("the iterator raises once the map is closed", function()
      mm = H.anon("one two three")
      local it = mm:gmatch("%a+")
      assert.are.equal("one", it())
      mm:close()
      H.raises(H.MSG.closed, it)
      H.raises(H.MSG.closed, it)
    end)

    -- 5.5 has no "setpause"/"setstepmul" (see H.eager_gc): there the
    -- child sets the same parameters through "param". Elsewhere its text
    -- is left exactly as it was: this case is sensitive to the child's
    -- heap, which its own source is part of, when a cycle comes.
    local function gc55(code)
      if H.VERSION < 5.5 then return code end
      local old = code:match("\n( *if _VERSION == \"Lua 5.4\" then\n.-\n *end\n)")
      assert(old, "the collector settings of the child are not where expected")
      return (code:gsub(old:gsub("%p", "%%%0"), function()
        return [[
        collectgarbage("incremental")
        collectgarbage("param", "pause", 1)
        collectgarbage("param", "stepmul", 1000)
]]
      end, 1))
    end

    it("a finalizer that closes or shrinks the map while captures are pushed", function()
      -- each capture's buffer is an allocation that may run a finalizer:
      -- with the collector this eager, it runs during the first one. The
      -- captures are checked against the map after each allocation (in a
      -- child, so that this process keeps its collector settings).
      local out = H.child(gc55([[
        local mmap = require "mmap"
        local p = ("(" .. ("x"):rep(2000) .. ")"):rep(31)
        local data = ("x"):rep(31 * 2000)
        collectgarbage()
        if _VERSION == "Lua 5.4" then
          collectgarbage("incremental", 1, 1000)
        else  -- the same parameters, set the older way
          collectgarbage("setpause", 1)
          collectgarbage("setstepmul", 1000)
        end
        for _, act in ipairs({ "close", "shrink" }) do
          local raised = {}
          for _ = 1, 20 do
            local mm = mmap.mmap(-1, #data, { flags = mmap.MAP_PRIVATE })
            mm:write(data)
            -- a cycle that starts after the finalizer's object exists: one
            -- already under way (as the older collectors may have, after
            -- the last iteration) could end without seeing it garbage
            collectgarbage()
            -- A finalizer that runs outside the match (before it has begun,
            -- in pcall's own allocation, say: how soon depends on the
            -- heap's size) leaves a new one for the next cycle instead.
            local done = false
            local function inside()  -- is mm.match on the stack?
              for level = 2, 50 do
                local info = debug.getinfo(level, "f")
                if not info then return false end
                if info.func == mm.match then return true end
              end
              return false
            end
            local function arm()
              finalizer(function()  -- H.finalizer, which H.child gives
                if done then return end
                if not inside() then return arm() end
                if act == "close" then mm:close() else mm:resize(100) end
              end)
            end
            arm()
            local ok, err = pcall(mm.match, mm, p)
            done = true
            raised[ok and "nothing" or err] = true
            mm:close()
          end
          for k in pairs(raised) do print(act .. " " .. k) end
        end
      ]]))
      assert.are.equal("close " .. H.MSG.closed .. "\nshrink " .. H.MSG.index .. "\n", out)
    end)

    it("the iterator keeps its map alive", function()
      local it = H.anon("keep me"):gmatch("%a+")
      H.cleanup()  -- closes the kept map
      H.raises(H.MSG.closed, it)
      it = assert(mmap.mmap(-1, 4)):gmatch(".")
      collectgarbage()
      collectgarbage()
      assert.are.equal("\0", it())
    end)

    it("the iterator follows a resize: the size is read at each step", function()
      mm = H.keep(assert(mmap.mmap(-1, 11, { flags = mmap.MAP_PRIVATE })))
      mm:write("aaa bbb ccc")
      local it = mm:gmatch("%a+")
      assert.are.equal("aaa", it())
      assert.is_true(mm:resize(5))   -- "aaa b"
      assert.are.equal("b", it())
      assert.are.equal(0, select("#", it()))
      assert.is_true(mm:resize(9))   -- "aaa b" then zeros
      mm:seek(5)
      mm:write("xy z")
      assert.are.equal("xy", it())   -- the search goes on from offset 5
      assert.are.equal("z", it())
      assert.are.equal(0, select("#", it()))
      -- shrinking below where the next search would start ends it
      local it2 = mm:gmatch("%a", 0)
      for _ = 1, 5 do it2() end
      assert.is_true(mm:resize(2))
      assert.are.equal(0, select("#", it2()))
    end)

    it("a stop given to gmatch stays, but never beyond the current end", function()
      mm = H.keep(assert(mmap.mmap(-1, 12, { flags = mmap.MAP_PRIVATE })))
      mm:write("ab ab ab ab ")
      local it = mm:gmatch("ab", 0, 8)
      assert.are.equal("ab", it())
      assert.is_true(mm:resize(4))
      assert.are.equal(0, select("#", it()))
      assert.is_true(mm:resize(12))
      mm:seek(3)
      mm:write("ab ab ab ")
      assert.are.equal("ab", it())            -- at 3
      assert.are.equal("ab", it())            -- at 6, ending at stop 8
      assert.are.equal(0, select("#", it()))  -- "ab" at 9 is past stop 8
    end)
  end)
end)

describe("match/gmatch and the bus-error guard", function()
  if H.NOTWIN.shrink then
    pending(H.NOTWIN.shrink)
    return
  end
  local SIZE, BACKED = H.LOST.SIZE, H.LOST.BACKED
  local mm, path
  before_each(function() mm, path = H.lost() end)
  after_each(function()
    mm:close()
    H.cleanup()
  end)

  local cases = {
    { "a search for an absent byte", function(m) return m:match("z") end, BACKED },
    { "a class that runs into the lost pages", function(m) return m:match("^[^z]*z") end, BACKED },
    { "a start in the lost pages", function(m) return m:match("a", BACKED + 7) end, BACKED + 7 },
    { "a frontier reading the byte before start",
      function(m) return m:match("%f[%a]", BACKED + 1) end, BACKED },
    { "a start and stop within the lost pages",
      function(m) return m:match(".", 5 * P + 3, 6 * P) end, 5 * P + 3 },
    { "gmatch", function(m) for _ in m:gmatch("z") do end end, BACKED },
  }
  for _, c in ipairs(cases) do
    local name, op, n = c[1], c[2], c[3]
    it(name .. " raises with offset " .. n .. ", and the map survives", function()
      local ok, err = pcall(op, mm)
      assert.is_false(ok)
      assert.are.equal(H.buserror(n), bare(err))
      -- the backed part still matches
      assert.are.equal("abcdefgh", mm:match("a%a+", 0, 8))
      assert.are.equal(8, mm:match("()a", 1, 100))
      assert.are.equal("mmap", mmap.type(mm))
    end)
  end

  it("gmatch yields what is backed, then raises at the first lost page", function()
    local it = mm:gmatch("%a+")
    local first = it()
    assert.are.equal(2 * P + 100, #first)   -- the rest of page 2 reads as zeros
    local ok, err = pcall(it)
    assert.is_false(ok)
    assert.are.equal(H.buserror(BACKED), bare(err))
  end)

  it("works again once the file grows back", function()
    assert.is_false((pcall(mm.match, mm, "z")))
    H.truncate(path, SIZE)
    assert.are.equal(2 * P + 100, mm:match("()\0"))
    assert.is_nil(mm:match("z"))
  end)
end)

describe("match/gmatch copy nothing", function()
  local MB = 1024 * 1024
  local SIZE = (H.VALGRIND and 8 or 64) * MB

  it("a match near the end of a large map is found", function()
    local mm = H.keep(assert(mmap.mmap(-1, SIZE, { flags = mmap.MAP_PRIVATE })))
    mm:seek(SIZE - 100)
    mm:write("needle42")
    assert.are.equal("42", mm:match("needle(%d+)"))
    assert.are.equal(SIZE - 100, mm:match("()needle"))
    assert.are.equal(SIZE - 100, mm:match("()needle", SIZE - 100))
    assert.is_nil(mm:match("needle", SIZE - 99))
    local n = 0
    for at in mm:gmatch("()needle") do n = n + 1; assert.are.equal(SIZE - 100, at) end
    assert.are.equal(1, n)
    H.cleanup()
  end)

  -- Copying the subject would be one allocation of the map's size. Two
  -- measures, each of which sees such a copy on any kernel: the memory Lua
  -- allocates (a Lua string or buffer), and the peak resident memory of a
  -- fresh process (any copy, malloc'd or Lua's), taken against a baseline
  -- in which every page of the map has been read already. Without that
  -- baseline the measure would depend on the kernel: reading untouched
  -- private anonymous memory maps the shared zero page on most kernels and
  -- fresh pages on those that boot without it.

  it("allocate no Lua memory of the map's size", function()
    local mm = H.keep(assert(mmap.mmap(-1, SIZE, { flags = mmap.MAP_PRIVATE })))
    mm:seek(SIZE - 100)
    mm:write("needle42")
    local function grown(f)  -- kB Lua allocated while f ran, nothing freed
      collectgarbage()
      collectgarbage("stop")
      local before = collectgarbage("count")
      local ok, err = pcall(f)
      local kb = collectgarbage("count") - before
      collectgarbage("restart")  -- also when f failed
      assert(ok, err)
      return kb
    end
    local kb = grown(function()
      assert.are.equal("42", mm:match("needle(%d+)"))
      assert.are.equal(SIZE - 100, mm:match("()[n]eedle"))  -- no memchr shortcut
      for at in mm:gmatch("()[n]eedle") do assert.are.equal(SIZE - 100, at) end
    end)
    assert.is_true(kb < 1024, ("match and gmatch allocated %.0f kB"):format(kb))
    -- the measure sees a copy: reading the map makes one (on 5.5 slice
    -- hands Lua a buffer of its own as the string, which the count leaves
    -- out: a string made from it is the copy the count sees)
    kb = grown(function()
      local s = mm:slice()
      assert.are.equal(SIZE, #s)
      if H.VERSION >= 5.5 then assert.are.equal(SIZE + 1, #(s .. "x")) end
    end)
    assert.is_true(kb >= SIZE / 1024, ("slice allocated only %.0f kB"):format(kb))
    H.cleanup()
  end)

  local hwm = H.status("VmHWM") and "VmHWM" or nil
  H.gate(not hwm and "needs VmHWM in /proc/self/status", it, pending)(
      "grow the peak RSS by nothing near the map's size, once its pages are in", function()
    -- in a fresh process, so that the peak is this test's own
    local out = H.child(([[
      local mmap = require "mmap"
      local H = require "helper"
      local size = %d
      local mm = assert(mmap.mmap(-1, size, { flags = mmap.MAP_PRIVATE }))
      mm:seek(size - 100)
      mm:write("needle42")
      -- the baseline: one byte read from every page, which copies nothing,
      -- brings in whatever reading the map brings in on this kernel
      for i = 0, size - 1, mmap.PAGESIZE do local _ = mm[i] end
      local before = H.status("VmHWM")
      assert(mm:match("needle(%%d+)") == "42")
      assert(mm:match("()[n]eedle") == size - 100)     -- no memchr shortcut
      local n = 0
      for _ in mm:gmatch("()[n]eedle") do n = n + 1 end
      assert(n == 1)
      local grew = H.status("VmHWM") - before
      -- the measure sees a copy: reading the map makes one
      local copy = mm:slice()
      print("grew", grew, "copy", H.status("VmHWM") - before - grew, #copy)
    ]]):format(64 * MB))
    local grew, copy = out:match("grew%s+(%-?%d+)%s+copy%s+(%-?%d+)")
    grew, copy = tonumber(grew), tonumber(copy)
    assert.is_number(grew, out)
    assert.is_true(grew < 16 * 1024, ("peak RSS grew by %d kB"):format(grew))
    assert.is_true(copy >= 48 * 1024, ("a copy grew the peak RSS by only %d kB"):format(copy))
  end)
end)
