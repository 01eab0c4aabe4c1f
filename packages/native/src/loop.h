// The event loop of one JS thread (io_uring or epoll driver): listeners,
// connections, receive, send, close, the coarse timeout sweep, and the event
// batch. Knows nothing of N-API: the glue (addon.cc) drives it from libuv
// handles and receives batches through `Deliver`. One file per concern:
// loop.cc (set-up, the turn, batches, slots), loop_accept.cc (listeners,
// accept), loop_receive.cc (receive, input into the batch, pause/resume),
// loop_send.cc (send queues, JS output records), loop_close.cc (cancel then
// close), loop_sweep.cc (the coarse tick), loop_http.cc (HTTP framing).
#pragma once
#include <netinet/in.h>

#include <algorithm>
#include <cstdint>
#include <ctime>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "batch.h"
#include "io_driver.h"
#include "connection.h"
#include "http_parser.h"
#include "ring.h"
#include "stats.h"

namespace ringside {

// Per-connection buffers above this are freed as soon as they empty; smaller
// ones are kept for the next turn while the connection is busy, and freed by
// the tick once it is idle (Loop::shed_buffers).
constexpr size_t kKeepCapacity = 64 * 1024;
// A tick that freed this much of connections' idle buffers trims malloc's heap (loop_sweep.cc).
constexpr size_t kTrimAfterShedding = 1024 * 1024;
// Loop::release_when_quiet(): the event rate is sampled over a second or
// more; a sample above kQuietEventsPerSecond is busy (health checks and
// scrapes stay below it), and a busy spell of kBusySpellEvents or more
// followed by quiet_release_ms of quiet samples hands memory back.
constexpr uint64_t kRateSampleMs = 1000;
constexpr uint64_t kQuietEventsPerSecond = 10;
constexpr uint64_t kBusySpellEvents = 1000;
inline void release(std::vector<uint8_t>& v) {
  if (v.capacity() > kKeepCapacity)
    std::vector<uint8_t>().swap(v);
  else
    v.clear();
}

struct LoopConfig {
  unsigned entries = 2048;
  unsigned buffer_count = 0;        // 0: BufferRing's default for the kernel
  bool incremental_buffers = true;  // false: whole buffers even where the kernel could (tests)
  unsigned buffer_size = 8192;
  unsigned max_connections = 65536;
  // Batch capacities to use (0: the whole shared array). Tests shrink them so
  // every resume path runs; listen() raises them to what its limits need.
  unsigned batch_events = 0, batch_data = 0, batch_fields = 0;
  // Sockets through epoll instead of io_uring (where io_uring is blocked).
  bool epoll = false;
  // After a busy spell, this long quiet hands memory back (0: never).
  uint32_t quiet_release_ms = 10000;
};

struct SharedMemory {
  int32_t* events;
  uint32_t event_cap;  // records
  uint8_t* data;
  uint32_t data_cap;  // bytes
  int32_t* fields;
  uint32_t field_cap;  // fields
  int32_t* out;
  uint32_t out_cap;  // records
  uint8_t* out_data;
  uint32_t out_data_cap;
  double* queued;
  uint32_t queued_cap;  // per slot
};

struct HttpOptions {
  http::Limits limits;
  uint32_t headers_timeout_ms = 0, request_timeout_ms = 0, keep_alive_timeout_ms = 0, send_timeout_ms = 0;
};

struct ListenConfig {
  std::string host;
  int port = 0;
  int backlog = 4096;
  bool reuse_port = false;
  bool ipv6_only = false;
  bool http = false;
  HttpOptions http_options;
};

uint64_t monotonic_ms();

class Loop {
 public:
  using Deliver = void (*)(void* ctx, uint32_t count);

  ~Loop() { destroy(); }
  int init(const LoopConfig& cfg, const SharedMemory& mem, Deliver deliver, void* ctx, std::string& why);
  void destroy();
  bool ready() const { return io_ != nullptr; }
  // What libuv polls: the eventfd (io_uring) or the epoll fd holding it (epoll).
  int poll_fd() const { return io_ ? io_->poll_fd() : -1; }
  const char* driver_name() const { return io_ ? io_->name() : ""; }

  // libuv hooks (addon.cc): the eventfd became readable; before libuv sleeps; the coarse tick.
  void on_wakeup();
  void on_prepare();
  void on_tick();
  unsigned tick_ms() const { return tick_ms_; }
  // The sweep ticks often enough for a timeout of `ms` to be ±25% (0: none).
  void sweep_for(uint32_t ms) {
    if (ms) tick_ms_ = std::max(50u, std::min(tick_ms_, ms / 4));
  }

  // Returns listener id >= 0, or -errno with `why` set. Fills the bound port/address.
  int listen(const ListenConfig& cfg, int& port_out, std::string& address_out, int& family_out, std::string& why);
  void close_listener(int id);
  // Process the JS output records now.
  void flush_out();
  // Close everything; the loop stays usable.
  void close_all();
  // Listeners or connections still open (the libuv handle keeps the process alive while true).
  bool has_refs() const { return live_listeners_ > 0 || stats_.connections > 0; }
  const LoopStats& stats() const { return stats_; }
  // Inside a turn or a JS callback: destroy() must wait until it unwinds.
  bool busy() const { return in_turn_ || js_depth_ > 0; }

 private:
  struct Listener {
    int fd = -1;
    bool armed = false, closing = false, in_use = false;
    bool http = false;
    HttpOptions http_options;
  };

  Connection* lookup(uint32_t id);
  void grow_slots();
  uint32_t id_of(const Connection& c) const { return encode_conn_id((uint32_t)(&c - conns_.data()), c.gen); }
  uint32_t slot_of(const Connection& c) const { return (uint32_t)(&c - conns_.data()); }

