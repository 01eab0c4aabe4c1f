// Unit tests for the strict HTTP/1.1 parser (src/http_parser.{h,cc}).
// No framework: CHECK records a failure and goes on; main prints a summary
// and exits non-zero if anything failed. Built and run by test/parser.test.ts:
//   g++ -std=c++20 -O1 -g -fsanitize=address,undefined -Isrc
//       test/parser/parser_test.cc src/http_parser.cc
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "http_parser.h"

using namespace ringside::http;

namespace ringside::http {
struct ChunkedDecoderTestAccess {
  static constexpr uint32_t max_size_line = ChunkedDecoder::kMaxSizeLine;
  static constexpr uint32_t max_trailer_bytes = ChunkedDecoder::kMaxTrailerBytes;
  static constexpr uint32_t max_trailer_fields = ChunkedDecoder::kMaxTrailerFields;
};
}  // namespace ringside::http
using Access = ringside::http::ChunkedDecoderTestAccess;

static int g_checks = 0, g_failures = 0, g_tests = 0;
static const char* g_current = "";

#define CHECK(cond)                                                                        \
  do {                                                                                     \
    ++g_checks;                                                                            \
    if (!(cond)) {                                                                         \
      ++g_failures;                                                                        \
      std::fprintf(stderr, "FAIL [%s] %s:%d: %s\n", g_current, __FILE__, __LINE__, #cond); \
    }                                                                                      \
  } while (0)

static const char* err_name(ParseError e) {
  switch (e) {
    case ParseError::None: return "None";
    case ParseError::BadRequest: return "BadRequest";
    case ParseError::BadVersion: return "BadVersion";
    case ParseError::UriTooLong: return "UriTooLong";
    case ParseError::HeadTooLarge: return "HeadTooLarge";
    case ParseError::TooManyHeaders: return "TooManyHeaders";
    case ParseError::BodyTooLarge: return "BodyTooLarge";
    case ParseError::Smuggling: return "Smuggling";
    case ParseError::BadChunk: return "BadChunk";
    case ParseError::NotImplemented: return "NotImplemented";
    default: return "?";
  }
}

#define CHECK_ERR(actual, expected)                                                                           \
  do {                                                                                                        \
    ++g_checks;                                                                                               \
    ParseError a_ = (actual), e_ = (expected);                                                                \
    if (a_ != e_) {                                                                                           \
      ++g_failures;                                                                                           \
      std::fprintf(stderr, "FAIL [%s] %s:%d: got %s, want %s\n", g_current, __FILE__, __LINE__, err_name(a_), \
                   err_name(e_));                                                                             \
    }                                                                                                         \
  } while (0)

#define TEST(name)                                 \
  static void test_##name();                       \
  struct Reg_##name {                              \
    Reg_##name() { add_test(#name, test_##name); } \
  } reg_##name;                                    \
  static void test_##name()

struct TestCase {
  const char* name;
  void (*fn)();
};
static std::vector<TestCase>& tests() {
  static std::vector<TestCase> t;
  return t;
}
static void add_test(const char* name, void (*fn)()) { tests().push_back({name, fn}); }

// ---- helpers ---------------------------------------------------------------

struct Parsed {
  ParseError err;
  RequestHead head;
  std::vector<Field> fields;
  std::string buf;
  std::string_view method() const { return std::string_view(buf).substr(head.method_off, head.method_len); }
  std::string_view target() const { return std::string_view(buf).substr(head.target_off, head.target_len); }
  std::string_view name(size_t i) const { return std::string_view(buf).substr(fields[i].name_off, fields[i].name_len); }
  std::string_view value(size_t i) const {
    return std::string_view(buf).substr(fields[i].value_off, fields[i].value_len);
  }
};

// Parses `s` from an exactly-sized heap copy (so ASan sees any overread).
static Parsed parse(std::string_view s, const Limits& lim = Limits{}) {
  Parsed r;
  r.buf.assign(s);
  std::vector<uint8_t> copy(s.begin(), s.end());
  std::vector<Field> fields(lim.max_headers ? lim.max_headers : 1);
  r.err = parse_request_head(copy.empty() ? nullptr : copy.data(), copy.size(), lim, r.head, fields.data());
  if (r.err == ParseError::None) fields.resize(r.head.field_count);
  r.fields = fields;
  return r;
}
static ParseError perr(std::string_view s, const Limits& lim = Limits{}) { return parse(s, lim).err; }

// "METHOD target HTTP/1.1\r\nHost: x\r\n" + extra + "\r\n"
static std::string req(std::string_view extra, std::string_view line = "GET / HTTP/1.1") {
  std::string s(line);
  s += "\r\nHost: example.com\r\n";
  s += extra;
  s += "\r\n";
  return s;
}

struct Decoded {
  ParseError err = ParseError::None;
  bool done = false;
  size_t consumed = 0;  // absolute offset where decoding stopped
  std::string data;
  size_t calls = 0;
};

// Feeds `in` in pieces of `step` bytes (0 = all at once).
static Decoded decode(std::string_view in, size_t step = 0, uint64_t max_body = 1 << 20) {
  ChunkedDecoder d(max_body);
  Decoded out;
  std::vector<uint8_t> copy(in.begin(), in.end());
  size_t pos = 0;
  if (step == 0) step = in.size() ? in.size() : 1;
  for (;;) {
    size_t n = std::min(step, copy.size() - pos);
    auto r = d.feed(copy.data() + pos, n, [&](const uint8_t* p, size_t k) {
      CHECK(k > 0);
      CHECK(p >= copy.data() && p + k <= copy.data() + copy.size());
      out.data.append((const char*)p, k);
      ++out.calls;
    });
    CHECK(r.consumed <= n);
    out.consumed = pos + r.consumed;
    if (r.error != ParseError::None) {
      out.err = r.error;
      CHECK(!r.done);
      return out;
    }
    if (r.done) {
      out.done = true;
      return out;
    }
    CHECK(r.consumed == n);
    pos += n;
    if (pos >= copy.size()) return out;
  }
}

// Decodes all at once and one byte at a time; checks both agree.
static Decoded decode_both(std::string_view in, uint64_t max_body = 1 << 20) {
  Decoded a = decode(in, 0, max_body);
  Decoded b = decode(in, 1, max_body);
  Decoded c = decode(in, 3, max_body);
  CHECK(a.err == b.err && a.done == b.done && a.consumed == b.consumed && a.data == b.data);
  CHECK(a.err == c.err && a.done == c.done && a.consumed == c.consumed && a.data == c.data);
  return a;
}

// ---- request line ------------------------------------------------------------

TEST(simple_get) {
  auto p = parse("GET /hello?x=1 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n");
  CHECK_ERR(p.err, ParseError::None);
  CHECK(p.method() == "GET");
  CHECK(p.target() == "/hello?x=1");
  CHECK(p.head.version_minor == 1);
  CHECK(p.head.field_count == 2);
  CHECK(p.name(0) == "Host" && p.value(0) == "example.com");
  CHECK(p.name(1) == "Accept" && p.value(1) == "*/*");
  CHECK(p.head.keep_alive);
  CHECK(!p.head.chunked && !p.head.upgrade && !p.head.expect_continue);
  CHECK(p.head.content_length == -1);
  CHECK(p.head.head_len == p.buf.size());
}

