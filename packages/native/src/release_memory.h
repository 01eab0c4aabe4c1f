// Hands back the memory a process used to start and no longer needs.
#pragma once

namespace ringside {

// Tells V8 memory is under critical pressure: one memory-reducing full
// collection runs now (V8 keeps the pause near 100 ms at most: a second one,
// or incremental marking, follows only when much more is left), shrinking
// the young generation that start-up allocation grew and compacting. Then
// glibc returns free heap pages (freed compiler zones, start-up buffers).
// Call on the JS thread of the isolate. Returns whether V8's step ran (false
// where its entry points are missing).
bool release_memory();

// glibc returns the free pages amid malloc's heap (freed blocks stay
// resident until then); a no-op with other C libraries. Any thread.
void trim_malloc_heap();

}  // namespace ringside
