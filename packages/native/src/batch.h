// The shared-memory formats between the loop and JS. Twin of lib/index.ts
// (EVENT_WORDS, Ev, HttpFlag, Op, OUT_*): change both together.
//
// Event record: EVENT_WORDS int32 in `events`; bytes they point at live in
// `eventData`, header fields in `fields` (FIELD_WORDS each). All three are
// JS-owned typed arrays; JS copies what it keeps before the batch returns.
#pragma once
#include <cstdint>
#include <cstring>

namespace ringside {

constexpr unsigned kEventWords = 12;
constexpr unsigned kFieldWords = 4;
constexpr unsigned kOutHeaderWords = 2;
constexpr unsigned kOutWords = 4;

enum Ev : int32_t { EV_OPEN = 1, EV_DATA, EV_END, EV_DRAIN, EV_CLOSE, EV_REQUEST, EV_BODY, EV_BODY_END, EV_HTTP_ERROR, EV_TIMEOUT };
enum HttpFlag : int32_t { HF_KEEP_ALIVE = 1, HF_CHUNKED = 2, HF_HAS_BODY = 4, HF_EXPECT_CONTINUE = 8, HF_HTTP10 = 16, HF_UPGRADE = 32 };
enum TimeoutKind : int32_t { TO_HEADERS = 1, TO_IDLE = 2, TO_REQUEST = 3, TO_SEND = 4 };
// A WRITE record with this bit also ends the response (RESPONSE_DONE after the bytes).
constexpr int32_t kOpFlagResponseDone = 0x100;
enum OutOp : int32_t { OP_WRITE = 1, OP_WRITE_WANT_DRAIN, OP_END, OP_END_CLOSE, OP_DESTROY, OP_PAUSE, OP_RESUME, OP_RESPONSE_DONE, OP_DISCARD_BODY };

// Connection id: slot in the low 20 bits, generation above. A stale id (old
// generation) never matches a reused slot.
constexpr unsigned kSlotBits = 20;
constexpr uint32_t kSlotMask = (1u << kSlotBits) - 1;
inline uint32_t encode_conn_id(uint32_t slot, uint32_t gen) { return slot | (gen << kSlotBits); }
inline uint32_t decode_slot(uint32_t id) { return id & kSlotMask; }
inline uint32_t decode_gen(uint32_t id) { return id >> kSlotBits; }

// Writer over the JS-owned batch arrays. Room before writing: every producer
// asks room() for what it is about to write; when the answer is no it stops,
// marks its connection to resume, and goes on in the next batch. push() and
// copy() never check.
struct EventBatch {
  int32_t* events = nullptr;
  uint32_t event_cap = 0, event_count = 0;
  uint8_t* data = nullptr;
  uint32_t data_cap = 0, data_used = 0;
  int32_t* fields = nullptr;
  uint32_t field_cap = 0, field_count = 0;

  bool room(uint32_t events_needed, uint32_t bytes_needed, uint32_t fields_needed) const {
    return event_count + events_needed <= event_cap && data_used + bytes_needed <= data_cap && field_count + fields_needed <= field_cap;
  }
  uint32_t data_room() const { return data_cap - data_used; }
  int32_t* push(int32_t type, uint32_t conn) {
    int32_t* e = events + (size_t)event_count++ * kEventWords;
    e[0] = type;
    e[1] = (int32_t)conn;
    return e;
  }
  // Copy bytes into eventData; returns their offset.
  uint32_t copy(const void* p, uint32_t n) {
    uint32_t off = data_used;
    memcpy(data + off, p, n);
    data_used += n;
    return off;
  }
  void reset() { event_count = data_used = field_count = 0; }
  bool empty() const { return event_count == 0; }
};

// user_data of every SQE: op in the top byte, connection id (or listener id) below.
enum UdOp : uint8_t { UD_ACCEPT = 1, UD_RECV, UD_SEND, UD_CANCEL, UD_SHUTDOWN, UD_LISTENER_CANCEL };
inline uint64_t encode_ud(UdOp op, uint32_t id) { return ((uint64_t)op << 56) | id; }
inline UdOp decode_ud_op(uint64_t ud) { return (UdOp)(ud >> 56); }
inline uint32_t decode_ud_id(uint64_t ud) { return (uint32_t)ud; }

}  // namespace ringside
