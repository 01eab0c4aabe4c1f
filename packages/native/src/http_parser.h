// Strict HTTP/1.1 request parser (RFC 9112). Knows nothing of io_uring or N-API:
// it reads bytes and fills offsets, so it is unit-tested and fuzzed on its own
// (test/parser/). The loop calls it only once a complete head is buffered
// (it searches for CRLFCRLF incrementally), so parsing is never quadratic.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ringside::http {

struct Limits {
  uint32_t max_head_bytes = 16 * 1024;  // request line + fields + CRLFCRLF → 431
  uint32_t max_headers = 100;           // → 431
  uint32_t max_url_bytes = 8 * 1024;    // → 414
  uint64_t max_body_bytes = 1 << 20;    // Content-Length above it → 413
};

// Why a request was refused. Each maps to one precomputed response.
enum class ParseError : uint8_t {
  None = 0,
  BadRequest,          // malformed request line or field → 400
  BadVersion,          // HTTP/2.0, HTTP/3 … → 505
  UriTooLong,          // → 414
  HeadTooLarge,        // → 431
  TooManyHeaders,      // → 431
  BodyTooLarge,        // Content-Length over the limit → 413
  Smuggling,           // CL + TE, differing CLs, TE not ending in chunked … → 400
  BadChunk,            // invalid chunk size / framing → 400
  NotImplemented,      // unknown transfer coding → 501
  Count
};

struct Field {  // offsets relative to the start of the head buffer
  uint32_t name_off, name_len, value_off, value_len;
};

struct RequestHead {
  uint32_t method_off = 0, method_len = 0;
  uint32_t target_off = 0, target_len = 0;
  uint8_t version_minor = 1;     // HTTP/1.0 → 0, HTTP/1.1 → 1
  uint32_t field_count = 0;      // fields written to the caller's array
  bool keep_alive = true;        // per version default and Connection header
  bool chunked = false;          // Transfer-Encoding: chunked (last coding)
  bool expect_continue = false;  // Expect: 100-continue
  bool upgrade = false;          // Connection: upgrade + Upgrade header
  int64_t content_length = -1;   // -1: absent
  uint32_t head_len = 0;         // bytes of the head including the final CRLFCRLF
};

// Parse one request head from buf[0, len). `len` must end right after the
// first CRLFCRLF (the caller found it), or the caller passes everything it has
// and the parser stops at the first CRLFCRLF. `fields` has room for
// limits.max_headers entries. Leading empty lines (CRLF) before the request
// line are skipped per RFC 9112 §2.2 and counted in head_len.
// Returns ParseError::None and fills `out` on success.
ParseError parse_request_head(const uint8_t* buf, size_t len, const Limits& limits, RequestHead& out, Field* fields);

// Incremental chunked-body decoder. Feed it bytes as they arrive; it reports
// data spans (pointers into the input) through the callback and stops after
// the last chunk's trailer section.
class ChunkedDecoder {
 public:
  struct Result {
    size_t consumed;      // input bytes used (the rest belongs to the next request)
    bool done;            // last-chunk and trailers complete
    ParseError error;     // None, BadChunk, or BodyTooLarge
  };
  explicit ChunkedDecoder(uint64_t max_body_bytes = 1 << 20) : max_body_(max_body_bytes) {}
  void reset(uint64_t max_body_bytes);
  // on_data(const uint8_t* p, size_t n) is called for every span of body bytes.
  template <typename OnData>
  Result feed(const uint8_t* in, size_t len, OnData&& on_data);

 private:
  // implementation state, see http_parser.cc
  enum class State : uint8_t { Size, SizeExt, SizeLf, Data, DataCr, DataLf, Trailer, TrailerLf, TrailerLine, TrailerLineLf, Done };
  State state_ = State::Size;
  uint64_t remaining_ = 0;  // bytes left in the current chunk
  uint64_t total_ = 0;      // body bytes so far
  uint64_t max_body_;
  uint32_t size_digits_ = 0;
  uint32_t line_bytes_ = 0; // bytes of the current size/trailer line (bounded)
  friend struct ChunkedDecoderTestAccess;
};

// Complete precomputed response for an error (status line, Content-Type,
// Content-Length, Connection: close, short body). Never empty for an error.
std::string_view error_response(ParseError e);
// The HTTP status of that response (400, 413, 414, 431, 501, 505).
int error_status(ParseError e);

// Status line "HTTP/1.1 100 Continue\r\n\r\n".
inline constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
// Sent when a request or headers timeout fires.
std::string_view timeout_response();  // 408 with Connection: close

}  // namespace ringside::http

#include "http_parser_inl.h"  // ChunkedDecoder::feed (a template, so it lives in a header)
