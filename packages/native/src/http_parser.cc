// Strict HTTP/1.1 request-head parser and the precomputed error responses.
// Single pass over the head, no allocation, table-driven byte classes, and an
// 8-bytes-at-a-time fast path for the long runs (target and field values).
// The contract and the accepted grammar are documented in http_parser.h.
#include "http_parser.h"

#include <cstring>
#include <string_view>

namespace ringside::http {

namespace {

using detail::has;
using detail::kHost;
using detail::kOws;
using detail::kTchar;
using detail::kValue;
using detail::kVchar;

constexpr uint32_t kMaxLeadingEmptyLines = 8;
constexpr uint32_t kMaxContentLengthDigits = 15;  // 10^15 - 1 < 2^53: exact as a JS number
constexpr uint64_t kHugeLength = ~uint64_t{0};    // stands for any value of 16+ significant digits

// ---- SWAR helpers (8 bytes per step) -------------------------------------
constexpr uint64_t kOnes = 0x0101010101010101ULL;
constexpr uint64_t kHigh = 0x8080808080808080ULL;

inline uint64_t load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
// Any byte < n (n <= 128). Exact as a yes/no answer.
inline bool any_less(uint64_t x, uint64_t n) { return ((x - kOnes * n) & ~x & kHigh) != 0; }
// Any byte > n (n <= 127). Exact as a yes/no answer.
inline bool any_more(uint64_t x, uint64_t n) { return (((x + kOnes * (127 - n)) | x) & kHigh) != 0; }

// Advance over request-target bytes (0x21–0x7E).
inline size_t scan_target(const uint8_t* buf, size_t p, size_t lim) {
  while (p + 8 <= lim) {
    uint64_t x = load64(buf + p);
    if (any_less(x, 0x21) || any_more(x, 0x7E)) break;
    p += 8;
  }
  while (p < lim && has(buf[p], kVchar)) ++p;
  return p;
}

// Advance over field-value bytes (HTAB, SP, VCHAR, obs-text).
inline size_t scan_value(const uint8_t* buf, size_t p, size_t lim) {
  while (p + 8 <= lim) {
    uint64_t x = load64(buf + p);
    // controls (incl. HTAB/CR: left to the byte loop) or DEL
    if (any_less(x, 0x20) || any_less(x ^ (kOnes * 0x7F), 1)) break;
    p += 8;
  }
  while (p < lim && has(buf[p], kValue)) ++p;
  return p;
}

inline size_t scan_token(const uint8_t* buf, size_t p, size_t lim) {
  while (p < lim && has(buf[p], kTchar)) ++p;
  return p;
}

// Case-insensitive compare of a token against a lowercase literal of the same
// length. `c | 0x20` lowercases letters; the literals hold only letters, digits
// and '-', and no other tchar maps onto those under `| 0x20`.
inline bool ieq(const uint8_t* s, const char* lower, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if ((s[i] | 0x20) != (uint8_t)lower[i]) return false;
  return true;
}
// Length first, then the lowercase compare. Also exact for field values: the
// only other bytes that map onto letters, digits, '-', ':' or '/' under
// `| 0x20` are controls, which never reach here.
template <size_t N>
inline bool ieq_lit(const uint8_t* s, size_t n, const char (&lit)[N]) {
  return n == N - 1 && ieq(s, lit, N - 1);
}

inline size_t skip_ows(const uint8_t* buf, size_t i, size_t end) {
  while (i < end && has(buf[i], kOws)) ++i;
  return i;
}

// State gathered over the fields, judged once the head is complete.
struct Framing {
  uint32_t host_count = 0;
  bool cl_seen = false, cl_conflict = false, cl_huge = false;
  uint64_t cl_value = 0;
  bool te_seen = false, te_bad = false, te_last_chunked = false;
  uint32_t te_chunked = 0, te_other = 0;
  bool conn_close = false, conn_keep_alive = false, conn_upgrade = false;
  bool upgrade_field = false, expect_continue = false;
  // RFC 6455 §4.2.1: Upgrade names websocket; exactly one version field, "13"; exactly one key of 16 base64 bytes.
  bool upgrade_websocket = false;
  uint32_t ws_version_fields = 0, ws_key_fields = 0;
  bool ws_version_13 = false, ws_key_valid = false;
};

// Does a comma-separated list hold `token` (case-insensitively)?
inline bool list_has_token(const uint8_t* buf, size_t vs, size_t ve, std::string_view token) {
  size_t i = vs;
  while (i < ve) {
    while (i < ve && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == ',')) ++i;
    size_t t0 = i;
    while (i < ve && buf[i] != ',') ++i;
    size_t t1 = i;
    while (t1 > t0 && (buf[t1 - 1] == ' ' || buf[t1 - 1] == '\t')) --t1;
    if (t1 - t0 == token.size() && ieq(buf + t0, token.data(), token.size())) return true;
  }
  return false;
}

// Sec-WebSocket-Key: the base64 of 16 bytes, 22 symbols then "=="; the 22nd
// carries 2 bits of the last byte and 4 zero bits (A, Q, g or w).
inline bool valid_websocket_key(const uint8_t* p, size_t n) {
  if (n != 24 || p[22] != '=' || p[23] != '=') return false;
  if (p[21] != 'A' && p[21] != 'Q' && p[21] != 'g' && p[21] != 'w') return false;
  for (size_t i = 0; i < 22; i++) {
    uint8_t ch = p[i];
    bool b64 =
        (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '+' || ch == '/';
    if (!b64) return false;
  }
  return true;
}

// Content-Length: 1*DIGIT *( OWS "," OWS 1*DIGIT ). Values must all agree.
inline bool parse_content_length(const uint8_t* buf, size_t i, size_t end, Framing& f) {
  if (i == end) return false;
  for (;;) {
    size_t d0 = i;
    uint64_t v = 0;
    uint32_t sig = 0;
    while (i < end && detail::is_digit(buf[i])) {
      if (sig || buf[i] != '0') {
        if (sig < kMaxContentLengthDigits) v = v * 10 + (buf[i] - '0');
        ++sig;
      }
      ++i;
    }
    if (i == d0) return false;
    if (sig > kMaxContentLengthDigits) {
      v = kHugeLength;
      f.cl_huge = true;
    }
    if (f.cl_seen && v != f.cl_value) f.cl_conflict = true;
    f.cl_seen = true;
    f.cl_value = v;
    i = skip_ows(buf, i, end);
    if (i == end) return true;
    if (buf[i] != ',') return false;
    i = skip_ows(buf, i + 1, end);
  }
}

// Transfer-Encoding: 1#transfer-coding; only bare tokens are accepted.
inline void parse_transfer_encoding(const uint8_t* buf, size_t i, size_t end, Framing& f) {
  f.te_seen = true;
  for (;;) {
    size_t t0 = i;
    i = scan_token(buf, i, end);
    if (i == t0) {
      f.te_bad = true;
      return;
    }  // empty element, parameter, junk
    if (ieq_lit(buf + t0, i - t0, "chunked")) {
      ++f.te_chunked;
      f.te_last_chunked = true;
    } else {
      ++f.te_other;
      f.te_last_chunked = false;
    }
    i = skip_ows(buf, i, end);
    if (i == end) return;
    if (buf[i] != ',') {
      f.te_bad = true;
      return;
    }
    i = skip_ows(buf, i + 1, end);
  }
}

// Connection: #connection-option; empty elements ignored (RFC 9110 §5.6.1).
inline bool parse_connection(const uint8_t* buf, size_t i, size_t end, Framing& f) {
  for (;;) {
    while (i < end && (buf[i] == ',' || has(buf[i], kOws))) ++i;
    if (i == end) return true;
    size_t t0 = i;
    i = scan_token(buf, i, end);
    size_t n = i - t0;
    if (n == 0) return false;
    if (ieq_lit(buf + t0, n, "close"))
      f.conn_close = true;
    else if (ieq_lit(buf + t0, n, "keep-alive"))
      f.conn_keep_alive = true;
    else if (ieq_lit(buf + t0, n, "upgrade"))
      f.conn_upgrade = true;
    i = skip_ows(buf, i, end);
    if (i < end && buf[i] != ',') return false;
  }
}

inline bool valid_host(const uint8_t* buf, size_t i, size_t end) {
  for (; i < end; ++i)
    if (!has(buf[i], kHost)) return false;
  return true;
}

// Request-target form against the method (RFC 9112 §3.2).
inline bool valid_target(const uint8_t* m, size_t mlen, const uint8_t* t, size_t tlen) {
  const bool connect = mlen == 7 && std::memcmp(m, "CONNECT", 7) == 0;
  if (connect) {
    // authority-form: host ":" port, nothing that belongs to a path or userinfo
    size_t colon = tlen;
    for (size_t i = 0; i < tlen; ++i) {
      uint8_t c = t[i];
      if (c == '/' || c == '?' || c == '#' || c == '@' || c == '\\' || c == ',') return false;
      if (c == ':') colon = i;
    }
    if (colon == 0 || colon >= tlen - 1 || tlen - colon - 1 > 5) return false;
    for (size_t i = colon + 1; i < tlen; ++i)
      if (!detail::is_digit(t[i])) return false;
    return true;
  }
  if (t[0] == '/') return true;  // origin-form
  if (tlen == 1 && t[0] == '*') return mlen == 7 && std::memcmp(m, "OPTIONS", 7) == 0;
  // absolute-form, http(s) only, non-empty authority
  size_t skip;
  if (tlen > 7 && ieq(t, "http://", 7))
    skip = 7;
  else if (tlen > 8 && ieq(t, "https://", 8))
    skip = 8;
  else
    return false;
  uint8_t c = t[skip];
  return c != '/' && c != '?' && c != '#' && c != '@';
}

}  // namespace

// The parser proper. `incomplete` is what running out of input returns.
static ParseError parse_head(const uint8_t* buf, size_t len, const Limits& limits, RequestHead& out, Field* fields,
                             ParseError incomplete);

ParseError parse_request_head(const uint8_t* buf, size_t len, const Limits& limits, RequestHead& out, Field* fields) {
  // No complete head within the first max_head_bytes bytes.
  return parse_head(buf, len, limits, out, fields,
                    len >= limits.max_head_bytes ? ParseError::HeadTooLarge : ParseError::BadRequest);
}

ParseError check_partial_head(const uint8_t* buf, size_t len, size_t from, const Limits& limits, Field* fields) {
  // Bytes never allowed in a head, and line ends that are not CRLF: linear in the new bytes.
  for (size_t i = from ? from - 1 : 0; i < len; ++i) {  // from - 1: a CR that ended the last call
    const uint8_t c = buf[i];
    if (c >= 0x20 && c != 0x7F) continue;
    if (c == '\t') continue;
    if (c == '\n' && i > 0 && buf[i - 1] == '\r') continue;
    if (c == '\r' && (i + 1 == len || buf[i + 1] == '\n')) continue;
    return ParseError::BadRequest;
  }
  // The grammar of what is there so far, while the request line is still
  // arriving (the only part where a non-HTTP stream usually shows).
  const void* lf = std::memchr(buf, '\n', len);
  if (lf && (size_t)((const uint8_t*)lf - buf) < from) return ParseError::None;
  RequestHead out;
  // ParseError::Count (never a real answer) marks "ran out of input".
  ParseError e = parse_head(buf, len, limits, out, fields, ParseError::Count);
  return e == ParseError::Count ? ParseError::None : e;
}

static ParseError parse_head(const uint8_t* buf, size_t len, const Limits& limits, RequestHead& out, Field* fields,
                             ParseError incomplete) {
  out = RequestHead{};
  const size_t lim = len < limits.max_head_bytes ? len : (size_t)limits.max_head_bytes;
  size_t p = 0;

  // Leading empty lines.
  for (uint32_t skipped = 0; p < lim && buf[p] == '\r';) {
    if (p + 1 >= lim) return incomplete;
    if (buf[p + 1] != '\n' || ++skipped > kMaxLeadingEmptyLines) return ParseError::BadRequest;
    p += 2;
  }

  // method SP
  const size_t m0 = p;
  p = scan_token(buf, p, lim);
  if (p >= lim) return incomplete;
  if (p == m0 || buf[p] != ' ') return ParseError::BadRequest;
  out.method_off = (uint32_t)m0;
  out.method_len = (uint32_t)(p - m0);
  ++p;

  // request-target SP
  const size_t t0 = p;
  p = scan_target(buf, p, lim);
  if (p - t0 > limits.max_url_bytes) return ParseError::UriTooLong;
  if (p >= lim) return incomplete;
  if (p == t0 || buf[p] != ' ') return ParseError::BadRequest;
  out.target_off = (uint32_t)t0;
  out.target_len = (uint32_t)(p - t0);
  ++p;

  // HTTP-version CRLF
  const size_t v0 = p;
  while (p < lim && p - v0 < 9 && has(buf[p], kVchar)) ++p;
  if (p >= lim) return incomplete;
  if (buf[p] != '\r') return ParseError::BadRequest;
  if (p + 1 >= lim) return incomplete;
  if (buf[p + 1] != '\n') return ParseError::BadRequest;
  {
    const uint8_t* v = buf + v0;
    const size_t vlen = p - v0;
    if (vlen == 8 && std::memcmp(v, "HTTP/1.", 7) == 0 && detail::is_digit(v[7])) {
      // A higher 1.x minor is served as 1.1, the highest we implement (RFC 9110 §2.5).
      out.version_minor = v[7] == '0' ? 0 : 1;
    } else if ((vlen == 8 && std::memcmp(v, "HTTP/", 5) == 0 && detail::is_digit(v[5]) && v[6] == '.' &&
                detail::is_digit(v[7])) ||
               (vlen == 6 && std::memcmp(v, "HTTP/", 5) == 0 && detail::is_digit(v[5]))) {
      return ParseError::BadVersion;
    } else {
      return ParseError::BadRequest;
    }
  }
  p += 2;
  if (!valid_target(buf + out.method_off, out.method_len, buf + t0, out.target_len)) return ParseError::BadRequest;

  // field-lines, then the empty line
  Framing f;
  uint32_t count = 0;
  for (;;) {
    if (p >= lim) return incomplete;
    if (buf[p] == '\r') {
      if (p + 1 >= lim) return incomplete;
      if (buf[p + 1] != '\n') return ParseError::BadRequest;
      p += 2;
      break;
    }
    if (count == limits.max_headers) return ParseError::TooManyHeaders;

    // field-name ":" — no whitespace before the colon, no obs-fold
    const size_t n0 = p;
    p = scan_token(buf, p, lim);
    if (p >= lim) return incomplete;
    if (p == n0 || buf[p] != ':') return ParseError::BadRequest;
    const size_t nlen = p - n0;

    // OWS field-value OWS CRLF
    p = skip_ows(buf, p + 1, lim);
    const size_t vs = p;
    p = scan_value(buf, p, lim);
    if (p >= lim) return incomplete;
    if (buf[p] != '\r') return ParseError::BadRequest;  // NUL, bare LF, controls, DEL
    if (p + 1 >= lim) return incomplete;
    if (buf[p + 1] != '\n') return ParseError::BadRequest;
    size_t ve = p;
    while (ve > vs && has(buf[ve - 1], kOws)) --ve;
    p += 2;

    fields[count++] = Field{(uint32_t)n0, (uint32_t)nlen, (uint32_t)vs, (uint32_t)(ve - vs)};

    const uint8_t* name = buf + n0;
    switch (nlen) {
      case 4:
        if (ieq(name, "host", 4)) {
          if (++f.host_count > 1 || !valid_host(buf, vs, ve)) return ParseError::BadRequest;
        }
        break;
      case 6:
        if (ieq(name, "expect", 6) && ieq_lit(buf + vs, ve - vs, "100-continue")) f.expect_continue = true;
        break;
      case 7:
        if (ieq(name, "upgrade", 7) && ve > vs) {
          f.upgrade_field = true;
          if (list_has_token(buf, vs, ve, "websocket")) f.upgrade_websocket = true;
        }
        break;
      case 10:
        if (ieq(name, "connection", 10) && !parse_connection(buf, vs, ve, f)) return ParseError::BadRequest;
        break;
      case 14:
        if (ieq(name, "content-length", 14) && !parse_content_length(buf, vs, ve, f)) return ParseError::BadRequest;
        break;
      case 17:
        if (ieq(name, "transfer-encoding", 17)) {
          parse_transfer_encoding(buf, vs, ve, f);
        } else if (ieq(name, "sec-websocket-key", 17)) {
          f.ws_key_fields++;
          f.ws_key_valid = valid_websocket_key(buf + vs, ve - vs);
        }
        break;
      case 21:
        if (ieq(name, "sec-websocket-version", 21)) {
          f.ws_version_fields++;
          f.ws_version_13 = ve - vs == 2 && buf[vs] == '1' && buf[vs + 1] == '3';
        }
        break;
      default: break;
    }
  }

  out.field_count = count;
  out.head_len = (uint32_t)p;
  const bool v11 = out.version_minor == 1;

  // Message framing (RFC 9112 §6.1, §6.3).
  if (f.te_seen) {
    if (!v11 || f.cl_seen || f.te_bad || f.te_chunked != 1 || !f.te_last_chunked) return ParseError::Smuggling;
  }
  if (f.cl_conflict) return ParseError::Smuggling;
  if (f.te_seen && f.te_other) return ParseError::NotImplemented;
  if (v11 && f.host_count == 0) return ParseError::BadRequest;
  if (f.cl_seen) {
    if (f.cl_huge || f.cl_value > limits.max_body_bytes) return ParseError::BodyTooLarge;
    out.content_length = (int64_t)f.cl_value;
  }
  out.chunked = f.te_seen;

  out.keep_alive = !f.conn_close && (v11 || f.conn_keep_alive);
  out.upgrade = v11 && f.conn_upgrade && f.upgrade_field;
  out.websocket = out.upgrade && f.upgrade_websocket && out.method_len == 3 &&
                  memcmp(buf + out.method_off, "GET", 3) == 0 && f.ws_version_fields == 1 && f.ws_version_13 &&
                  f.ws_key_fields == 1 && f.ws_key_valid;
  out.expect_continue = v11 && f.expect_continue;
  return ParseError::None;
}

void ChunkedDecoder::reset(uint64_t max_body_bytes) { *this = ChunkedDecoder(max_body_bytes); }

// ---- precomputed responses ------------------------------------------------
// Built at compile time: the Content-Length is computed from the body, and a
// response that outgrew its buffer would fail to compile.
namespace {

struct Canned {
  char data[400]{};
  uint32_t len = 0;
  constexpr void add(std::string_view s) {
    for (char c : s) data[len++] = c;
  }
  constexpr void add_uint(uint32_t v) {
    char tmp[10]{};
    int n = 0;
    do {
      tmp[n++] = (char)('0' + v % 10);
      v /= 10;
    } while (v);
    while (n) data[len++] = tmp[--n];
  }
  constexpr std::string_view view() const { return {data, len}; }
};

// fastify's error shape: {"statusCode":…,"code":…,"error":…,"message":…}
constexpr Canned make_response(uint32_t status, std::string_view reason, std::string_view code,
                               std::string_view message) {
  Canned body;
  body.add("{\"statusCode\":");
  body.add_uint(status);
  body.add(",\"code\":\"");
  body.add(code);
  body.add("\",\"error\":\"");
  body.add(reason);
  body.add("\",\"message\":\"");
  body.add(message);
  body.add("\"}");
  Canned r;
  r.add("HTTP/1.1 ");
  r.add_uint(status);
  r.add(" ");
  r.add(reason);
  r.add("\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ");
  r.add_uint(body.len);
  r.add("\r\nConnection: close\r\n\r\n");
  r.add(body.view());
  return r;
}

struct ErrorInfo {
  uint32_t status;
  Canned response;
};

// Indexed by ParseError; each equals packages/core/src/http-errors.ts errorResponse()
// of its twin, Date aside (packages/core/test/error-answers.test.ts checks).
constexpr ErrorInfo kErrors[] = {
    /* None */ {0, Canned{}},
    /* BadRequest */
    {400, make_response(400, "Bad Request", "RS_ERR_HTTP_BAD_REQUEST", "Malformed HTTP request")},
    /* BadVersion */
    {505, make_response(505, "HTTP Version Not Supported", "RS_ERR_HTTP_VERSION_NOT_SUPPORTED",
                        "Only HTTP/1.0 and HTTP/1.1 are supported")},
    /* UriTooLong */
    {414, make_response(414, "URI Too Long", "RS_ERR_HTTP_URI_TOO_LONG", "Request URL is longer than the limit")},
    /* HeadTooLarge */
    {431, make_response(431, "Request Header Fields Too Large", "RS_ERR_HTTP_HEADERS_TOO_LARGE",
                        "Request header section is larger than the limit")},
    /* TooManyHeaders */
    {431, make_response(431, "Request Header Fields Too Large", "RS_ERR_HTTP_HEADERS_TOO_LARGE",
                        "Request has more header fields than the limit")},
    /* BodyTooLarge */
    {413,
     make_response(413, "Payload Too Large", "RS_ERR_HTTP_BODY_TOO_LARGE", "Request body is larger than the limit")},
    /* Smuggling */
    {400, make_response(400, "Bad Request", "RS_ERR_HTTP_SMUGGLING",
                        "Ambiguous message framing (Content-Length/Transfer-Encoding)")},
    /* BadChunk */
    {400, make_response(400, "Bad Request", "RS_ERR_HTTP_BAD_CHUNK", "Invalid chunked body framing")},
    /* NotImplemented */
    {501, make_response(501, "Not Implemented", "RS_ERR_HTTP_NOT_IMPLEMENTED",
                        "Unsupported transfer coding (only chunked is implemented)")},
};
static_assert(sizeof(kErrors) / sizeof(kErrors[0]) == (size_t)ParseError::Count, "one response per ParseError");

constexpr Canned kTimeout =
    make_response(408, "Request Timeout", "RS_ERR_HTTP_REQUEST_TIMEOUT", "The request was not received in time");

}  // namespace

std::string_view error_response(ParseError e) {
  size_t i = (size_t)e;
  if (i >= (size_t)ParseError::Count) i = (size_t)ParseError::BadRequest;
  return kErrors[i].response.view();
}

int error_status(ParseError e) {
  size_t i = (size_t)e;
  if (i >= (size_t)ParseError::Count) i = (size_t)ParseError::BadRequest;
  return (int)kErrors[i].status;
}

std::string_view timeout_response() { return kTimeout.view(); }

}  // namespace ringside::http
