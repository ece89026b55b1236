-- luacheck configuration: `make lint` checks spec/, examples/ and bench/.
-- The code runs on Lua 5.1 to 5.4 and LuaJIT, so the standard library is
-- the union of theirs ("max"); the specs may also use busted's globals.
std = "max"
max_line_length = 120

files["spec/"] = { std = "+busted" }

-- The fuzz model and differential specs name every value they unpack, to
-- say what each position holds, even when a test only needs some of them.
unused_secondaries = false
