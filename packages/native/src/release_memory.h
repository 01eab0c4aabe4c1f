// Hands back the memory a process used to start and no longer needs.
#pragma once

namespace ringside {

// How hard V8 is asked (v8::MemoryPressureLevel's values).
enum class MemoryPressure : int {
  // Incremental marking that reduces memory starts now and finishes in
  // steps between callbacks. For a server that went quiet after a busy spell.
  Moderate = 1,
  // One memory-reducing full collection runs now (V8 keeps the pause near
  // 100 ms at most: a second one, or incremental marking, follows only when
  // much more is left). Once, at start-up.
  Critical = 2,
};

// Tells V8 memory is under pressure: it shrinks the young generation that
// allocation grew and compacts (at once when critical, over the next steps
// when moderate). Call on the JS thread of the isolate. Returns whether V8
// was asked (false where its entry points are missing).
bool reduce_v8_memory(MemoryPressure level);

// Start-up: a critical reduce_v8_memory(), then trim_malloc_heap() (freed
// compiler zones, start-up buffers). Returns whether V8 was asked.
bool release_memory();

// glibc returns the free pages amid malloc's heap (freed blocks stay
// resident until then); a no-op with other C libraries. Any thread.
void trim_malloc_heap();

}  // namespace ringside
