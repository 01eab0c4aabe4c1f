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
  BadRequest,      // malformed request line or field → 400
  BadVersion,      // HTTP/2.0, HTTP/3 … → 505
  UriTooLong,      // → 414
  HeadTooLarge,    // → 431
  TooManyHeaders,  // → 431
  BodyTooLarge,    // Content-Length over the limit → 413
  Smuggling,       // CL + TE, differing CLs, TE not ending in chunked … → 400
  BadChunk,        // invalid chunk size / framing → 400
  NotImplemented,  // unknown transfer coding → 501
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
  bool websocket = false;        // upgrade is a valid WebSocket opening handshake (RFC 6455 §4.2.1)
  int64_t content_length = -1;   // -1: absent
  uint32_t head_len = 0;         // bytes of the head including the final CRLFCRLF
};

// Parse one request head from buf[0, len). `len` must end right after the
// first CRLFCRLF (the caller found it), or the caller passes everything it has
// and the parser stops at the first CRLFCRLF. `fields` has room for
// limits.max_headers entries. Leading empty lines (CRLF) before the request
// line are skipped per RFC 9112 §2.2 (at most 8) and counted in head_len.
// Returns ParseError::None and fills `out` on success; on error `out` and
// `fields` hold partial garbage.
//
// Calling contract (partial input): call only when buf[0, len) contains a
// CRLFCRLF, or when len > limits.max_head_bytes (to refuse an oversized head).
// The parser reads at most max_head_bytes bytes. If no complete head lies in
// them it returns HeadTooLarge when len >= max_head_bytes, and BadRequest when
// len < max_head_bytes (a contract violation: the head is merely incomplete).
// Errors found before that point win (e.g. UriTooLong for a huge target,
// BadRequest for a bad method), so an oversized partial head may also get
// 400/414/431(TooManyHeaders)/505. Never returns None without a CRLFCRLF.
//
// Strictness (RFC 9112/9110), everything ambiguous refused:
//  - request-line: token SP target SP "HTTP/1.d" CRLF; 1.0 is 1.0, any higher
//    minor is served as 1.1 (RFC 9110 §2.5). Other "HTTP/d.d" or "HTTP/d" →
//    BadVersion; anything else → BadRequest.
//  - target: 0x21–0x7E only; origin-form ("/…"), absolute-form ("http://host…",
//    "https://host…", scheme case-insensitive, non-empty host), asterisk-form
//    ("*") only for OPTIONS, authority-form ("host:port") only and always for
//    CONNECT. Longer than max_url_bytes → UriTooLong.
//  - CRLF everywhere; bare CR / bare LF / NUL / other controls → BadRequest.
//  - field: token ":" OWS value OWS CRLF; whitespace before ':' or obs-fold →
//    BadRequest. Value bytes: HTAB, SP, VCHAR, obs-text. Over max_headers →
//    TooManyHeaders; head over max_head_bytes → HeadTooLarge.
//  - Host: required for HTTP/1.1, at most one; value limited to
//    unreserved / '%' / sub-delims except ',' / ':' / '[' / ']' → else BadRequest.
//  - Content-Length: 1*DIGIT, or a list of identical values ("5, 5", or
//    repeated fields); differing values → Smuggling; a value with more than
//    15 significant digits or above max_body_bytes → BodyTooLarge; any other
//    syntax ('+5', '5 5', '0x5', '') → BadRequest.
//  - Transfer-Encoding (list, may span fields, case-insensitive): with
//    Content-Length, in HTTP/1.0, 'chunked' not last or repeated, empty list
//    elements or parameters → Smuggling. Codings before a final 'chunked'
//    ('gzip, chunked') → NotImplemented (we decode only chunked).
//  - Connection tokens close / keep-alive / upgrade (empty list elements
//    ignored, non-token bytes → BadRequest): keep_alive defaults to true for
//    1.1, false for 1.0; 'close' always wins. upgrade = 'upgrade' token plus a
//    non-empty Upgrade field, HTTP/1.1 only. expect_continue = Expect equal to
//    '100-continue' (case-insensitive), HTTP/1.1 only; other expectations are
//    ignored.
// Precedence of semantic errors (decided once the head is complete):
// Smuggling > NotImplemented > BadRequest (missing Host) > BodyTooLarge.
ParseError parse_request_head(const uint8_t* buf, size_t len, const Limits& limits, RequestHead& out, Field* fields);