TEST(post_with_body_and_pipelining) {
  std::string a = "POST /submit HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n";
  std::string all = a + "hello" + "GET /next HTTP/1.1\r\nHost: h\r\n\r\n";
  auto p = parse(all);
  CHECK_ERR(p.err, ParseError::None);
  CHECK(p.method() == "POST");
  CHECK(p.head.content_length == 5);
  CHECK(p.head.head_len == a.size());
  auto q = parse(std::string_view(all).substr(a.size() + 5));
  CHECK_ERR(q.err, ParseError::None);
  CHECK(q.target() == "/next");
  // Two heads back to back: the parser stops at the first CRLFCRLF.
  std::string two = "GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n";
  auto r = parse(two);
  CHECK_ERR(r.err, ParseError::None);
  CHECK(r.target() == "/a");
  CHECK(r.head.head_len == two.size() / 2);
  CHECK(r.head.field_count == 1);
}

TEST(methods) {
  for (const char* m :
       {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "PROPFIND", "X-CUSTOM!#$%&'*+-.^_`|~"}) {
    auto p = parse(req("", std::string(m) + " / HTTP/1.1"));
    CHECK_ERR(p.err, ParseError::None);
    CHECK(p.method() == m);
  }
  CHECK_ERR(perr(req("", "G@T / HTTP/1.1")), ParseError::BadRequest);
  CHECK_ERR(perr(req("", "GE(T / HTTP/1.1")), ParseError::BadRequest);
  CHECK_ERR(perr(req("", " GET / HTTP/1.1")), ParseError::BadRequest);
  CHECK_ERR(perr(req("", "/ HTTP/1.1")), ParseError::BadRequest);
  CHECK_ERR(perr(req("", "GET\t/ HTTP/1.1")), ParseError::BadRequest);
}

TEST(request_line_spacing) {
  CHECK_ERR(perr(req("", "GET  / HTTP/1.1")), ParseError::BadRequest);
  CHECK_ERR(perr(req("", "GET /  HTTP/1.1")), ParseError::BadRequest);
  CHECK_ERR(perr(req("", "GET / HTTP/1.1 ")), ParseError::BadRequest);
  CHECK_ERR(perr(req("", "GET /")), ParseError::BadRequest);
  CHECK_ERR(perr(req("", "GET / ")), ParseError::BadRequest);
  CHECK_ERR(perr(req("", "GET")), ParseError::BadRequest);
  CHECK_ERR(perr("\r\n\r\n"), ParseError::BadRequest);
}

// check_partial_head: what can never become a head is refused before its end arrives.
static ParseError partial(std::string_view s, size_t from = 0) {
  static Field fields[256];
  return check_partial_head((const uint8_t*)s.data(), s.size(), from, Limits{}, fields);
}

TEST(partial_heads) {
  CHECK_ERR(partial("GET / HT"), ParseError::None);
  CHECK_ERR(partial("GET / HTTP/1.1\r\nHost: a\r\nX-A: b"), ParseError::None);
  CHECK_ERR(partial("GET / HTTP/1.1\r"), ParseError::None);
  CHECK_ERR(partial("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"), ParseError::BadRequest);  // TLS ClientHello
  CHECK_ERR(partial("SSH-2.0-OpenSSH_9.2p1 Debian\r\n"), ParseError::BadRequest);
  CHECK_ERR(partial("GET / HTTP/1.1\nHost: a\n"), ParseError::BadRequest);     // bare LF
  CHECK_ERR(partial("GET / HTTP/1.1\r\nHost: a\rX"), ParseError::BadRequest);  // bare CR
  CHECK_ERR(partial("GET / HTTP/1.1\r\nHost: a\r\nX: \x01"), ParseError::BadRequest);
  CHECK_ERR(partial("GET / HTTP/1.1\r\nHost: a\rX", 24), ParseError::BadRequest);  // the CR ended the last call
  CHECK_ERR(partial("GET / HTTP/3.0\r\n"), ParseError::BadVersion);
  CHECK_ERR(partial("G@T / HTTP/1.1\r\n"), ParseError::BadRequest);
}

TEST(versions) {
  auto p = parse("GET / HTTP/1.0\r\n\r\n");
  CHECK_ERR(p.err, ParseError::None);
  CHECK(p.head.version_minor == 0);
  CHECK(!p.head.keep_alive);
  CHECK_ERR(perr(req("", "GET / HTTP/2.0")), ParseError::BadVersion);
  {
    // A higher 1.x minor is served as 1.1 (RFC 9110 §2.5).
    auto q = parse("GET / HTTP/1.2\r\nHost: a\r\n\r\n");
    CHECK_ERR(q.err, ParseError::None);
    CHECK(q.head.version_minor == 1);
    CHECK(q.head.keep_alive);
  }
  CHECK_ERR(perr(req("", "GET / HTTP/0.9")), ParseError::BadVersion);
  CHECK_ERR(perr(req("", "GET / HTTP/3")), ParseError::BadVersion);
  CHECK_ERR(perr(req("", "GET / HTTP/2")), ParseError::BadVersion);
  CHECK_ERR(perr(req("", "GET / http/1.1")), ParseError::BadRequest);
  CHECK_ERR(perr(req("", "GET / HTTP/1.1.1")), ParseError::BadRequest);
  CHECK_ERR(perr(req("", "GET / HTTP/11")), ParseError::BadRequest);
  CHECK_ERR(perr(req("", "GET / HTTP/1.x")), ParseError::BadRequest);
  CHECK_ERR(perr(req("", "GET / HTTP/10.0")), ParseError::BadRequest);
  CHECK_ERR(perr(req("", "GET / HTTPS/1.1")), ParseError::BadRequest);
  CHECK_ERR(perr(req("", "GET / HTTP/1.")), ParseError::BadRequest);
  CHECK_ERR(perr(req("", "GET / HTTP")), ParseError::BadRequest);
  CHECK_ERR(perr(req("", "GET / HTTP/1.1\t")), ParseError::BadRequest);
}

