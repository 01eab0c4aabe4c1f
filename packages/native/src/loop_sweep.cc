// The coarse tick: re-arm listeners that stopped accepting (EMFILE and
// friends) and sweep connections for their deadlines (HTTP timeouts, linger)
// and for buffers they are not using, one pass per tick rather than a timer
// per connection; and hand memory back once the loop goes quiet.
#include "loop.h"
#include "release_memory.h"

namespace ringside {

void Loop::on_tick() {
  if (!ready()) return;
  now_ms_ = monotonic_ms();
  for (size_t i = 0; i < listeners_.size(); i++) {
    Listener& l = listeners_[i];
    if (l.in_use && !l.closing && !l.armed) arm_accept((uint16_t)i);  // after EMFILE and friends
  }
  size_t shed = 0;
  for (uint32_t s = 0; s < high_slot_; s++) {
    Connection& c = conns_[s];
    if (c.state != ConnState::Open) continue;
    if (c.http)
      http_timeouts(c, now_ms_);
    else if (c.ws)
      ws_timeouts(c, now_ms_);
    if (c.state == ConnState::Open && c.linger_until_ms && now_ms_ >= c.linger_until_ms) begin_close(c, 0);
    if (c.state != ConnState::Open) continue;
    if (c.active)
      c.active = false;  // busy: its buffers are reused next turn
    else
      shed += shed_buffers(c);
  }
  stats_.idle_buffer_bytes_freed += shed;
  if (shed >= kTrimAfterShedding) trim_malloc_heap();
  release_when_quiet();
  if (!deferred_.empty()) deliver();
  if (io_->pending_sqes() || !kicks_.empty()) submit(false);
}

// The empty send and receive buffers of a connection that neither sent nor
// received for a whole tick are freed. Kept between turns, they save a busy
// connection an allocation per response (freed after every 60 KB answer,
// the CPU per request doubled); freed here, an idle connection keeps nothing
// of what it last sent or received (kept, a 60 KB response left 1,000 idle
// connections holding 65 MiB). Returns the bytes freed.
size_t Loop::shed_buffers(Connection& c) {
  size_t freed = 0;
  auto shed = [&freed](std::vector<uint8_t>& v) {
    if (!v.empty() || v.capacity() == 0) return;
    freed += v.capacity();
    std::vector<uint8_t>().swap(v);
  };
  if (!c.send_inflight) shed(c.sending);  // in flight: the kernel reads it
  shed(c.pending);
  shed(c.inbuf);
  if (c.ws) {
    shed(c.ws->msg);
    shed(c.ws->control);
  }
  return freed;
}

// A busy spell grows V8's young generation and leaves freed memory in
// malloc's arenas, and neither is handed back while nothing allocates (the
// bench server: 71 MiB after a 5 s load, still 71 MiB 40 s later; node:http
// likewise). Once a spell of kBusySpellEvents or more is followed by
// quiet_release_ms of quiet samples, V8 is asked, moderately, to reduce
// memory: incremental marking, not the full collection critical pressure
// runs (about 10 ms of event-loop delay instead of 34-38 ms for the bench
// server). Quiet is a rate, not silence, so health checks do not hold the
// release back, and a spell ends with the quiet (bursts apart do not add up
// to one), so a server that stays quiet is not woken again. malloc's heap is
// trimmed a sample later, once the collection has freed what it frees.
void Loop::release_when_quiet() {
  if (!cfg_.quiet_release_ms) return;
  if (now_ms_ - sample_ms_ + tick_ms_ / 2 < kRateSampleMs) return;  // a tick early by a millisecond still samples
  const uint64_t events = stats_.events - sample_events_;
  const bool busy = events * 1000 > kQuietEventsPerSecond * (now_ms_ - sample_ms_);
  sample_ms_ = now_ms_;
  sample_events_ = stats_.events;
  if (trim_next_sample_) {
    trim_next_sample_ = false;
    trim_malloc_heap();
  }
  if (busy) {
    spell_events_ += events;
    last_busy_ms_ = now_ms_;
    return;
  }
  if (spell_events_ == 0 || now_ms_ - last_busy_ms_ < cfg_.quiet_release_ms) return;
  const bool long_spell = spell_events_ >= kBusySpellEvents;
  spell_events_ = 0;
  if (!long_spell) return;
  if (reduce_v8_memory(MemoryPressure::Moderate)) stats_.quiet_memory_releases++;
  trim_next_sample_ = true;
}

}  // namespace ringside
