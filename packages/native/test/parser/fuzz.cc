// Seeded random-mutation test for the HTTP parser (src/http_parser.{h,cc}).
//
// Valid requests (heads, some with chunked bodies) are mutated — bit flips,
// byte sets, insertions of interesting bytes and snippets, deletions,
// truncations, duplications, splices with other seeds — and every result is
// checked for:
//   - no crash / out-of-bounds read (built with -fsanitize=address,undefined;
//     inputs live in exactly-sized heap buffers),
//   - consistent results: determinism, offsets inside the head, head_len <= len,
//     a successful head really is well-formed (CRLF only, no NUL, tokens, …),
//     re-parsing exactly head_len bytes gives the same answer,
//   - the chunked decoder giving the same answer fed all at once, one byte at a
//     time and in random pieces, and agreeing with a simple reference decoder.
//
// Usage: fuzz [iterations=200000] [seed=0x5eed]. Deterministic for a seed.
// Built with -DRINGSIDE_LIBFUZZER (and -fsanitize=fuzzer) it is a libFuzzer
// target instead: clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined
//   -DRINGSIDE_LIBFUZZER -Isrc test/parser/fuzz.cc src/http_parser.cc
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "http_parser.h"

using namespace ringside::http;

namespace {

std::string g_input;  // the input under test, printed on failure

void dump_input() {
  std::fprintf(stderr, "input (%zu bytes): \"", g_input.size());
  for (unsigned char c : g_input) {
    if (c == '\\' || c == '"')
      std::fprintf(stderr, "\\%c", c);
    else if (c >= 0x20 && c < 0x7f)
      std::fputc(c, stderr);
    else
      std::fprintf(stderr, "\\x%02x", c);
  }
  std::fprintf(stderr, "\"\n");
}

#define FCHECK(cond)                                                                     \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      std::fprintf(stderr, "fuzz: check failed %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      dump_input();                                                                      \
      std::abort();                                                                      \
    }                                                                                    \
  } while (0)

constexpr bool is_tchar(uint8_t c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c != 0 && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr);
}
constexpr bool is_value_byte(uint8_t c) { return c == '\t' || c == ' ' || (c >= 0x21 && c != 0x7f); }
constexpr bool is_hex(uint8_t c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool ieq(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = (char)(x + 32);
    if (y >= 'A' && y <= 'Z') y = (char)(y + 32);
    if (x != y) return false;
  }
  return true;
}

// ---- chunked: three feeding patterns + a reference ----------------------------

struct Outcome {
  ParseError err = ParseError::None;
  bool done = false;
  size_t consumed = 0;  // absolute
  std::string data;
};

uint64_t g_rng_split = 1;
uint64_t split_rand() {
  g_rng_split ^= g_rng_split << 13;
  g_rng_split ^= g_rng_split >> 7;
  g_rng_split ^= g_rng_split << 17;
  return g_rng_split;
}

// mode 0: all at once, 1: byte by byte, 2: random pieces
Outcome run_decoder(const uint8_t* buf, size_t len, uint64_t max_body, int mode) {
  ChunkedDecoder d(max_body);
  Outcome o;
  size_t pos = 0;
  for (;;) {
    size_t n = len - pos;
    if (mode == 1) n = n ? 1 : 0;
    if (mode == 2 && n > 1) n = 1 + split_rand() % n;
    auto r = d.feed(buf + pos, n, [&](const uint8_t* p, size_t k) {
      FCHECK(k > 0);
      FCHECK(p >= buf + pos && p + k <= buf + pos + n);
      o.data.append((const char*)p, k);
    });
    FCHECK(r.consumed <= n);
    o.consumed = pos + r.consumed;
    if (r.error != ParseError::None) {
      FCHECK(r.error == ParseError::BadChunk || r.error == ParseError::BodyTooLarge);
      FCHECK(!r.done);
      o.err = r.error;
      // sticky
      auto again = d.feed(buf, len, [&](const uint8_t*, size_t) { FCHECK(false); });
      FCHECK(again.error == r.error && again.consumed == 0 && !again.done);
      return o;
    }
    if (r.done) {
      o.done = true;
      auto again = d.feed(buf, len, [&](const uint8_t*, size_t) { FCHECK(false); });
      FCHECK(again.done && again.consumed == 0 && again.error == ParseError::None);
      return o;
    }
    FCHECK(r.consumed == n);
    pos += n;
    if (pos >= len) return o;
  }
}