// For a head still missing its CRLFCRLF (buf[0, len), len <= max_head_bytes):
// an error when these bytes can never begin a valid head — a control byte, a
// bare CR or LF, or a request line that breaks the grammar (TLS, SSH, junk) —
// so such clients are answered at once rather than at the headers timeout;
// None while they still can. Bytes before `from` were checked by an earlier
// call; the grammar is re-checked only while the request line is arriving.
ParseError check_partial_head(const uint8_t* buf, size_t len, size_t from, const Limits& limits, Field* fields);

// Incremental chunked-body decoder. Feed it bytes as they arrive; it reports
// data spans (pointers into the input) through the callback and stops after
// the last chunk's trailer section.
class ChunkedDecoder {
 public:
  struct Result {
    size_t consumed;   // input bytes used (the rest belongs to the next request)
    bool done;         // last-chunk and trailers complete
    ParseError error;  // None, BadChunk, or BodyTooLarge
  };
  explicit ChunkedDecoder(uint64_t max_body_bytes = 1 << 20) : max_body_(max_body_bytes) {}
  void reset(uint64_t max_body_bytes);
  // on_data(const uint8_t* p, size_t n) is called for every span of body bytes
  // (n > 0, p inside `in`). Result: not done and no error → consumed == len;
  // done → consumed ends right after the trailer section's final CRLF (later
  // calls return {0, true, None} until reset); error → consumed is the offset
  // of the offending byte and the error is sticky ({0, false, error} until
  // reset). Grammar and bounds: http_parser_inl.h.
  template <typename OnData>
  Result feed(const uint8_t* in, size_t len, OnData&& on_data);

 private:
  // implementation state, see http_parser.cc
  enum class State : uint8_t {
    Size,
    SizeExt,
    SizeLf,
    Data,
    DataCr,
    DataLf,
    Trailer,
    TrailerLf,
    TrailerLine,
    TrailerLineLf,
    Done
  };
  State state_ = State::Size;
  uint64_t remaining_ = 0;  // bytes left in the current chunk
  uint64_t total_ = 0;      // body bytes so far
  uint64_t max_body_;
  uint32_t size_digits_ = 0;
  uint32_t line_bytes_ = 0;  // bytes of the current size line / of the trailer section (bounded)
  // chunk-ext sub-state while state_ == SizeExt (see http_parser_inl.h)
  enum class Ext : uint8_t { PreSemi, PreSemiWs, NameStart, Name, AfterName, ValStart, Token, Quoted, QuotedEscape };
  Ext ext_ = Ext::PreSemi;
  bool trailer_in_value_ = false;  // TrailerLine: past the ':'
  uint32_t trailer_fields_ = 0;
  ParseError error_ = ParseError::None;                // sticky once set
  static constexpr uint32_t kMaxSizeLine = 4096;       // chunk-size + extensions + CRLF
  static constexpr uint32_t kMaxTrailerBytes = 16384;  // whole trailer section incl. final CRLF
  static constexpr uint32_t kMaxTrailerFields = 64;
  friend struct ChunkedDecoderTestAccess;
};

// Complete precomputed response for an error (status line, Content-Type,
// Content-Length, Connection: close, short body). Never empty for an error;
// empty for ParseError::None; the 400 response for out-of-range values.
// Bodies match packages/core/src/http-errors.ts (fastify's error shape).
std::string_view error_response(ParseError e);
// The HTTP status of that response (400, 413, 414, 431, 501, 505); 0 for None.
int error_status(ParseError e);
// A precomputed response's head (through the blank line): the answer to a HEAD request.
inline std::string_view response_head(std::string_view response) {
  size_t end = response.find("\r\n\r\n");
  return end == std::string_view::npos ? response : response.substr(0, end + 4);
}

// Status line "HTTP/1.1 100 Continue\r\n\r\n".
inline constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
// Sent when a request or headers timeout fires.
std::string_view timeout_response();  // 408 with Connection: close

}  // namespace ringside::http

#include "http_parser_inl.h"  // ChunkedDecoder::feed (a template, so it lives in a header)
