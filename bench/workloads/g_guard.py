# (g) The bus-error guard: what it adds to one call into the core, against an
# unguarded copy of the same function (bench/guard.c).
tag = "(g)"
title = "The bus-error guard"
rounds = 1
columns = ["guarded ns", "unguarded ns", "added ns"]
sides = [
    ("guard", "`mm_getbyte` and an unguarded copy", "bench/guard"),
]
how = """
`bench/guard` calls the core's guarded `mm_getbyte` and an unguarded copy of
it, alternately, through a function pointer: 7 runs of 50,000,000 calls each
within the one process, timed with the monotonic clock ({rounds} process
here). It prints the medians in ns per call; their difference is what the
guard adds to every access (doc/mmap.md §13 promises at most 10 ns).
"""