// Reference decoder: whole-line, non-incremental, written independently of the
// state machine. status: 0 incomplete (every byte so far valid), 1 done,
// 2 error, 3 incomplete line whose content was not validated (the real decoder
// may already have refused it).
struct RefOutcome {
  int status = 0;
  ParseError err = ParseError::None;
  size_t consumed = 0;
  std::string data;
};

constexpr size_t kRefMaxSizeLine = 4096;
constexpr size_t kRefMaxTrailerBytes = 16384;
constexpr size_t kRefMaxTrailerFields = 64;

bool ref_ext_ok(std::string_view e) {
  size_t i = 0, n = e.size();
  auto ows = [&] {
    while (i < n && (e[i] == ' ' || e[i] == '\t')) ++i;
  };
  auto token = [&] {
    size_t s = i;
    while (i < n && is_tchar((uint8_t)e[i])) ++i;
    return i > s;
  };
  while (i < n) {
    ows();
    if (i >= n || e[i] != ';') return false;
    ++i;
    ows();
    if (!token()) return false;
    size_t save = i;
    ows();
    if (i < n && e[i] == '=') {
      ++i;
      ows();
      if (i < n && e[i] == '"') {
        ++i;
        for (;;) {
          if (i >= n) return false;
          uint8_t c = (uint8_t)e[i];
          if (c == '"') {
            ++i;
            break;
          }
          if (c == '\\') {
            if (i + 1 >= n || !is_value_byte((uint8_t)e[i + 1])) return false;
            i += 2;
            continue;
          }
          if (!is_value_byte(c) || c == '"' || c == '\\') return false;
          ++i;
        }
      } else if (!token()) {
        return false;
      }
    } else {
      i = save;
    }
  }
  return true;
}

RefOutcome ref_decode(std::string_view s, uint64_t max_body) {
  RefOutcome o;
  const size_t n = s.size();
  size_t i = 0;
  uint64_t total = 0;
  auto fail = [&](ParseError e) {
    o.status = 2;
    o.err = e;
    return o;
  };
  auto unvalidated = [&] {
    o.status = 3;
    return o;
  };
  for (;;) {
    // chunk-size line
    const size_t ls = i;
    size_t j = i;
    while (j < n && s[j] != '\r' && s[j] != '\n') {
      if (j - ls + 1 > kRefMaxSizeLine) return fail(ParseError::BadChunk);
      ++j;
    }
    if (j >= n) return unvalidated();
    if (s[j] == '\n' || j - ls + 1 > kRefMaxSizeLine) return fail(ParseError::BadChunk);
    std::string_view line = s.substr(ls, j - ls);
    size_t d = 0;
    uint64_t size = 0;
    while (d < line.size() && is_hex((uint8_t)line[d])) {
      if (d == 16) return fail(ParseError::BadChunk);
      char c = line[d];
      size = size * 16 + (uint64_t)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
      ++d;
    }
    if (d == 0 || !ref_ext_ok(line.substr(d))) return fail(ParseError::BadChunk);
    if (j + 1 >= n) {
      o.status = 0;
      return o;
    }
    if (s[j + 1] != '\n' || j + 2 - ls > kRefMaxSizeLine) return fail(ParseError::BadChunk);
    i = j + 2;
    if (size == 0) break;
    if (size > max_body - total) return fail(ParseError::BodyTooLarge);
    total += size;
    // data CRLF
    size_t avail = n - i;
    if (avail < size) {
      o.data.append(s.substr(i, avail));
      o.status = 0;
      return o;
    }
    o.data.append(s.substr(i, size));
    i += size;
    if (i >= n) {
      o.status = 0;
      return o;
    }
    if (s[i] != '\r') return fail(ParseError::BadChunk);
    if (i + 1 >= n) {
      o.status = 0;
      return o;
    }
    if (s[i + 1] != '\n') return fail(ParseError::BadChunk);
    i += 2;
  }
  // trailer section
  const size_t ts = i;
  size_t fields = 0;
  for (;;) {
    size_t j = i;
    while (j < n && s[j] != '\r' && s[j] != '\n') {
      if (j - ts + 1 > kRefMaxTrailerBytes) return fail(ParseError::BadChunk);
      ++j;
    }
    if (j >= n) {
      if (j == i) {
        o.status = 0;
        return o;
      }
      return unvalidated();
    }
    if (s[j] == '\n' || j - ts + 1 > kRefMaxTrailerBytes) return fail(ParseError::BadChunk);
    std::string_view line = s.substr(i, j - i);
    if (!line.empty()) {
      size_t k = 0;
      while (k < line.size() && is_tchar((uint8_t)line[k])) ++k;
      if (k == 0 || k >= line.size() || line[k] != ':') return fail(ParseError::BadChunk);
      for (size_t v = k + 1; v < line.size(); ++v)
        if (!is_value_byte((uint8_t)line[v])) return fail(ParseError::BadChunk);
      if (++fields > kRefMaxTrailerFields) return fail(ParseError::BadChunk);
    }
    if (j + 1 >= n) {
      o.status = 0;
      return o;
    }
    if (s[j + 1] != '\n' || j + 2 - ts > kRefMaxTrailerBytes) return fail(ParseError::BadChunk);
    i = j + 2;
    if (line.empty()) {
      o.status = 1;
      o.consumed = i;
      return o;
    }
  }
}