TEST(targets) {
  auto p = parse(req("", "GET http://example.com/a?b HTTP/1.1"));
  CHECK_ERR(p.err, ParseError::None);
  CHECK(p.target() == "http://example.com/a?b");
  CHECK_ERR(perr(req("", "GET HTTPS://example.com HTTP/1.1")), ParseError::None);
  CHECK_ERR(perr(req("", "GET https://example.com:8443/x HTTP/1.1")), ParseError::None);
  CHECK_ERR(perr(req("", "GET http:// HTTP/1.1")), ParseError::BadRequest);
  CHECK_ERR(perr(req("", "GET http:///path HTTP/1.1")), ParseError::BadRequest);
  CHECK_ERR(perr(req("", "GET ftp://example.com/ HTTP/1.1")), ParseError::BadRequest);
  CHECK_ERR(perr(req("", "GET example.com/ HTTP/1.1")), ParseError::BadRequest);
  // asterisk-form: OPTIONS only
  auto o = parse(req("", "OPTIONS * HTTP/1.1"));
  CHECK_ERR(o.err, ParseError::None);
  CHECK(o.target() == "*");
  CHECK_ERR(perr(req("", "GET * HTTP/1.1")), ParseError::BadRequest);
  CHECK_ERR(perr(req("", "OPTIONS *x HTTP/1.1")), ParseError::BadRequest);
  CHECK_ERR(perr(req("", "OPTIONS /x HTTP/1.1")), ParseError::None);
  // authority-form: CONNECT only, and CONNECT only with it
  auto c = parse(req("", "CONNECT example.com:443 HTTP/1.1"));
  CHECK_ERR(c.err, ParseError::None);
  CHECK(c.target() == "example.com:443");
  CHECK_ERR(perr(req("", "CONNECT [::1]:8080 HTTP/1.1")), ParseError::None);
  CHECK_ERR(perr(req("", "CONNECT example.com HTTP/1.1")), ParseError::BadRequest);
  CHECK_ERR(perr(req("", "CONNECT example.com: HTTP/1.1")), ParseError::BadRequest);
  CHECK_ERR(perr(req("", "CONNECT :443 HTTP/1.1")), ParseError::BadRequest);
  CHECK_ERR(perr(req("", "CONNECT example.com:44a HTTP/1.1")), ParseError::BadRequest);
  CHECK_ERR(perr(req("", "CONNECT example.com:123456 HTTP/1.1")), ParseError::BadRequest);
  CHECK_ERR(perr(req("", "CONNECT / HTTP/1.1")), ParseError::BadRequest);
  CHECK_ERR(perr(req("", "CONNECT user@example.com:443 HTTP/1.1")), ParseError::BadRequest);
  CHECK_ERR(perr(req("", "GET example.com:443 HTTP/1.1")), ParseError::BadRequest);
  // visible ASCII only
  CHECK_ERR(perr(req("", "GET /a\"<>{}|\\^` HTTP/1.1")), ParseError::None);
  CHECK_ERR(perr(req("", "GET /a\x7f HTTP/1.1")), ParseError::BadRequest);
  CHECK_ERR(perr(req("", "GET /caf\xc3\xa9 HTTP/1.1")), ParseError::BadRequest);
  CHECK_ERR(perr(req("", "GET /a\x01 HTTP/1.1")), ParseError::BadRequest);
  CHECK_ERR(perr(req("", std::string("GET /a\0b HTTP/1.1", 17))), ParseError::BadRequest);
  CHECK_ERR(perr(req("", "GET /a\tb HTTP/1.1")), ParseError::BadRequest);
  CHECK_ERR(perr(req("", "GET /a\rb HTTP/1.1")), ParseError::BadRequest);
  // a long target exercises the 8-byte fast path; a bad byte at every position
  std::string longt = "/" + std::string(100, 'a');
  CHECK_ERR(perr(req("", "GET " + longt + " HTTP/1.1")), ParseError::None);
  for (size_t i = 1; i < longt.size(); ++i) {
    for (char bad : {'\x80', '\x7f', '\x00', '\x1f', '\xff'}) {
      std::string t = longt;
      t[i] = bad;
      CHECK_ERR(perr(req("", "GET " + t + " HTTP/1.1")), ParseError::BadRequest);
    }
  }
}

TEST(uri_limit) {
  Limits lim;
  lim.max_url_bytes = 64;
  std::string at = "/" + std::string(63, 'u');
  auto p = parse(req("", "GET " + at + " HTTP/1.1"), lim);
  CHECK_ERR(p.err, ParseError::None);
  CHECK(p.head.target_len == 64);
  CHECK_ERR(perr(req("", "GET " + at + "u HTTP/1.1"), lim), ParseError::UriTooLong);
  // default limit 8 KiB
  std::string big = "/" + std::string(8 * 1024 - 1, 'u');
  CHECK_ERR(perr(req("", "GET " + big + " HTTP/1.1")), ParseError::None);
  CHECK_ERR(perr(req("", "GET " + big + "x HTTP/1.1")), ParseError::UriTooLong);
  // a huge target in an oversized partial head is still a 414
  Limits small;
  small.max_url_bytes = 100;
  small.max_head_bytes = 200;
  CHECK_ERR(perr("GET /" + std::string(300, 'a'), small), ParseError::UriTooLong);
}

TEST(leading_crlf) {
  std::string r = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
  auto p = parse("\r\n\r\n" + r);
  CHECK_ERR(p.err, ParseError::None);
  CHECK(p.head.method_off == 4);
  CHECK(p.method() == "GET");
  CHECK(p.head.head_len == r.size() + 4);
  std::string eight, nine;
  for (int i = 0; i < 8; ++i) eight += "\r\n";
  nine = eight + "\r\n";
  CHECK_ERR(perr(eight + r), ParseError::None);
  CHECK_ERR(perr(nine + r), ParseError::BadRequest);
  CHECK_ERR(perr("\n" + r), ParseError::BadRequest);
  CHECK_ERR(perr("\r" + r), ParseError::BadRequest);
  CHECK_ERR(perr(" \r\n" + r), ParseError::BadRequest);
  // skipped lines count towards the head limit
  Limits lim;
  lim.max_head_bytes = (uint32_t)r.size() + 2;
  CHECK_ERR(perr("\r\n" + r, lim), ParseError::None);
  CHECK_ERR(perr("\r\n\r\n" + r, lim), ParseError::HeadTooLarge);
}

// ---- line endings and field syntax --------------------------------------------

TEST(line_endings) {
  CHECK_ERR(perr("GET / HTTP/1.1\nHost: h\r\n\r\n"), ParseError::BadRequest);
  CHECK_ERR(perr("GET / HTTP/1.1\r\nHost: h\n\r\n"), ParseError::BadRequest);
  CHECK_ERR(perr("GET / HTTP/1.1\r\nHost: h\r\n\n"), ParseError::BadRequest);
  CHECK_ERR(perr("GET / HTTP/1.1\r\nHost: h\r\n\r\r\n"), ParseError::BadRequest);
  CHECK_ERR(perr("GET / HTTP/1.1\rHost: h\r\n\r\n"), ParseError::BadRequest);
  CHECK_ERR(perr("GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n"), ParseError::BadRequest);
  CHECK_ERR(perr("GET / HTTP/1.1\r\nA: b\nc\r\nHost: h\r\n\r\n"), ParseError::BadRequest);
  CHECK_ERR(perr("GET / HTTP/1.1\n\n"), ParseError::BadRequest);
  CHECK_ERR(perr("GET / HTTP/1.1\r\nHost: h\n\n"), ParseError::BadRequest);
}

