// ChunkedDecoder::feed and the character tables shared with http_parser.cc.
// Included at the end of http_parser.h; do not include it directly.
#pragma once
#include <cstddef>
#include <cstdint>

namespace ringside::http {

namespace detail {

// One byte of flags per octet; every class test is a single table load.
enum : uint8_t {
  kTchar = 1 << 0,   // token character (RFC 9110 §5.6.2)
  kVchar = 1 << 1,   // 0x21–0x7E: request-target bytes
  kValue = 1 << 2,   // field-value byte: HTAB, SP, VCHAR, obs-text (0x80–0xFF)
  kHex = 1 << 3,     // HEXDIG
  kQdtext = 1 << 4,  // quoted-string text: HTAB, SP, 0x21, 0x23–0x5B, 0x5D–0x7E, obs-text
  kHost = 1 << 5,    // Host value bytes: unreserved, '%', sub-delims except ',', ':', '[', ']'
  kOws = 1 << 6,     // SP, HTAB
};

constexpr bool is_alpha(unsigned c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr bool is_digit(unsigned c) { return c >= '0' && c <= '9'; }

struct CharTable {
  uint8_t v[256];
};

constexpr CharTable make_char_table() {
  CharTable t{};
  for (unsigned c = 0; c < 256; ++c) {
    uint8_t f = 0;
    bool tchar = is_alpha(c) || is_digit(c);
    for (char s : {'!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~'})
      tchar |= c == (unsigned char)s;
    if (tchar) f |= kTchar;
    if (c >= 0x21 && c <= 0x7E) f |= kVchar;
    if (c == '\t' || c == ' ' || (c >= 0x21 && c <= 0x7E) || c >= 0x80) f |= kValue;
    if (is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) f |= kHex;
    if (c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5B) || (c >= 0x5D && c <= 0x7E) || c >= 0x80)
      f |= kQdtext;
    bool host = is_alpha(c) || is_digit(c);
    for (char s : {'-', '.', '_', '~', '%', '!', '$', '&', '\'', '(', ')', '*', '+', ';', '=', ':', '[', ']'})
      host |= c == (unsigned char)s;
    if (host) f |= kHost;
    if (c == ' ' || c == '\t') f |= kOws;
    t.v[c] = f;
  }
  return t;
}

inline constexpr CharTable kChars = make_char_table();

inline bool has(uint8_t c, uint8_t flag) { return (kChars.v[c] & flag) != 0; }

constexpr uint8_t hex_value(uint8_t c) { return c <= '9' ? (uint8_t)(c - '0') : (uint8_t)((c | 0x20) - 'a' + 10); }

}  // namespace detail

// Chunked body grammar (RFC 9112 §7.1), strict:
//   chunk      = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
//   chunk-size = 1*16HEXDIG                      (17+ digits → BadChunk)
//   chunk-ext  = *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] )
//   last-chunk = 1*"0" [ chunk-ext ] CRLF, then trailer fields, then CRLF
// A size line is at most kMaxSizeLine bytes; the trailer section at most
// kMaxTrailerBytes bytes and kMaxTrailerFields fields. Trailer fields are
// validated like header fields (token ":" value-bytes CRLF, no obs-fold) and
// then discarded. Bare LF, bare CR, or a missing CRLF after chunk data →
// BadChunk. A chunk whose declared size would take the body over the limit →
// BodyTooLarge, before any of its bytes are passed to on_data.
//
// Return value:
//   - not done, no error: consumed == len (everything was taken).
//   - done: consumed = bytes up to and including the CRLF that ends the
//     trailer section; input after it is the next pipelined request.
//     Later calls return {0, true, None} until reset().
//   - error: consumed = offset of the offending byte (bytes before it were
//     processed; on_data may already have received data from this call).
//     The decoder stays failed: later calls return {0, false, same error}.
// on_data is never called with n == 0.
template <typename OnData>
ChunkedDecoder::Result ChunkedDecoder::feed(const uint8_t* in, size_t len, OnData&& on_data) {
  using namespace detail;
  if (error_ != ParseError::None) return {0, false, error_};
  if (state_ == State::Done) return {0, true, ParseError::None};

  size_t i = 0;
  auto fail = [&](ParseError e) -> Result {
    error_ = e;
    return {i, false, e};
  };

  while (i < len) {
    if (state_ == State::Data) {
      size_t avail = len - i;
      size_t n = remaining_ < avail ? (size_t)remaining_ : avail;
      on_data(in + i, n);
      i += n;
      remaining_ -= n;
      if (remaining_ == 0) state_ = State::DataCr;
      continue;
    }
    const uint8_t c = in[i];
    switch (state_) {
      case State::Size:
      case State::SizeExt:
      case State::SizeLf:
        if (++line_bytes_ > kMaxSizeLine) return fail(ParseError::BadChunk);
        break;
      case State::Trailer:
      case State::TrailerLine:
      case State::TrailerLineLf:
      case State::TrailerLf:
        if (++line_bytes_ > kMaxTrailerBytes) return fail(ParseError::BadChunk);
        break;
      default: break;
    }
    switch (state_) {
      case State::Size:
        if (has(c, kHex)) {
          if (size_digits_ == 16) return fail(ParseError::BadChunk);
          remaining_ = (remaining_ << 4) | hex_value(c);
          ++size_digits_;
        } else if (size_digits_ == 0) {
          return fail(ParseError::BadChunk);
        } else if (c == '\r') {
          state_ = State::SizeLf;
        } else if (c == ';') {
          state_ = State::SizeExt;
          ext_ = Ext::NameStart;
        } else if (c == ' ' || c == '\t') {
          state_ = State::SizeExt;
          ext_ = Ext::PreSemiWs;
        } else {
          return fail(ParseError::BadChunk);
        }
        break;

      case State::SizeExt: {
        const bool ows = c == ' ' || c == '\t';
        switch (ext_) {
          case Ext::Token:
            if (has(c, kTchar)) break;
            [[fallthrough]];  // the token value ended: as after a quoted value
          case Ext::PreSemi:  // right after a value: ';', CR, or BWS before ';'
            if (c == ';')
              ext_ = Ext::NameStart;
            else if (c == '\r')
              state_ = State::SizeLf;
            else if (ows)
              ext_ = Ext::PreSemiWs;
            else
              return fail(ParseError::BadChunk);
            break;
          case Ext::PreSemiWs:  // BWS must lead to ';'
            if (c == ';')
              ext_ = Ext::NameStart;
            else if (!ows)
              return fail(ParseError::BadChunk);
            break;
          case Ext::NameStart:
            if (has(c, kTchar))
              ext_ = Ext::Name;
            else if (!ows)
              return fail(ParseError::BadChunk);
            break;
          case Ext::Name:
            if (has(c, kTchar)) break;
            if (c == '=')
              ext_ = Ext::ValStart;
            else if (c == ';')
              ext_ = Ext::NameStart;
            else if (c == '\r')
              state_ = State::SizeLf;
            else if (ows)
              ext_ = Ext::AfterName;
            else
              return fail(ParseError::BadChunk);
            break;
          case Ext::AfterName:  // BWS after a name must lead to '=' or ';'
            if (c == '=')
              ext_ = Ext::ValStart;
            else if (c == ';')
              ext_ = Ext::NameStart;
            else if (!ows)
              return fail(ParseError::BadChunk);
            break;
          case Ext::ValStart:
            if (has(c, kTchar))
              ext_ = Ext::Token;
            else if (c == '"')
              ext_ = Ext::Quoted;
            else if (!ows)
              return fail(ParseError::BadChunk);
            break;
          case Ext::Quoted:
            if (c == '"')
              ext_ = Ext::PreSemi;
            else if (c == '\\')
              ext_ = Ext::QuotedEscape;
            else if (!has(c, kQdtext))
              return fail(ParseError::BadChunk);
            break;
          case Ext::QuotedEscape:  // quoted-pair: HTAB / SP / VCHAR / obs-text
            if (!has(c, kValue)) return fail(ParseError::BadChunk);
            ext_ = Ext::Quoted;
            break;
        }
        break;
      }

      case State::SizeLf:
        if (c != '\n') return fail(ParseError::BadChunk);
        if (remaining_ == 0) {  // last-chunk
          state_ = State::Trailer;
          line_bytes_ = 0;
          trailer_fields_ = 0;
        } else {
          if (remaining_ > max_body_ - total_) return fail(ParseError::BodyTooLarge);
          total_ += remaining_;
          state_ = State::Data;
        }
        break;

      case State::DataCr:
        if (c != '\r') return fail(ParseError::BadChunk);
        state_ = State::DataLf;
        break;

      case State::DataLf:
        if (c != '\n') return fail(ParseError::BadChunk);
        state_ = State::Size;
        size_digits_ = 0;
        line_bytes_ = 0;
        break;

      case State::Trailer:  // start of a trailer line, or the final CRLF
        if (c == '\r') {
          state_ = State::TrailerLf;
        } else if (has(c, kTchar)) {
          if (++trailer_fields_ > kMaxTrailerFields) return fail(ParseError::BadChunk);
          state_ = State::TrailerLine;
          trailer_in_value_ = false;
        } else {
          return fail(ParseError::BadChunk);  // obs-fold, empty name, bare LF, …
        }
        break;

      case State::TrailerLf:
        if (c != '\n') return fail(ParseError::BadChunk);
        state_ = State::Done;
        return {i + 1, true, ParseError::None};

      case State::TrailerLine:
        if (!trailer_in_value_) {
          if (c == ':')
            trailer_in_value_ = true;
          else if (!has(c, kTchar))
            return fail(ParseError::BadChunk);
        } else if (c == '\r') {
          state_ = State::TrailerLineLf;
        } else if (!has(c, kValue)) {
          return fail(ParseError::BadChunk);
        }
        break;

      case State::TrailerLineLf:
        if (c != '\n') return fail(ParseError::BadChunk);
        state_ = State::Trailer;
        break;

      case State::Data:
      case State::Done: break;  // unreachable: Data handled above, Done returned
    }
    ++i;
  }
  return {len, false, ParseError::None};
}

}  // namespace ringside::http