size_t g_chunked_checks = 0, g_chunked_done = 0, g_chunked_bad = 0, g_chunked_too_large = 0;

void check_chunked(const uint8_t* buf, size_t len, uint64_t max_body) {
  ++g_chunked_checks;
  Outcome a = run_decoder(buf, len, max_body, 0);
  Outcome b = run_decoder(buf, len, max_body, 1);
  Outcome c = run_decoder(buf, len, max_body, 2);
  FCHECK(a.err == b.err && a.done == b.done && a.consumed == b.consumed && a.data == b.data);
  FCHECK(a.err == c.err && a.done == c.done && a.consumed == c.consumed && a.data == c.data);
  FCHECK(a.consumed <= len);
  FCHECK(a.data.size() <= max_body);
  if (!a.done && a.err == ParseError::None) FCHECK(a.consumed == len);
  g_chunked_bad += a.err == ParseError::BadChunk;
  g_chunked_too_large += a.err == ParseError::BodyTooLarge;

  RefOutcome r = ref_decode(std::string_view((const char*)buf, len), max_body);
  switch (r.status) {
    case 0: FCHECK(!a.done && a.err == ParseError::None && a.data == r.data); break;
    case 1: FCHECK(a.done && a.consumed == r.consumed && a.data == r.data); break;
    case 2: FCHECK(a.err == r.err); break;
    case 3: FCHECK(!a.done && (a.err == ParseError::None || a.err == ParseError::BadChunk)); break;
  }
  if (a.done) {
    ++g_chunked_done;
    // the body alone is also complete, and one byte short of it is not
    Outcome p = run_decoder(buf, a.consumed, max_body, 0);
    FCHECK(p.done && p.consumed == a.consumed && p.data == a.data);
    Outcome q = run_decoder(buf, a.consumed - 1, max_body, 0);
    FCHECK(!q.done && q.err == ParseError::None);
  }
}

// ---- head ----------------------------------------------------------------

size_t g_head_checks = 0, g_head_ok = 0;
size_t g_err_counts[(size_t)ParseError::Count] = {};

bool same_head(const RequestHead& x, const RequestHead& y) {
  return x.method_off == y.method_off && x.method_len == y.method_len && x.target_off == y.target_off &&
         x.target_len == y.target_len && x.version_minor == y.version_minor && x.field_count == y.field_count &&
         x.keep_alive == y.keep_alive && x.chunked == y.chunked && x.expect_continue == y.expect_continue &&
         x.upgrade == y.upgrade && x.content_length == y.content_length && x.head_len == y.head_len;
}

ParseError parse_exact(const uint8_t* data, size_t len, const Limits& lim, RequestHead& head,
                       std::vector<Field>& fields) {
  // exactly sized copy: any read past `len` is caught by ASan
  std::vector<uint8_t> copy(data, data + len);
  fields.assign(lim.max_headers ? lim.max_headers : 0, Field{});
  return parse_request_head(copy.data(), len, lim, head, fields.data());
}