TEST(fields) {
  auto p = parse(req("X-Empty:\r\nX-Ows: \t value with  spaces \t \r\nX-Obs: caf\xc3\xa9\r\nx-tab:\ta\tb\t\r\n"));
  CHECK_ERR(p.err, ParseError::None);
  CHECK(p.head.field_count == 5);
  CHECK(p.name(1) == "X-Empty" && p.value(1).empty());
  CHECK(p.value(2) == "value with  spaces");
  CHECK(p.value(3) == "caf\xc3\xa9");
  CHECK(p.value(4) == "a\tb");
  // field offsets point into the head
  for (size_t i = 0; i < p.fields.size(); ++i) {
    CHECK(p.fields[i].name_off + p.fields[i].name_len <= p.head.head_len);
    CHECK(p.fields[i].value_off + p.fields[i].value_len <= p.head.head_len);
  }
  // an empty value points at the right place (not past the head)
  auto e = parse(req("A:\r\n"));
  CHECK_ERR(e.err, ParseError::None);
  CHECK(e.value(1).empty());
  auto w = parse(req("A:   \r\n"));
  CHECK_ERR(w.err, ParseError::None);
  CHECK(w.value(1).empty());
}

TEST(field_errors) {
  CHECK_ERR(perr(req("X-Foo : bar\r\n")), ParseError::BadRequest);             // space before colon
  CHECK_ERR(perr(req("X-Foo\t: bar\r\n")), ParseError::BadRequest);            // tab before colon
  CHECK_ERR(perr(req("X-Foo: bar\r\n  folded\r\n")), ParseError::BadRequest);  // obs-fold
  CHECK_ERR(perr(req("X-Foo: bar\r\n\tfolded\r\n")), ParseError::BadRequest);
  CHECK_ERR(perr("GET / HTTP/1.1\r\n Host: h\r\n\r\n"), ParseError::BadRequest);  // ws before first field
  CHECK_ERR(perr(req(": novalue\r\n")), ParseError::BadRequest);                  // empty name
  CHECK_ERR(perr(req("X Foo: bar\r\n")), ParseError::BadRequest);
  CHECK_ERR(perr(req("X@Foo: bar\r\n")), ParseError::BadRequest);
  CHECK_ERR(perr(req("X-Foo bar\r\n")), ParseError::BadRequest);  // no colon
  CHECK_ERR(perr(req("X-Foo\r\n")), ParseError::BadRequest);
  CHECK_ERR(perr(req(std::string("X-Foo: a\0b\r\n", 12))), ParseError::BadRequest);  // NUL in value
  CHECK_ERR(perr(req(std::string("X-F\0oo: ab\r\n", 12))), ParseError::BadRequest);  // NUL in name
  CHECK_ERR(perr(req("X-Foo: a\x01"
                     "b\r\n")),
            ParseError::BadRequest);
  CHECK_ERR(perr(req("X-Foo: a\x7f"
                     "b\r\n")),
            ParseError::BadRequest);  // DEL
  CHECK_ERR(perr(req("X-Foo: a\x1b"
                     "b\r\n")),
            ParseError::BadRequest);
  CHECK_ERR(perr(req("X-Foo: a\x0b"
                     "b\r\n")),
            ParseError::BadRequest);
  CHECK_ERR(perr(req("X-Foo: a\x0c"
                     "b\r\n")),
            ParseError::BadRequest);
  // bad bytes at every position of a long value (fast path and tail)
  std::string v(40, 'v');
  for (size_t i = 0; i < v.size(); ++i) {
    for (char bad : {'\0', '\x7f', '\x01', '\n', '\r', '\x1f'}) {
      std::string t = v;
      t[i] = bad;
      CHECK_ERR(perr(req("X-Long: " + t + "\r\n")), ParseError::BadRequest);
    }
    for (char ok : {'\t', ' ', '\x80', '\xff', '~', '!'}) {
      std::string t = v;
      t[i] = ok;
      CHECK_ERR(perr(req("X-Long: " + t + "\r\n")), ParseError::None);
    }
  }
}

TEST(head_limit) {
  std::string base = "GET / HTTP/1.1\r\nHost: h\r\nX-Pad: ";
  Limits lim;
  lim.max_head_bytes = 256;
  std::string pad(256 - base.size() - 4, 'p');
  std::string at = base + pad + "\r\n\r\n";
  CHECK(at.size() == 256);
  auto p = parse(at, lim);
  CHECK_ERR(p.err, ParseError::None);
  CHECK(p.head.head_len == 256);
  std::string over = base + pad + "p\r\n\r\n";
  CHECK_ERR(perr(over, lim), ParseError::HeadTooLarge);
  // a complete head at the limit followed by more bytes is fine
  CHECK_ERR(perr(at + "GET / HTTP/1.1\r\n", lim), ParseError::None);
  // no terminator: oversized → 431, under the limit → 400 (contract violation)
  CHECK_ERR(perr(base + std::string(400, 'p'), lim), ParseError::HeadTooLarge);
  CHECK_ERR(perr(std::string_view(at).substr(0, 256 - 1), lim), ParseError::BadRequest);
  CHECK_ERR(perr(std::string_view(over).substr(0, 256), lim), ParseError::HeadTooLarge);
  CHECK_ERR(perr("GET / HTTP/1.1\r\nHost: h\r\n"), ParseError::BadRequest);
  CHECK_ERR(perr("GET / HTTP/1.1\r\nHost: h\r\n\r"), ParseError::BadRequest);
  CHECK_ERR(perr(""), ParseError::BadRequest);
  // default limit 16 KiB
  std::string dflt = base + std::string(16 * 1024 - base.size() - 4, 'p') + "\r\n\r\n";
  CHECK_ERR(perr(dflt), ParseError::None);
  std::string dover = base + std::string(16 * 1024 - base.size() - 3, 'p') + "\r\n\r\n";
  CHECK_ERR(perr(dover), ParseError::HeadTooLarge);
  // every truncation of a valid head under the limit is refused, never accepted
  std::string full = req("Content-Length: 3\r\nConnection: keep-alive\r\n", "POST /x HTTP/1.1");
  for (size_t n = 0; n < full.size(); ++n) CHECK(perr(std::string_view(full).substr(0, n)) != ParseError::None);
}

