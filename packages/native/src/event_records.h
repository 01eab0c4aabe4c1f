// The codec of the boundary, native side: one writer per event record kind
// and one reader for output records — the only native code that knows which
// word holds what (layouts in batch.h). A writer fills one record slot: the
// batch's next (EventBatch::next_event) or a deferred one (Loop::late_record);
// the caller checked room. The JS twin is
// packages/core/src/backends/native/event-records.ts.
#pragma once
#include <cstdint>

#include "batch.h"
#include "http_parser.h"

namespace ringside {

inline void begin_record(int32_t* e, Ev type, uint32_t conn) {
  e[RW_TYPE] = type;
  e[RW_CONN] = (int32_t)conn;
}

// ---- TCP and HTTP ----------------------------------------------------------

inline void write_open(int32_t* e, uint32_t conn, uint32_t listener, uint32_t address_off, uint32_t address_len,
                       int port, int family) {
  begin_record(e, EV_OPEN, conn);
  e[OPEN_LISTENER] = (int32_t)listener;
  e[OPEN_ADDRESS_OFF] = (int32_t)address_off;
  e[OPEN_ADDRESS_LEN] = (int32_t)address_len;
  e[OPEN_PORT] = port;
  e[OPEN_FAMILY] = family;
}

// DATA and BODY share one layout.
inline void write_span(int32_t* e, Ev type, uint32_t conn, uint32_t off, uint32_t len) {
  begin_record(e, type, conn);
  e[DATA_OFF] = (int32_t)off;
  e[DATA_LEN] = (int32_t)len;
}

inline void write_data(int32_t* e, uint32_t conn, uint32_t off, uint32_t len) {
  write_span(e, EV_DATA, conn, off, len);
}

inline void write_end(int32_t* e, uint32_t conn) { begin_record(e, EV_END, conn); }
inline void write_drain(int32_t* e, uint32_t conn) { begin_record(e, EV_DRAIN, conn); }

inline void write_close(int32_t* e, uint32_t conn, int error) {
  begin_record(e, EV_CLOSE, conn);
  e[CLOSE_ERROR] = error;
}

// ---- HTTP --------------------------------------------------------------------

// The head's bytes were copied to eventData at `head_off`; its fields are
// `fields` records from `first_field` on (write_field).
inline void write_request(int32_t* e, uint32_t conn, uint32_t head_off, uint32_t first_field,
                          const http::RequestHead& h) {
  begin_record(e, EV_REQUEST, conn);
  e[REQ_METHOD_OFF] = (int32_t)(head_off + h.method_off);
  e[REQ_METHOD_LEN] = (int32_t)h.method_len;
  e[REQ_TARGET_OFF] = (int32_t)(head_off + h.target_off);
  e[REQ_TARGET_LEN] = (int32_t)h.target_len;
  e[REQ_FIRST_FIELD] = (int32_t)first_field;
  e[REQ_FIELD_COUNT] = (int32_t)h.field_count;
  bool has_body = h.chunked || h.content_length > 0;
  e[REQ_FLAGS] = (h.keep_alive ? HF_KEEP_ALIVE : 0) | (h.chunked ? HF_CHUNKED : 0) | (has_body ? HF_HAS_BODY : 0) |
                 (h.expect_continue ? HF_EXPECT_CONTINUE : 0) | (h.version_minor == 0 ? HF_HTTP10 : 0) |
                 (h.upgrade ? HF_UPGRADE : 0) | (h.websocket ? HF_WEBSOCKET : 0);
  int64_t cl = h.content_length;
  e[REQ_CONTENT_LENGTH_LO] = (int32_t)(uint32_t)((uint64_t)cl & 0xffffffffu);
  e[REQ_CONTENT_LENGTH_HI] = cl < 0 ? -1 : (int32_t)((uint64_t)cl >> 32);
}

inline void write_field(int32_t* f, uint32_t head_off, const http::Field& field) {
  f[FW_NAME_OFF] = (int32_t)(head_off + field.name_off);
  f[FW_NAME_LEN] = (int32_t)field.name_len;
  f[FW_VALUE_OFF] = (int32_t)(head_off + field.value_off);
  f[FW_VALUE_LEN] = (int32_t)field.value_len;
}

inline void write_body(int32_t* e, uint32_t conn, uint32_t off, uint32_t len) {
  write_span(e, EV_BODY, conn, off, len);
}

inline void write_body_end(int32_t* e, uint32_t conn) { begin_record(e, EV_BODY_END, conn); }

inline void write_http_error(int32_t* e, uint32_t conn, http::ParseError error, bool in_body) {
  begin_record(e, EV_HTTP_ERROR, conn);
  e[HE_STATUS] = http::error_status(error);
  e[HE_PARSE_ERROR] = (int32_t)error;
  e[HE_IN_BODY] = in_body ? 1 : 0;
}

inline void write_timeout(int32_t* e, uint32_t conn, TimeoutKind kind) {
  begin_record(e, EV_TIMEOUT, conn);
  e[TW_KIND] = kind;
}

// ---- WebSocket -------------------------------------------------------------------

inline void write_ws_message(int32_t* e, uint32_t conn, uint32_t off, uint32_t len, bool binary, bool fin) {
  begin_record(e, EV_WS_MESSAGE, conn);
  e[WSM_OFF] = (int32_t)off;
  e[WSM_LEN] = (int32_t)len;
  e[WSM_FLAGS] = (binary ? WSF_BINARY : 0) | (fin ? WSF_FIN : 0);
}

// PING and PONG share DATA's layout.
inline void write_ws_control(int32_t* e, Ev type, uint32_t conn, uint32_t off, uint32_t len) {
  write_span(e, type, conn, off, len);
}

inline void write_ws_close(int32_t* e, uint32_t conn, uint32_t code, uint32_t reason_off, uint32_t reason_len) {
  begin_record(e, EV_WS_CLOSE, conn);
  e[WSC_CODE] = (int32_t)code;
  e[WSC_REASON_OFF] = (int32_t)reason_off;
  e[WSC_REASON_LEN] = (int32_t)reason_len;
}

// ---- output records (JS → native) -----------------------------------------------

struct OutRecord {
  int32_t op;  // OutOp, without its flag bits
  uint32_t conn;
  uint32_t off, len;  // WRITE and WS_*: the bytes in outData
  int32_t flags;      // the op's flag bits (kOpFlag*: ResponseDone ends the response after a WRITE)
};

inline OutRecord read_out(const int32_t* r) {
  return {r[OW_OP] & 0xff, (uint32_t)r[OW_CONN], (uint32_t)r[OW_OFF], (uint32_t)r[OW_LEN], r[OW_OP] & ~0xff};
}

}  // namespace ringside