void check_head(const uint8_t* data, size_t len, const Limits& lim) {
  ++g_head_checks;
  RequestHead h;
  std::vector<Field> fields;
  ParseError e = parse_exact(data, len, lim, h, fields);
  FCHECK((size_t)e < (size_t)ParseError::Count);
  ++g_err_counts[(size_t)e];

  RequestHead h2;
  std::vector<Field> fields2;
  ParseError e2 = parse_exact(data, len, lim, h2, fields2);
  FCHECK(e == e2);

  if (e != ParseError::None) {
    std::string_view resp = error_response(e);
    FCHECK(!resp.empty());
    int st = error_status(e);
    FCHECK(st == 400 || st == 413 || st == 414 || st == 431 || st == 501 || st == 505);
    FCHECK(resp.substr(9, 3) == std::to_string(st));
    return;
  }
  ++g_head_ok;
  FCHECK(same_head(h, h2));
  std::string_view s((const char*)data, len);

  // framing of the head
  FCHECK(h.head_len <= len && h.head_len <= lim.max_head_bytes && h.head_len >= 16);  // "A / HTTP/1.0\r\n\r\n"
  FCHECK(s.substr(h.head_len - 4, 4) == "\r\n\r\n");
  // leading empty lines, then no CRLFCRLF before the terminator
  for (size_t i = 0; i < h.method_off; i += 2) FCHECK(data[i] == '\r' && data[i + 1] == '\n');
  FCHECK(s.substr(h.method_off, h.head_len - h.method_off).find("\r\n\r\n") == h.head_len - 4 - h.method_off);
  for (size_t i = 0; i < h.head_len; ++i) {
    uint8_t c = data[i];
    FCHECK(c != 0);
    if (c == '\r') FCHECK(i + 1 < h.head_len && data[i + 1] == '\n');
    if (c == '\n') FCHECK(i > 0 && data[i - 1] == '\r');
    if (c < 0x20 && c != '\r' && c != '\n') FCHECK(c == '\t');
  }
  // request line
  FCHECK(h.method_off % 2 == 0 && h.method_off <= 16);
  FCHECK(h.method_len > 0 && h.method_off + h.method_len < h.target_off);
  for (size_t i = 0; i < h.method_len; ++i) FCHECK(is_tchar(data[h.method_off + i]));
  FCHECK(data[h.method_off + h.method_len] == ' ' && h.target_off == h.method_off + h.method_len + 1);
  FCHECK(h.target_len > 0 && h.target_len <= lim.max_url_bytes);
  for (size_t i = 0; i < h.target_len; ++i) FCHECK(data[h.target_off + i] >= 0x21 && data[h.target_off + i] <= 0x7e);
  FCHECK(h.version_minor <= 1);
  std::string_view ver = s.substr(h.target_off + h.target_len, 11);
  // 1.0 is 1.0; any higher 1.x minor is served as 1.1
  FCHECK(ver.substr(0, 8) == " HTTP/1." && ver.substr(9) == "\r\n" && (ver[8] == '0') == (h.version_minor == 0));
  // fields
  FCHECK(h.field_count <= lim.max_headers);
  size_t expect_off = h.target_off + h.target_len + 11;
  bool host = false, cl = false, te = false;
  for (uint32_t f = 0; f < h.field_count; ++f) {
    const Field& fd = fields[f];
    FCHECK(fd.name_off == expect_off);
    FCHECK(fd.name_len > 0 && fd.name_off + fd.name_len < h.head_len);
    FCHECK(fd.value_off > fd.name_off + fd.name_len && fd.value_off + fd.value_len <= h.head_len - 4);
    for (size_t i = 0; i < fd.name_len; ++i) FCHECK(is_tchar(data[fd.name_off + i]));
    FCHECK(data[fd.name_off + fd.name_len] == ':');
    for (size_t i = fd.name_off + fd.name_len + 1; i < fd.value_off; ++i) FCHECK(data[i] == ' ' || data[i] == '\t');
    for (size_t i = 0; i < fd.value_len; ++i) FCHECK(is_value_byte(data[fd.value_off + i]));
    if (fd.value_len) {
      uint8_t first = data[fd.value_off], last = data[fd.value_off + fd.value_len - 1];
      FCHECK(first != ' ' && first != '\t' && last != ' ' && last != '\t');
    }
    size_t end = fd.value_off + fd.value_len;
    while (data[end] == ' ' || data[end] == '\t') ++end;
    FCHECK(data[end] == '\r' && data[end + 1] == '\n');
    expect_off = end + 2;
    std::string_view name = s.substr(fd.name_off, fd.name_len);
    if (ieq(name, "host")) {
      FCHECK(!host);
      host = true;
    }
    cl |= ieq(name, "content-length");
    te |= ieq(name, "transfer-encoding");
  }
  FCHECK(expect_off + 2 == h.head_len);
  if (h.version_minor == 1) FCHECK(host);
  // framing semantics
  FCHECK(h.content_length >= -1 && (h.content_length < 0 || (uint64_t)h.content_length <= lim.max_body_bytes));
  FCHECK(cl == (h.content_length >= 0));
  FCHECK(te == h.chunked);
  FCHECK(!(h.chunked && h.content_length >= 0));
  if (h.chunked) FCHECK(h.version_minor == 1);
  if (h.version_minor == 0) FCHECK(!h.upgrade && !h.expect_continue);

  // exactly the head gives the same answer; one byte less never succeeds
  RequestHead h3;
  std::vector<Field> fields3;
  FCHECK(parse_exact(data, h.head_len, lim, h3, fields3) == ParseError::None);
  FCHECK(same_head(h, h3));
  for (uint32_t f = 0; f < h.field_count; ++f) FCHECK(std::memcmp(&fields[f], &fields3[f], sizeof(Field)) == 0);
  RequestHead h4;
  FCHECK(parse_exact(data, h.head_len - 1, lim, h4, fields3) != ParseError::None);

  if (h.chunked) check_chunked(data + h.head_len, len - h.head_len, lim.max_body_bytes);
}

