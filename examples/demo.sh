#!/bin/sh
# demo.sh: what `make demo` runs. Writes a small text file in a temporary
# directory, searches it with examples/grep.lua, patches a copy of it with
# examples/patch.lua, and removes the directory again.
#
# Run from anywhere (after `make`):  sh examples/demo.sh
# LUA chooses the interpreter (default lua5.4).
LUA=${LUA:-lua5.4}
cd "$(dirname "$0")/.." || exit 1
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT

cat >"$dir/poem.txt" <<'TEXT'
the map is not the territory,
but a map of a file is the file:
write to the map and the file changes,
read the map and you read the file.
TEXT

echo "== a text file of $(wc -c <"$dir/poem.txt") bytes:"
cat "$dir/poem.txt"

echo
echo "== $LUA examples/grep.lua poem.txt map"
"$LUA" examples/grep.lua "$dir/poem.txt" map || exit 1

cp "$dir/poem.txt" "$dir/copy.txt"
echo
echo "== $LUA examples/patch.lua copy.txt"
"$LUA" examples/patch.lua "$dir/copy.txt" || exit 1

echo
echo "== the original is unchanged:"
cat "$dir/poem.txt"
