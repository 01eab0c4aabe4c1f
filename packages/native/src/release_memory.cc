// reduce_v8_memory(), release_memory(), trim_malloc_heap(): see release_memory.h.
//
// N-API has no call for this, and the addon keeps to N-API so one binary
// serves every Node >= 20. The two V8 entry points it needs are referenced
// weakly by their (Itanium ABI) names: where a runtime does not export them
// they resolve to null and only the malloc step runs. Default visibility
// keeps them resolved at load under -fvisibility=hidden (the prebuilds).
// Both have kept their signatures since V8 5; a member function takes
// `this` as its first argument, and MemoryPressureLevel is an int enum
// (kModerate = 1, kCritical = 2).
#include "release_memory.h"

#include <cstdlib>  // defines __GLIBC__ where the C library is glibc
#if defined(__GLIBC__)
#include <malloc.h>
#endif

extern "C" {
// static v8::Isolate* v8::Isolate::GetCurrent()
void* ringside_isolate_current() __asm__("_ZN2v87Isolate10GetCurrentEv") __attribute__((weak, visibility("default")));
// void v8::Isolate::MemoryPressureNotification(v8::MemoryPressureLevel)
void ringside_memory_pressure(void* isolate,
                              int level) __asm__("_ZN2v87Isolate26MemoryPressureNotificationENS_19MemoryPressureLevelE")
    __attribute__((weak, visibility("default")));
}

namespace ringside {

bool reduce_v8_memory(MemoryPressure level) {
  if (ringside_isolate_current == nullptr || ringside_memory_pressure == nullptr) return false;
  void* isolate = ringside_isolate_current();
  if (isolate == nullptr) return false;
  ringside_memory_pressure(isolate, static_cast<int>(level));
  return true;
}

bool release_memory() {
  bool asked = reduce_v8_memory(MemoryPressure::Critical);
  trim_malloc_heap();
  return asked;
}

void trim_malloc_heap() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

}  // namespace ringside