Limits small_limits() {
  Limits l;
  l.max_head_bytes = 160;
  l.max_headers = 5;
  l.max_url_bytes = 24;
  l.max_body_bytes = 40;
  return l;
}

void check_all(const uint8_t* data, size_t len) {
  g_input.assign((const char*)data, len);
  check_head(data, len, Limits{});
  check_head(data, len, small_limits());
  std::vector<uint8_t> copy(data, data + len);  // exactly sized
  check_chunked(copy.data(), len, 1 << 20);
  check_chunked(copy.data(), len, 40);
}

// ---- corpus and mutator -----------------------------------------------------

const char* const kSeeds[] = {
    "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
    "GET /index.html?q=1&r=%20 HTTP/1.1\r\nHost: localhost:3000\r\nUser-Agent: fuzz/1.0\r\nAccept: */*\r\n\r\n",
    "\r\nGET / HTTP/1.0\r\n\r\n",
    "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    "POST /submit HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello",
    "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
    "a;ext=1;q=\"x\\\"y\"\r\n0123456789\r\n1\r\nz\r\n0\r\nTrailer: v\r\n\r\nGET / HTTP/1.1\r\n",
    "PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 3\r\nExpect: 100-continue\r\n\r\nabc",
    "GET /chat HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
    "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
    "GET http://example.com/a HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: h\r\nX-Obs: caf\xc3\xa9\r\nX-Tab:\ta\tb \r\nX-Empty:\r\n\r\n",
    "GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n",
};

// chunked bodies on their own (for the decoder)
const char* const kBodySeeds[] = {
    "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
    "1;a=b;c=\"d e\"\r\nx\r\n0;last\r\nX-T: 1\r\nY: 2\r\n\r\nNEXT",
    "000F\r\n0123456789abcde\r\n0\r\n\r\n",
    "3 ; x = \"q\\\"\" ; y\r\nabc\r\n0\r\n\r\n",
    "28\r\n0123456789012345678901234567890123456789\r\n0\r\n\r\nGET / HTTP/1.1\r\n",
    "0\r\n\r\n",
};

const char* const kSnippets[] = {
    "\r\n",
    "\r",
    "\n",
    " ",
    "\t",
    ":",
    ",",
    ";",
    "\"",
    "\\",
    "=",
    "0",
    "f",
    "\r\n\r\n",
    "chunked",
    "identity",
    "Content-Length: 5\r\n",
    "Content-Length: 0\r\n",
    "Transfer-Encoding: chunked\r\n",
    "Transfer-Encoding: gzip, chunked\r\n",
    "Host: x\r\n",
    "Connection: close\r\n",
    "Connection: upgrade\r\n",
    "Upgrade: h2c\r\n",
    "HTTP/1.0",
    "HTTP/1.1",
    "HTTP/2.0",
    "ffffffffffffffff",
    "99999999999999999",
    "0\r\n\r\n",
    "5\r\nhello\r\n",
    "29\r\n",
    ";e=\"v\"",
    "Content-Length: 41\r\n",
    "Content-Length: 99999999999999999\r\n",
    " HTTP/1.1\r\n",
    "http://",
    "*",
    "%00",
    "\xff",
    "\x80",
    "\x7f",
};

