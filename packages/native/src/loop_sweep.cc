// The coarse tick: re-arm listeners that stopped accepting (EMFILE and
// friends) and sweep connections for their deadlines (HTTP timeouts, linger),
// one pass per tick rather than a timer per connection.
#include "loop.h"

namespace ringside {

void Loop::on_tick() {
  if (!ready()) return;
  now_ms_ = monotonic_ms();
  for (size_t i = 0; i < listeners_.size(); i++) {
    Listener& l = listeners_[i];
    if (l.in_use && !l.closing && !l.armed) arm_accept((uint16_t)i);  // after EMFILE and friends
  }
  for (uint32_t s = 0; s < high_slot_; s++) {
    Connection& c = conns_[s];
    if (c.state != ConnState::Open) continue;
    if (c.http)
      http_timeouts(c, now_ms_);
    else if (c.ws)
      ws_timeouts(c, now_ms_);
    if (c.state == ConnState::Open && c.linger_until_ms && now_ms_ >= c.linger_until_ms) begin_close(c, 0);
  }
  if (!deferred_.empty()) deliver();
  if (io_->pending_sqes() || !kicks_.empty()) submit(false);
}

}  // namespace ringside