  void turn();
  void deliver();
  void ensure_room();
  // A record slot for an event raised outside a completion (event_records.h writes it).
  int32_t* late_record();
  void move_deferred();
  bool fits_batch(const http::Limits& limits, std::string& why);

  void arm_accept(uint16_t lid);
  void on_accept(uint16_t lid, const io_uring_cqe& cqe);
  void arm_recv(Connection& c);
  void on_recv(uint32_t id, const io_uring_cqe& cqe);
  void on_send(uint32_t id, const io_uring_cqe& cqe);
  void rearm_waiting();
  // Received bytes into the batch (TCP: DATA records; HTTP: http_input). p == nullptr resumes parked input.
  void input(Connection& c, const uint8_t* p, size_t n);
  // What input() hands on: the new bytes alone, or c.inbuf with them appended.
  struct InputSpan {
    const uint8_t* data;
    size_t len;
    bool in_inbuf;
  };
  void tcp_input(Connection& c, const InputSpan& in);
  void resume_later(Connection& c);
  void keep_input(Connection& c, const InputSpan& in, size_t pos, size_t limit);

  void queue_send(Connection& c, const uint8_t* p, size_t n);
  void start_send(Connection& c);
  void kick_sends();
  int submit(bool getevents);
  void after_queue_empty(Connection& c);
  void set_queued(Connection& c) { mem_.queued[slot_of(c)] = (double)c.queued(); }
  void finish_then_close(Connection& c);
  void cancel_recv(Connection& c);
  void pause_recv(Connection& c);
  void resume_recv(Connection& c);
  void begin_close(Connection& c, int error);
  void maybe_finish_close(Connection& c);

  // HTTP
  void http_input(Connection& c, const InputSpan& in);
  void http_eof(Connection& c);
  void http_fail(Connection& c, http::ParseError e, bool body_error, bool head_request = false);
  void http_answer_error(Connection& c, std::string_view canned, bool head_only = false);
  void http_output_progress(Connection& c);
  std::string_view http_date_field();
  void http_response_done(Connection& c);
  void http_timeouts(Connection& c, uint64_t now);
  void emit_request(Connection& c, const uint8_t* head, const http::RequestHead& h);
  const HttpOptions& http_opts(const Connection& c) const { return listeners_[c.listener].http_options; }
  bool send_stalled(Connection& c, uint64_t now);
  size_t shed_buffers(Connection& c);
  void release_when_quiet();

  // WebSocket (loop_ws.cc)
  void ws_accept(Connection& c, const uint8_t* p, size_t n);
  void ws_input(Connection& c, const InputSpan& in);
  bool ws_message_done(Connection& c);
  bool ws_deliver(Connection& c);
  void ws_control(Connection& c);
  void ws_fail(Connection& c, uint16_t code);
  void ws_input_ends(Connection& c);
  void ws_send_frame(Connection& c, uint8_t opcode, const uint8_t* p, size_t n, bool compress);
  void ws_send_close(Connection& c, const uint8_t* p, size_t n);
  void ws_subscribe(Connection& c, std::string_view topic);
  void ws_unsubscribe(Connection& c, std::string_view topic);
  void ws_publish(uint32_t publisher, const uint8_t* p, size_t n, int32_t flags);
  void ws_forget(Connection& c);
  void ws_timeouts(Connection& c, uint64_t now);
  void ws_output_progress(Connection& c);

 public:
  // One output record whose bytes live outside the output area (large WS sends and publishes).
  void apply_out(int32_t op, int32_t flags, uint32_t conn, const uint8_t* p, size_t n);

 private:
  std::unique_ptr<IoDriver> io_;
  int event_fd_ = -1;
  LoopConfig cfg_;
  SharedMemory mem_{};
  Deliver deliver_fn_ = nullptr;
  void* deliver_ctx_ = nullptr;
  EventBatch batch_;
  std::vector<int32_t> deferred_;  // late_record()s raised while JS runs; kEventWords each
  std::vector<Connection> conns_;
  std::vector<uint32_t> free_slots_;
  uint32_t max_slots_ = 0;
  uint32_t high_slot_ = 0;  // slots below it may be in use (sweep bound)
  std::vector<Listener> listeners_;
  unsigned live_listeners_ = 0;
  std::vector<uint32_t> kicks_;    // connections with bytes queued and no send in flight
  std::vector<uint32_t> waiting_;  // ids to re-arm (ENOBUFS) or re-parse after the turn
  std::vector<http::Field> field_tmp_;
  std::unordered_map<std::string, std::vector<uint32_t>> topics_;  // WebSocket topic → subscriber ids
  ws::Deflater publish_deflater_;                                  // publish()'s one compressed frame
  bool publish_deflater_ready_ = false;
  std::vector<uint8_t> ws_tmp_;
  uint32_t reserve_bytes_ = 0, reserve_events_ = 0;
  unsigned tick_ms_ = 1000;
  bool in_turn_ = false;
  int js_depth_ = 0;
  uint64_t now_ms_ = 0;  // the clock read once per turn (0 before the first)
  // release_when_quiet(): the last rate sample (when, the event count then),
  // when a sample was last busy, the events of this busy spell, and whether
  // the next sample trims malloc's heap (the one after a release).
  uint64_t sample_ms_ = 0, sample_events_ = 0, last_busy_ms_ = 0, spell_events_ = 0;
  bool trim_next_sample_ = false;
  // The clock of the last turn (or flush()); the real clock before the first turn.
  uint64_t now() const { return now_ms_ ? now_ms_ : monotonic_ms(); }
  time_t date_second_ = 0;  // http_date_field()'s cache
  char date_field_[64] = {0};
  uint32_t date_len_ = 0;
  LoopStats stats_;
};

}  // namespace ringside