struct Rng {
  uint64_t s;
  uint64_t next() {
    // splitmix64
    uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  size_t below(size_t n) { return n ? (size_t)(next() % n) : 0; }
};

uint8_t interesting_byte(Rng& r) {
  static const uint8_t k[] = {'\r', '\n', ' ',  '\t', ':',  ',', ';', '"', '\\',
                              '=',  0,    0x7f, 0x80, 0xff, '0', 'a', 'F', '/'};
  return r.below(2) ? k[r.below(sizeof k)] : (uint8_t)r.below(256);
}

void mutate(std::string& s, Rng& r, const std::vector<std::string>& corpus) {
  size_t rounds = 1 + r.below(4);
  for (size_t k = 0; k < rounds; ++k) {
    size_t n = s.size();
    switch (r.below(9)) {
      case 0:  // bit flip
        if (n) s[r.below(n)] ^= (char)(1u << r.below(8));
        break;
      case 1:  // set byte
        if (n) s[r.below(n)] = (char)interesting_byte(r);
        break;
      case 2:  // insert byte
        s.insert(s.begin() + (ptrdiff_t)r.below(n + 1), (char)interesting_byte(r));
        break;
      case 3:  // insert snippet
        s.insert(r.below(n + 1), kSnippets[r.below(sizeof kSnippets / sizeof kSnippets[0])]);
        break;
      case 4:  // delete range
        if (n) {
          size_t at = r.below(n);
          s.erase(at, 1 + r.below(std::min<size_t>(8, n - at)));
        }
        break;
      case 5:  // truncate
        s.resize(r.below(n + 1));
        break;
      case 6: {  // splice: our prefix + another seed's suffix
        const std::string& o = corpus[r.below(corpus.size())];
        size_t cut = r.below(n + 1), from = r.below(o.size() + 1);
        s = s.substr(0, cut) + o.substr(from);
        break;
      }
      case 7:  // duplicate a range (repeated fields, repeated lines)
        if (n) {
          size_t at = r.below(n), len = 1 + r.below(std::min<size_t>(48, n - at));
          s.insert(at, s.substr(at, len));
        }
        break;
      case 8:  // swap two bytes
        if (n > 1) std::swap(s[r.below(n)], s[r.below(n)]);
        break;
    }
  }
  if (s.size() > 4096) s.resize(4096);
}

}  // namespace

#ifdef RINGSIDE_LIBFUZZER
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  check_all(data, size);
  return 0;
}
#else
int main(int argc, char** argv) {
  size_t iterations = argc > 1 ? std::strtoull(argv[1], nullptr, 0) : 200000;
  uint64_t seed = argc > 2 ? std::strtoull(argv[2], nullptr, 0) : 0x5eed;
  Rng rng{seed};
  g_rng_split = seed | 1;

  std::vector<std::string> corpus;
  for (const char* s : kSeeds) corpus.emplace_back(s);
  // the seeds themselves must pass (or decode) untouched
  for (const std::string& s : corpus) check_all((const uint8_t*)s.data(), s.size());

  std::vector<std::string> bodies;
  for (const char* s : kBodySeeds) bodies.emplace_back(s);
  for (const std::string& s : bodies) check_all((const uint8_t*)s.data(), s.size());

  // Two thirds of the mutations go to whole requests, one third to bare
  // chunked bodies. Mutants that still parse join a small pool, so mutations
  // stack up.
  std::vector<std::string> pool = corpus, body_pool = bodies;
  std::string cur;
  for (size_t it = 0; it < iterations; ++it) {
    const bool body = it % 3 == 2;
    std::vector<std::string>& from = body ? body_pool : pool;
    cur = from[rng.below(from.size())];
    mutate(cur, rng, body ? bodies : corpus);
    size_t before = body ? g_chunked_done : g_head_ok;
    check_all((const uint8_t*)cur.data(), cur.size());
    size_t after = body ? g_chunked_done : g_head_ok;
    if (after != before && from.size() < 512 && rng.below(4) == 0) from.push_back(cur);
  }

  std::printf("fuzz: seed=0x%llx mutations=%zu head checks=%zu (accepted %zu) chunked checks=%zu (done %zu)\n",
              (unsigned long long)seed, iterations, g_head_checks, g_head_ok, g_chunked_checks, g_chunked_done);
  std::printf("fuzz: outcomes:");
  const char* names[] = {"None",           "BadRequest",   "BadVersion", "UriTooLong", "HeadTooLarge",
                         "TooManyHeaders", "BodyTooLarge", "Smuggling",  "BadChunk",   "NotImplemented"};
  for (size_t i = 0; i < (size_t)ParseError::Count; ++i) std::printf(" %s=%zu", names[i], g_err_counts[i]);
  std::printf("\nfuzz: chunked outcomes: done=%zu BadChunk=%zu BodyTooLarge=%zu\nfuzz: ok\n", g_chunked_done,
              g_chunked_bad, g_chunked_too_large);
  return 0;
}
#endif