TEST(header_count_limit) {
  Limits lim;
  lim.max_headers = 10;
  std::string extra;
  for (int i = 0; i < 9; ++i) extra += "X-" + std::to_string(i) + ": v\r\n";  // + Host = 10
  auto p = parse(req(extra), lim);
  CHECK_ERR(p.err, ParseError::None);
  CHECK(p.head.field_count == 10);
  CHECK_ERR(perr(req(extra + "X-10: v\r\n"), lim), ParseError::TooManyHeaders);
  Limits zero;
  zero.max_headers = 0;
  CHECK_ERR(perr("GET / HTTP/1.0\r\n\r\n", zero), ParseError::None);
  CHECK_ERR(perr("GET / HTTP/1.0\r\nA: b\r\n\r\n", zero), ParseError::TooManyHeaders);
  // default 100
  std::string many;
  for (int i = 0; i < 99; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  CHECK_ERR(perr(req(many)), ParseError::None);
  CHECK_ERR(perr(req(many + "X-Last: v\r\n")), ParseError::TooManyHeaders);
}

TEST(host) {
  CHECK_ERR(perr("GET / HTTP/1.1\r\n\r\n"), ParseError::BadRequest);
  CHECK_ERR(perr("GET / HTTP/1.1\r\nX: y\r\n\r\n"), ParseError::BadRequest);
  CHECK_ERR(perr("GET / HTTP/1.0\r\n\r\n"), ParseError::None);
  CHECK_ERR(perr("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n"), ParseError::BadRequest);
  CHECK_ERR(perr("GET / HTTP/1.1\r\nHost: a\r\nhOST: b\r\n\r\n"), ParseError::BadRequest);
  CHECK_ERR(perr("GET / HTTP/1.1\r\nhost: a\r\n\r\n"), ParseError::None);
  CHECK_ERR(perr("GET / HTTP/1.1\r\nHOST: a\r\n\r\n"), ParseError::None);
  CHECK_ERR(perr("GET / HTTP/1.1\r\nHost:\r\n\r\n"), ParseError::None);  // empty Host is allowed
  CHECK_ERR(perr("GET / HTTP/1.1\r\nHost: localhost:3000\r\n\r\n"), ParseError::None);
  CHECK_ERR(perr("GET / HTTP/1.1\r\nHost: [::1]:3000\r\n\r\n"), ParseError::None);
  CHECK_ERR(perr("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), ParseError::BadRequest);
  CHECK_ERR(perr("GET / HTTP/1.1\r\nHost: a,b\r\n\r\n"), ParseError::BadRequest);
  CHECK_ERR(perr("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"), ParseError::BadRequest);
  CHECK_ERR(perr("GET / HTTP/1.1\r\nHost: user@a\r\n\r\n"), ParseError::BadRequest);
  CHECK_ERR(perr("GET / HTTP/1.1\r\nHost: caf\xc3\xa9\r\n\r\n"), ParseError::BadRequest);
  CHECK_ERR(perr("GET / HTTP/1.1\r\nHosts: a\r\n\r\n"), ParseError::BadRequest);  // not Host
}

// ---- Content-Length ---------------------------------------------------------------

TEST(content_length) {
  auto p = parse(req("Content-Length: 42\r\n", "POST / HTTP/1.1"));
  CHECK_ERR(p.err, ParseError::None);
  CHECK(p.head.content_length == 42);
  CHECK(parse(req("content-length: 0\r\n")).head.content_length == 0);
  CHECK(parse(req("CONTENT-LENGTH:   7  \r\n")).head.content_length == 7);
  CHECK(parse(req("Content-Length: 007\r\n")).head.content_length == 7);
  // identical repeats are one value (RFC 9110 §8.6)
  CHECK(parse(req("Content-Length: 5, 5\r\n")).head.content_length == 5);
  CHECK(parse(req("Content-Length: 5,5,5\r\n")).head.content_length == 5);
  CHECK(parse(req("Content-Length: 5\r\nContent-Length: 5\r\n")).head.content_length == 5);
  CHECK(parse(req("Content-Length: 5\r\nContent-Length: 05\r\n")).head.content_length == 5);
  // differing → smuggling
  CHECK_ERR(perr(req("Content-Length: 5, 6\r\n")), ParseError::Smuggling);
  CHECK_ERR(perr(req("Content-Length: 5\r\nContent-Length: 6\r\n")), ParseError::Smuggling);
  CHECK_ERR(perr(req("Content-Length: 0\r\nContent-Length: 100\r\n")), ParseError::Smuggling);
  // syntax
  for (const char* bad :
       {"+5", "-5", "5 5", "0x5", "5a", "", "5,", ",5", "5,,5", "5;", "five", "5.0", "1e3", "\"5\"", "5, ,5", "5\t6"}) {
    std::string v = std::string("Content-Length: ") + bad + "\r\n";
    CHECK_ERR(perr(req(v)), ParseError::BadRequest);
  }
  // size
  CHECK_ERR(perr(req("Content-Length: 1048576\r\n")), ParseError::None);
  CHECK_ERR(perr(req("Content-Length: 1048577\r\n")), ParseError::BodyTooLarge);
  Limits big;
  big.max_body_bytes = ~uint64_t{0};
  CHECK(parse(req("Content-Length: 999999999999999\r\n"), big).head.content_length == 999999999999999LL);
  CHECK_ERR(perr(req("Content-Length: 1000000000000000\r\n"), big), ParseError::BodyTooLarge);  // 16 digits
  CHECK_ERR(perr(req("Content-Length: 99999999999999999999999999999\r\n"), big), ParseError::BodyTooLarge);
  CHECK_ERR(perr(req("Content-Length: 18446744073709551617\r\n")), ParseError::BodyTooLarge);  // 2^64+1
  CHECK_ERR(perr(req("Content-Length: 18446744073709551616x\r\n")), ParseError::BadRequest);
  CHECK(parse(req("Content-Length: 0000000000000000000000001\r\n")).head.content_length == 1);
  Limits zero;
  zero.max_body_bytes = 0;
  CHECK_ERR(perr(req("Content-Length: 0\r\n"), zero), ParseError::None);
  CHECK_ERR(perr(req("Content-Length: 1\r\n"), zero), ParseError::BodyTooLarge);
}

// ---- Transfer-Encoding / smuggling ----------------------------------------------

TEST(transfer_encoding) {
  auto p = parse(req("Transfer-Encoding: chunked\r\n", "POST / HTTP/1.1"));
  CHECK_ERR(p.err, ParseError::None);
  CHECK(p.head.chunked);
  CHECK(p.head.content_length == -1);
  CHECK(parse(req("transfer-encoding: CHUNKED\r\n")).head.chunked);
  CHECK(parse(req("Transfer-Encoding:   Chunked   \r\n")).head.chunked);
  // smuggling variants
  CHECK_ERR(perr(req("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n")), ParseError::Smuggling);
  CHECK_ERR(perr(req("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n")), ParseError::Smuggling);
  CHECK_ERR(perr(req("Transfer-Encoding: chunked\r\nContent-Length: 0\r\n")), ParseError::Smuggling);
  CHECK_ERR(perr(req("Transfer-Encoding: chunked, identity\r\n")), ParseError::Smuggling);
  CHECK_ERR(perr(req("Transfer-Encoding: identity\r\n")), ParseError::Smuggling);
  CHECK_ERR(perr(req("Transfer-Encoding: gzip\r\n")), ParseError::Smuggling);
  CHECK_ERR(perr(req("Transfer-Encoding: chunked, chunked\r\n")), ParseError::Smuggling);
  CHECK_ERR(perr(req("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n")), ParseError::Smuggling);
  CHECK_ERR(perr(req("Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n")), ParseError::Smuggling);
  CHECK_ERR(perr(req("Transfer-Encoding:\r\n")), ParseError::Smuggling);
  CHECK_ERR(perr(req("Transfer-Encoding: chunked,\r\n")), ParseError::Smuggling);
  CHECK_ERR(perr(req("Transfer-Encoding: ,chunked\r\n")), ParseError::Smuggling);
  CHECK_ERR(perr(req("Transfer-Encoding: chunked;x=1\r\n")), ParseError::Smuggling);
  CHECK_ERR(perr(req("Transfer-Encoding: chunked chunked\r\n")), ParseError::Smuggling);
  CHECK_ERR(perr(req("Transfer-Encoding: \"chunked\"\r\n")), ParseError::Smuggling);
  CHECK_ERR(perr(req("Transfer-Encoding: xchunked\r\n")), ParseError::Smuggling);
  CHECK_ERR(perr(req("Transfer-Encoding: chunke\r\n")), ParseError::Smuggling);
  CHECK_ERR(perr(req("Transfer-Encoding: chunked\xff\r\n")), ParseError::Smuggling);
  CHECK_ERR(perr("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), ParseError::Smuggling);
  CHECK_ERR(perr("POST / HTTP/1.0\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"), ParseError::Smuggling);
  CHECK_ERR(perr(req("Transfer-Encoding : chunked\r\n")), ParseError::BadRequest);
  // codings before chunked: not implemented
  CHECK_ERR(perr(req("Transfer-Encoding: gzip, chunked\r\n")), ParseError::NotImplemented);
  CHECK_ERR(perr(req("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n")), ParseError::NotImplemented);
  // smuggling wins over other refusals
  CHECK_ERR(perr("POST / HTTP/1.1\r\nContent-Length: 99999999\r\nTransfer-Encoding: chunked\r\n\r\n"),
            ParseError::Smuggling);
  CHECK_ERR(perr(req("Content-Length: 5\r\nTransfer-Encoding: gzip, chunked\r\n")), ParseError::Smuggling);
  // an unrelated header that only looks similar
  CHECK_ERR(perr(req("Transfer-Encodings: chunked\r\n")), ParseError::None);
  CHECK(!parse(req("Transfer-Encodings: chunked\r\n")).head.chunked);
}

// ---- Connection / Upgrade / Expect ----------------------------------------------

TEST(keep_alive) {
  CHECK(parse(req("")).head.keep_alive);
  CHECK(!parse(req("Connection: close\r\n")).head.keep_alive);
  CHECK(!parse(req("Connection: CLOSE\r\n")).head.keep_alive);
  CHECK(parse(req("Connection: keep-alive\r\n")).head.keep_alive);
  CHECK(!parse(req("Connection: keep-alive, close\r\n")).head.keep_alive);
  CHECK(!parse(req("Connection: close, keep-alive\r\n")).head.keep_alive);
  CHECK(!parse(req("Connection: foo\r\nConnection: close\r\n")).head.keep_alive);
  CHECK(parse(req("Connection: closed\r\n")).head.keep_alive);
  CHECK(parse(req("Connection: , ,\r\n")).head.keep_alive);
  CHECK(!parse(req("Connection: ,close,\r\n")).head.keep_alive);
  CHECK(!parse("GET / HTTP/1.0\r\n\r\n").head.keep_alive);
  CHECK(parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").head.keep_alive);
  CHECK(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").head.keep_alive);
  CHECK(!parse("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n").head.keep_alive);
  CHECK(!parse("GET / HTTP/1.0\r\nConnection: x-other\r\n\r\n").head.keep_alive);
  CHECK_ERR(perr(req("Connection: close keep-alive\r\n")), ParseError::BadRequest);
  CHECK_ERR(perr(req("Connection: close;x\r\n")), ParseError::BadRequest);
  CHECK_ERR(perr(req("Connection: \"close\"\r\n")), ParseError::BadRequest);
}

TEST(upgrade) {
  auto p = parse(req("Connection: Upgrade\r\nUpgrade: websocket\r\n"));
  CHECK_ERR(p.err, ParseError::None);
  CHECK(p.head.upgrade);
  CHECK(p.head.keep_alive);
  CHECK(parse(req("Upgrade: websocket\r\nConnection: keep-alive, upgrade\r\n")).head.upgrade);
  CHECK(!parse(req("Connection: upgrade\r\n")).head.upgrade);
  CHECK(!parse(req("Upgrade: websocket\r\n")).head.upgrade);
  CHECK(!parse(req("Connection: upgrade\r\nUpgrade:\r\n")).head.upgrade);
  CHECK(!parse("GET / HTTP/1.0\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n").head.upgrade);
}

TEST(expect) {
  CHECK(parse(req("Expect: 100-continue\r\n")).head.expect_continue);
  CHECK(parse(req("expect: 100-Continue\r\n")).head.expect_continue);
  CHECK(parse(req("Expect:  100-CONTINUE  \r\n")).head.expect_continue);
  CHECK(!parse(req("Expect: 100-continues\r\n")).head.expect_continue);
  CHECK(!parse(req("Expect: 200-ok\r\n")).head.expect_continue);
  CHECK_ERR(perr(req("Expect: something-else\r\n")), ParseError::None);
  CHECK(!parse(req("")).head.expect_continue);
  CHECK(!parse("POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n").head.expect_continue);
  CHECK(kContinue == "HTTP/1.1 100 Continue\r\n\r\n");
}

// ---- chunked decoder -------------------------------------------------------------

TEST(chunked_basic) {
  std::string_view hw = "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
  auto d = decode_both(hw);
  CHECK_ERR(d.err, ParseError::None);
  CHECK(d.done);
  CHECK(d.data == "hello world");
  CHECK(d.consumed == hw.size());
  // pipelined request after the body
  std::string body = "3\r\nabc\r\n0\r\n\r\n";
  auto e = decode_both(body + "GET / HTTP/1.1\r\n");
  CHECK(e.done && e.consumed == body.size() && e.data == "abc");
  // hex sizes, both cases, leading zeros, 16 digits
  CHECK(decode_both("a\r\n0123456789\r\n0\r\n\r\n").data == "0123456789");
  CHECK(decode_both("A\r\n0123456789\r\n0\r\n\r\n").data == "0123456789");
  CHECK(decode_both("000000000000000A\r\n0123456789\r\n0\r\n\r\n").data == "0123456789");
  CHECK(decode_both("0000000000000000\r\n\r\n").done);
  CHECK(decode_both("000\r\n\r\n").done);
  // empty body
  auto z = decode_both("0\r\n\r\n");
  CHECK(z.done && z.data.empty() && z.consumed == 5 && z.calls == 0);
  // incomplete: not done, everything consumed
  auto inc = decode_both("5\r\nhel");
  CHECK(!inc.done && inc.err == ParseError::None && inc.consumed == 6 && inc.data == "hel");
  // data containing CRLF and NUL is opaque
  std::string raw("4\r\n\r\n\0\n\r\n0\r\n\r\n", 15);
  CHECK(decode_both(raw).data == std::string("\r\n\0\n", 4));
}

TEST(chunked_extensions) {
  CHECK(decode_both("5;foo=bar\r\nhello\r\n0\r\n\r\n").data == "hello");
  CHECK(decode_both("5;foo\r\nhello\r\n0\r\n\r\n").data == "hello");
  CHECK(decode_both("5;a=1;b;c=\"x y;\\\"z\"\r\nhello\r\n0;last\r\n\r\n").data == "hello");
  CHECK(decode_both("5 ; a = 1 ; b\r\nhello\r\n0\r\n\r\n").data == "hello");
  CHECK(decode_both("5\t;a\r\nhello\r\n0\r\n\r\n").data == "hello");
  CHECK(decode_both("5;a=\"\"\r\nhello\r\n0\r\n\r\n").data == "hello");
  CHECK(decode_both("5;a=\"caf\xc3\xa9\"\r\nhello\r\n0\r\n\r\n").done);
  for (const char* bad : {"5;\r\n", "5;=1\r\n", "5;a=\r\n", "5;a=\"x\r\n", "5;a=\"x\"y\r\n", "5 \r\n", "5;a \r\n",
                          "5;a=b \r\n", "5;a=b c\r\n", "5;a=@\r\n", "5;@\r\n", "5;a=\"\x01\"\r\n", "5;a=\"\\\x01\"\r\n",
                          "5 x\r\n", "5;a;\r\n", "5;a=\"x\" \r\n", "5;a\n"}) {
    std::string s = std::string(bad) + "hello\r\n0\r\n\r\n";
    auto d = decode_both(s);
    CHECK_ERR(d.err, ParseError::BadChunk);
    CHECK(d.data.empty());
  }
  // size line bound
  std::string ext = "5;a=" + std::string(Access::max_size_line, 'x');
  CHECK_ERR(decode_both(ext + "\r\nhello\r\n0\r\n\r\n").err, ParseError::BadChunk);
  std::string okext = "5;a=" + std::string(Access::max_size_line - 6, 'x');  // + "5;a=" + CRLF = limit
  CHECK(decode_both(okext + "\r\nhello\r\n0\r\n\r\n").done);
  std::string overext = "5;a=" + std::string(Access::max_size_line - 5, 'x');
  CHECK_ERR(decode_both(overext + "\r\nhello\r\n0\r\n\r\n").err, ParseError::BadChunk);
}

TEST(chunked_errors) {
  for (const char* bad : {"g\r\n", "\r\n", "-1\r\n", "+1\r\n", " 1\r\n", "0x5\r\n", "12345678901234567\r\n",
                          "FFFFFFFFFFFFFFFFF\r\n", "00000000000000001\r\n", "5\n", "5\rx", ";a\r\n", "5\r\r\n"}) {
    auto d = decode_both(std::string(bad) + "hello\r\n0\r\n\r\n");
    CHECK_ERR(d.err, ParseError::BadChunk);
  }
  // missing / wrong CRLF after data
  CHECK_ERR(decode_both("5\r\nhelloX\r\n0\r\n\r\n").err, ParseError::BadChunk);
  CHECK_ERR(decode_both("5\r\nhello0\r\n\r\n").err, ParseError::BadChunk);
  CHECK_ERR(decode_both("5\r\nhello\n0\r\n\r\n").err, ParseError::BadChunk);
  CHECK_ERR(decode_both("5\r\nhello\r0\r\n\r\n").err, ParseError::BadChunk);
  CHECK_ERR(decode_both("5\r\nhello world\r\n0\r\n\r\n").err, ParseError::BadChunk);
  // error offset: the offending byte; data before it was delivered
  auto d = decode_both("5\r\nhelloX");
  CHECK_ERR(d.err, ParseError::BadChunk);
  CHECK(d.consumed == 8);
  CHECK(d.data == "hello");
  // last chunk must be followed by CRLF (or trailers)
  CHECK_ERR(decode_both("0\r\n@").err, ParseError::BadChunk);
  CHECK_ERR(decode_both("0\r\nX\r\n\r\n").err, ParseError::BadChunk);  // trailer without ':'
  CHECK(!decode_both("0\r\nX").done);                                  // a trailer may follow
  CHECK_ERR(decode_both("0\r\n\n").err, ParseError::BadChunk);
  CHECK_ERR(decode_both("0\r\n\r\r").err, ParseError::BadChunk);
  CHECK_ERR(decode_both("0\n\r\n").err, ParseError::BadChunk);
  // sticky error
  ChunkedDecoder dec;
  const uint8_t junk[] = {'x'};
  auto r1 = dec.feed(junk, 1, [](const uint8_t*, size_t) {});
  CHECK_ERR(r1.error, ParseError::BadChunk);
  CHECK(r1.consumed == 0 && !r1.done);
  const uint8_t good[] = {'0', '\r', '\n', '\r', '\n'};
  auto r2 = dec.feed(good, 5, [](const uint8_t*, size_t) {});
  CHECK_ERR(r2.error, ParseError::BadChunk);
  CHECK(r2.consumed == 0);
  // reset clears it
  dec.reset(100);
  auto r3 = dec.feed(good, 5, [](const uint8_t*, size_t) {});
  CHECK_ERR(r3.error, ParseError::None);
  CHECK(r3.done && r3.consumed == 5);
  // after done: {0, true}
  auto r4 = dec.feed(good, 5, [](const uint8_t*, size_t) {});
  CHECK(r4.done && r4.consumed == 0 && r4.error == ParseError::None);
  // empty feed
  ChunkedDecoder fresh;
  auto r5 = fresh.feed(good, 0, [](const uint8_t*, size_t) {});
  CHECK(!r5.done && r5.consumed == 0 && r5.error == ParseError::None);
}

TEST(chunked_body_limit) {
  // exactly at the limit passes, one over fails before any data is delivered
  CHECK(decode_both("5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n", 10).done);
  auto d = decode_both("5\r\nhello\r\n6\r\nworld!\r\n0\r\n\r\n", 10);
  CHECK_ERR(d.err, ParseError::BodyTooLarge);
  CHECK(d.data == "hello");
  CHECK(d.consumed == 12);  // the LF of "6\r\n"
  CHECK_ERR(decode_both("FFFFFFFFFFFFFFFF\r\n").err, ParseError::BodyTooLarge);
  CHECK_ERR(decode_both("100001\r\n").err, ParseError::BodyTooLarge);
  CHECK(decode_both("0\r\n\r\n", 0).done);
  CHECK_ERR(decode_both("1\r\na\r\n0\r\n\r\n", 0).err, ParseError::BodyTooLarge);
  // reset with a new limit
  ChunkedDecoder dec(1);
  std::string s = "2\r\nab\r\n0\r\n\r\n";
  auto r = dec.feed((const uint8_t*)s.data(), s.size(), [](const uint8_t*, size_t) {});
  CHECK_ERR(r.error, ParseError::BodyTooLarge);
  dec.reset(2);
  std::string got;
  r = dec.feed((const uint8_t*)s.data(), s.size(), [&](const uint8_t* p, size_t n) { got.append((const char*)p, n); });
  CHECK(r.done && r.consumed == s.size() && got == "ab");
}

TEST(chunked_trailers) {
  std::string_view body = "5\r\nhello\r\n0\r\nX-Checksum: abc\r\nX-Other:\tv  w \r\n\r\n";
  auto d = decode_both(std::string(body) + "NEXT");
  CHECK(d.done && d.data == "hello");
  CHECK(d.consumed == body.size());
  CHECK(decode_both("0\r\nA:\r\n\r\n").done);
  CHECK(decode_both("0\r\nA: caf\xc3\xa9\r\n\r\n").done);
  for (const char* bad : {"0\r\nA : b\r\n\r\n", "0\r\n: b\r\n\r\n", "0\r\nA b\r\n\r\n", "0\r\nA: b\r\n c\r\n\r\n",
                          "0\r\nA: b\n\r\n", "0\r\nA: b\r\r\n", "0\r\nA: \x01\r\n\r\n", "0\r\n\tA: b\r\n\r\n"}) {
    CHECK_ERR(decode_both(bad).err, ParseError::BadChunk);
  }
  CHECK_ERR(decode_both(std::string("0\r\nA: \0\r\n\r\n", 11)).err, ParseError::BadChunk);
  // field count bound
  std::string many = "0\r\n";
  for (uint32_t i = 0; i < Access::max_trailer_fields; ++i) many += "T: v\r\n";
  CHECK(decode_both(many + "\r\n").done);
  CHECK_ERR(decode_both(many + "T: v\r\n\r\n").err, ParseError::BadChunk);
  // size bound
  std::string big = "0\r\nT: " + std::string(Access::max_trailer_bytes, 'v') + "\r\n\r\n";
  CHECK_ERR(decode_both(big).err, ParseError::BadChunk);
  std::string fits = "0\r\nT: " + std::string(Access::max_trailer_bytes - 7, 'v') + "\r\n\r\n";  // exactly the bound
  CHECK(decode_both(fits).done);
  std::string over = "0\r\nT: " + std::string(Access::max_trailer_bytes - 6, 'v') + "\r\n\r\n";
  CHECK_ERR(decode_both(over).err, ParseError::BadChunk);
}

TEST(chunked_many_chunks_split_everywhere) {
  std::string body, want;
  for (int i = 1; i <= 40; ++i) {
    std::string chunk(i * 7 % 23 + 1, (char)('a' + i % 26));
    char hex[16];
    std::snprintf(hex, sizeof hex, "%x", (unsigned)chunk.size());
    body += hex;
    if (i % 3 == 0) body += ";ext=\"v\"";
    body += "\r\n" + chunk + "\r\n";
    want += chunk;
  }
  body += "0\r\nTrailer: x\r\n\r\n";
  for (size_t step = 1; step <= 17; ++step) {
    auto d = decode(body + "GET", step);
    CHECK(d.done && d.err == ParseError::None && d.data == want && d.consumed == body.size());
  }
  // every two-way split
  for (size_t cut = 0; cut <= body.size(); ++cut) {
    ChunkedDecoder dec;
    std::string got;
    auto sink = [&](const uint8_t* p, size_t n) { got.append((const char*)p, n); };
    auto r1 = dec.feed((const uint8_t*)body.data(), cut, sink);
    CHECK(r1.error == ParseError::None && r1.consumed == cut);
    auto r2 = dec.feed((const uint8_t*)body.data() + cut, body.size() - cut, sink);
    CHECK(r2.done && r2.consumed == body.size() - cut && got == want);
  }
}

// ---- responses -----------------------------------------------------------------

static void check_response(std::string_view r, int status, std::string_view code) {
  CHECK(r.substr(0, 9) == "HTTP/1.1 ");
  CHECK(r.substr(9, 3) == std::to_string(status));
  size_t end = r.find("\r\n\r\n");
  CHECK(end != std::string_view::npos);
  if (end == std::string_view::npos) return;
  std::string_view headv = r.substr(0, end + 2);
  std::string_view body = r.substr(end + 4);
  size_t cl = headv.find("\r\nContent-Length: ");
  CHECK(cl != std::string_view::npos);
  if (cl == std::string_view::npos) return;
  size_t n = 0, i = cl + 18;
  while (i < headv.size() && headv[i] >= '0' && headv[i] <= '9') n = n * 10 + (headv[i++] - '0');
  CHECK(headv.substr(i, 2) == "\r\n");
  CHECK(n == body.size());
  CHECK(headv.find("\r\nConnection: close\r\n") != std::string_view::npos);
  CHECK(headv.find("\r\nContent-Type: application/json; charset=utf-8\r\n") != std::string_view::npos);
  std::string sc = "{\"statusCode\":" + std::to_string(status) + ",\"code\":\"" + std::string(code) + "\",\"error\":\"";
  CHECK(body.substr(0, sc.size()) == sc);
  CHECK(body.find("\",\"message\":\"") != std::string_view::npos);
  CHECK(body.substr(body.size() - 2) == "\"}");
  // nothing that needs JSON escaping, nothing non-ASCII
  for (char c : body) CHECK(c >= 0x20 && c < 0x7f && c != '\\');
}

TEST(error_responses) {
  struct {
    ParseError e;
    int status;
    const char* code;
  } cases[] = {
      {ParseError::BadRequest, 400, "RS_ERR_HTTP_BAD_REQUEST"},
      {ParseError::BadVersion, 505, "RS_ERR_HTTP_VERSION_NOT_SUPPORTED"},
      {ParseError::UriTooLong, 414, "RS_ERR_HTTP_URI_TOO_LONG"},
      {ParseError::HeadTooLarge, 431, "RS_ERR_HTTP_HEADERS_TOO_LARGE"},
      {ParseError::TooManyHeaders, 431, "RS_ERR_HTTP_HEADERS_TOO_LARGE"},
      {ParseError::BodyTooLarge, 413, "RS_ERR_HTTP_BODY_TOO_LARGE"},
      {ParseError::Smuggling, 400, "RS_ERR_HTTP_SMUGGLING"},
      {ParseError::BadChunk, 400, "RS_ERR_HTTP_BAD_CHUNK"},
      {ParseError::NotImplemented, 501, "RS_ERR_HTTP_NOT_IMPLEMENTED"},
  };
  CHECK(sizeof(cases) / sizeof(cases[0]) == (size_t)ParseError::Count - 1);
  for (auto& c : cases) {
    CHECK(error_status(c.e) == c.status);
    check_response(error_response(c.e), c.status, c.code);
  }
  check_response(timeout_response(), 408, "RS_ERR_HTTP_REQUEST_TIMEOUT");
  CHECK(timeout_response().substr(0, 30) == "HTTP/1.1 408 Request Timeout\r\n");
  CHECK(error_response(ParseError::None).empty());
  CHECK(error_status(ParseError::None) == 0);
  CHECK(error_response(ParseError::Count) == error_response(ParseError::BadRequest));
  CHECK(error_response(ParseError::Smuggling)
            .find("\"message\":\"Ambiguous message framing (Content-Length/Transfer-Encoding)\"") !=
        std::string_view::npos);
  CHECK(error_response(ParseError::HeadTooLarge) != error_response(ParseError::TooManyHeaders));
  CHECK(error_response(ParseError::BodyTooLarge).substr(0, 32) == "HTTP/1.1 413 Payload Too Large\r\n");
  std::string_view bad = error_response(ParseError::BadRequest);
  CHECK(
      bad ==
      "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: 108\r\n"
      "Connection: close\r\n\r\n"
      "{\"statusCode\":400,\"code\":\"RS_ERR_HTTP_BAD_REQUEST\",\"error\":\"Bad Request\",\"message\":\"Malformed HTTP "
      "request\"}");
}

int main() {
  for (auto& t : tests()) {
    g_current = t.name;
    int before = g_failures;
    t.fn();
    ++g_tests;
    std::printf("%s %s\n", g_failures == before ? "ok  " : "FAIL", t.name);
  }
  std::printf("\nparser_test: %d tests, %d checks, %d failures\n", g_tests, g_checks, g_failures);
  return g_failures == 0 ? 0 : 1;
}
