// The shared-memory formats between the loop and JS: record kinds, flags,
// record layouts (which word holds what) and sizes. Twin of lib/index.ts
// (EVENT_WORDS, Ev, *Word, HttpFlag, Op, OUT_*): test/boundary.test.ts compiles
// a program printing every enum and constant here and compares it with its TS
// twin. Records are written only through event_records.h (C++) and read only
// through packages/core/src/backends/native/event-records.ts (JS).
//
// Event record: kEventWords int32 in `events`; bytes they point at live in
// `eventData`, header fields in `fields` (kFieldWords each). All three are
// JS-owned typed arrays; JS copies what it keeps before the batch returns.
#pragma once
#include <cstdint>
#include <cstring>

namespace ringside {

enum Ev : int32_t {
  EV_OPEN = 1,
  EV_DATA,
  EV_END,
  EV_DRAIN,
  EV_CLOSE,
  EV_REQUEST,
  EV_BODY,
  EV_BODY_END,
  EV_HTTP_ERROR,
  EV_TIMEOUT,
  EV_WS_MESSAGE,
  EV_WS_PING,
  EV_WS_PONG,
  EV_WS_CLOSE
};
enum HttpFlag : int32_t {
  HF_KEEP_ALIVE = 1,
  HF_CHUNKED = 2,
  HF_HAS_BODY = 4,
  HF_EXPECT_CONTINUE = 8,
  HF_HTTP10 = 16,
  HF_UPGRADE = 32,
  HF_WEBSOCKET = 64
};
enum TimeoutKind : int32_t { TO_HEADERS = 1, TO_IDLE = 2, TO_REQUEST = 3, TO_SEND = 4 };

// ---- Event record layouts (word indexes) --------------------------------------
// Every record: w0 its kind (Ev), w1 the connection id. END, DRAIN and
// BODY_END carry nothing more; words past a record's own are undefined.
enum RecordWord : uint32_t { RW_TYPE = 0, RW_CONN = 1 };
// OPEN: listener id, remote address (text in eventData), port, family (4|6).
enum OpenWord : uint32_t { OPEN_LISTENER = 2, OPEN_ADDRESS_OFF, OPEN_ADDRESS_LEN, OPEN_PORT, OPEN_FAMILY };
// DATA (TCP bytes) and BODY (HTTP body bytes, chunked framing removed): a span of eventData.
enum DataWord : uint32_t { DATA_OFF = 2, DATA_LEN };
// CLOSE: 0, or -errno of the failure that closed it.
enum CloseWord : uint32_t { CLOSE_ERROR = 2 };
// REQUEST: method and target (spans of eventData), the head's fields
// (`fields` records first_field … first_field + field_count - 1), HttpFlag
// bits, Content-Length as two 32-bit halves (-1, -1 when absent).
enum RequestWord : uint32_t {
  REQ_METHOD_OFF = 2,
  REQ_METHOD_LEN,
  REQ_TARGET_OFF,
  REQ_TARGET_LEN,
  REQ_FIRST_FIELD,
  REQ_FIELD_COUNT,
  REQ_FLAGS,
  REQ_CONTENT_LENGTH_LO,
  REQ_CONTENT_LENGTH_HI
};
// HTTP_ERROR: the answer's HTTP status, the http::ParseError code, and 1 for a
// body error (JS answers it in its turn) or 0 (native answers, then closes).
enum HttpErrorWord : uint32_t { HE_STATUS = 2, HE_PARSE_ERROR, HE_IN_BODY };
// TIMEOUT: which deadline passed (TimeoutKind).
enum TimeoutWord : uint32_t { TW_KIND = 2 };
// WS_MESSAGE: a span of eventData holding (part of) a message, WsFlag bits.
// A message larger than a batch's room arrives in pieces, in order; the last
// has WSF_FIN. Text is valid UTF-8 once whole. WS_PING and WS_PONG: the
// control frame's payload (DataWord).
enum WsMessageWord : uint32_t { WSM_OFF = 2, WSM_LEN, WSM_FLAGS };
enum WsFlag : int32_t { WSF_BINARY = 1, WSF_FIN = 2 };
// WS_CLOSE: the code the connection closes with (the peer's close frame, or
// 1002/1007/1009/1001 when the server fails it) and the reason (eventData).
// Nothing more is read; JS answers with a close frame of that code (WS_CLOSE
// op) after what it sends for earlier messages. CLOSE follows once the socket
// is closed.
enum WsCloseWord : uint32_t { WSC_CODE = 2, WSC_REASON_OFF, WSC_REASON_LEN };
// The longest record (REQUEST) sets the record size.
constexpr unsigned kEventWords = REQ_CONTENT_LENGTH_HI + 1;

// A header field of a REQUEST: name and value, spans of eventData.
enum FieldWord : uint32_t { FW_NAME_OFF = 0, FW_NAME_LEN, FW_VALUE_OFF, FW_VALUE_LEN };
constexpr unsigned kFieldWords = FW_VALUE_LEN + 1;

// ---- Output records (JS → native) ------------------------------------------------
// `out` starts with a header (record count, bytes used in outData), then
// kOutWords int32 per record: op (OutOp, maybe | kOpFlagResponseDone), the
// connection id, and a span of outData for WRITE ops.
enum OutHeaderWord : uint32_t { OH_COUNT = 0, OH_BYTES };
constexpr unsigned kOutHeaderWords = OH_BYTES + 1;
enum OutWord : uint32_t { OW_OP = 0, OW_CONN, OW_OFF, OW_LEN };
constexpr unsigned kOutWords = OW_LEN + 1;
enum OutOp : int32_t {
  OP_WRITE = 1,
  OP_WRITE_WANT_DRAIN,
  OP_END,
  OP_END_CLOSE,
  OP_DESTROY,
  OP_PAUSE,
  OP_RESUME,
  OP_RESPONSE_DONE,
  OP_DISCARD_BODY,
  // WebSocket (loop_ws.cc). WS_ACCEPT: the span holds a WsAcceptWord header
  // then the 101 response; the connection speaks frames from then on.
  OP_WS_ACCEPT,
  // One message: the span is its payload; kOpFlagWsBinary / kOpFlagWsCompress.
  OP_WS_SEND,
  OP_WS_PING,
  // The span: nothing, or a 2-byte code (network order) and the reason.
  OP_WS_CLOSE,
  // The span is the topic.
  OP_WS_SUBSCRIBE,
  OP_WS_UNSUBSCRIBE,
  // The span: a 4-byte topic length (host order), the topic, the payload. The
  // connection id is the publisher (skipped) or kNoConnection.
  OP_WS_PUBLISH
};
// A WRITE record with this bit also ends the response (RESPONSE_DONE after the bytes).
constexpr int32_t kOpFlagResponseDone = 0x100;
constexpr int32_t kOpFlagWsBinary = 0x200;
constexpr int32_t kOpFlagWsCompress = 0x400;
// WS_PUBLISH from the server rather than a socket.
constexpr uint32_t kNoConnection = 0xffffffffu;
// WS_ACCEPT's header: uint32 words in host order, before the 101 response.
enum WsAcceptWord : uint32_t {
  WA_MAX_PAYLOAD = 0,
  WA_MAX_BACKPRESSURE,
  WA_IDLE_TIMEOUT_MS,
  WA_FLAGS,  // WsAcceptFlag bits
  WA_SERVER_WINDOW_BITS,
  WA_CLIENT_WINDOW_BITS,
  WA_COMPRESS_THRESHOLD
};
constexpr unsigned kWsAcceptWords = WA_COMPRESS_THRESHOLD + 1;
enum WsAcceptFlag : int32_t {
  WAF_SEND_PINGS = 1,
  WAF_DEFLATE = 2,
  WAF_SERVER_NO_CONTEXT = 4,
  WAF_CLIENT_NO_CONTEXT = 8
};

// Connection id: slot in the low 20 bits, generation above. A stale id (old
// generation) never matches a reused slot.
constexpr unsigned kSlotBits = 20;
constexpr uint32_t kSlotMask = (1u << kSlotBits) - 1;
inline uint32_t encode_conn_id(uint32_t slot, uint32_t gen) { return slot | (gen << kSlotBits); }
inline uint32_t decode_slot(uint32_t id) { return id & kSlotMask; }
inline uint32_t decode_gen(uint32_t id) { return id >> kSlotBits; }

// Writer over the JS-owned batch arrays. Room before writing: every producer
// asks room() for what it is about to write; when the answer is no it stops,
// marks its connection to resume, and goes on in the next batch. next_event(),
// next_field() and copy() never check.
struct EventBatch {
  int32_t* events = nullptr;
  uint32_t event_cap = 0, event_count = 0;
  uint8_t* data = nullptr;
  uint32_t data_cap = 0, data_used = 0;
  int32_t* fields = nullptr;
  uint32_t field_cap = 0, field_count = 0;

  bool room(uint32_t events_needed, uint32_t bytes_needed, uint32_t fields_needed) const {
    return event_count + events_needed <= event_cap && data_used + bytes_needed <= data_cap &&
           field_count + fields_needed <= field_cap;
  }
  uint32_t data_room() const { return data_cap - data_used; }
  // The next record, for one of the write_* functions of event_records.h.
  int32_t* next_event() { return events + (size_t)event_count++ * kEventWords; }
  int32_t* next_field() { return fields + (size_t)field_count++ * kFieldWords; }
  // Copy bytes into eventData; returns their offset.
  uint32_t copy(const void* p, uint32_t n) {
    uint32_t off = data_used;
    if (n) memcpy(data + off, p, n);  // p may be null when n is 0 (an empty vector's data())
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
