// WebSocket framing (RFC 6455 §5): reading a client frame's header,
// unmasking, writing a server frame's header, UTF-8 validation of text and
// close reasons, valid close codes. No state of a connection here: the loop
// (loop_ws.cc) keeps that.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace ringside::ws {

enum Opcode : uint8_t { kContinuation = 0, kText = 1, kBinary = 2, kClose = 8, kPing = 9, kPong = 10 };

// Close codes the server sends (§7.4.1).
constexpr uint16_t kNormal = 1000, kGoingAway = 1001, kProtocolError = 1002, kInvalidPayload = 1007, kPolicy = 1008,
                   kTooBig = 1009, kNoStatus = 1005, kAbnormal = 1006;

struct FrameHeader {
  bool fin = false, rsv1 = false;
  uint8_t opcode = 0;
  uint8_t mask[4] = {0, 0, 0, 0};
  uint64_t payload_len = 0;
  uint32_t size = 0;  // bytes of the header itself
};

enum class HeaderResult : uint8_t { Ok, NeedMore, Error };

// Read a client frame's header from p[0, n). Client frames must be masked;
// RSV2/RSV3 must be 0 (no extension here uses them); RSV1 only when
// `rsv1_allowed` (permessage-deflate); control frames are final and ≤ 125
// bytes; lengths use the shortest form and fit 63 bits. Anything else: Error.
inline HeaderResult read_header(const uint8_t* p, size_t n, bool rsv1_allowed, FrameHeader& h) {
  if (n < 2) return HeaderResult::NeedMore;
  const uint8_t b0 = p[0], b1 = p[1];
  h.fin = b0 & 0x80;
  h.rsv1 = b0 & 0x40;
  h.opcode = b0 & 0x0f;
  if ((b0 & 0x30) || (h.rsv1 && !rsv1_allowed) || !(b1 & 0x80)) return HeaderResult::Error;
  const bool control = h.opcode & 0x08;
  if (control ? (h.opcode > kPong || !h.fin || h.rsv1) : h.opcode > kBinary) return HeaderResult::Error;
  uint64_t len = b1 & 0x7f;
  uint32_t at = 2;
  if (len == 126) {
    if (n < 4) return HeaderResult::NeedMore;
    len = ((uint64_t)p[2] << 8) | p[3];
    if (len < 126) return HeaderResult::Error;
    at = 4;
  } else if (len == 127) {
    if (n < 10) return HeaderResult::NeedMore;
    len = 0;
    for (int i = 0; i < 8; i++) len = (len << 8) | p[2 + i];
    if (len <= 0xffff || (len >> 63)) return HeaderResult::Error;
    at = 10;
  }
  if (control && len > 125) return HeaderResult::Error;
  if (n < at + 4) return HeaderResult::NeedMore;
  memcpy(h.mask, p + at, 4);
  h.payload_len = len;
  h.size = at + 4;
  return HeaderResult::Ok;
}

// dst[i] = src[i] ^ mask[(phase + i) % 4]; dst may equal src. Returns the next phase.
inline uint32_t unmask(uint8_t* dst, const uint8_t* src, size_t n, const uint8_t mask[4], uint32_t phase) {
  uint8_t m[8];
  for (int i = 0; i < 8; i++) m[i] = mask[(phase + i) & 3];
  uint64_t m64;
  memcpy(&m64, m, 8);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t v;
    memcpy(&v, src + i, 8);
    v ^= m64;
    memcpy(dst + i, &v, 8);
  }
  for (; i < n; i++) dst[i] = src[i] ^ m[i & 7];
  return (uint32_t)((phase + n) & 3);
}

// The header of a server frame (never masked) for `len` payload bytes; returns its size (2, 4 or 10).
inline uint32_t write_header(uint8_t out[10], uint8_t opcode, bool fin, bool rsv1, uint64_t len) {
  out[0] = (uint8_t)((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode);
  if (len < 126) {
    out[1] = (uint8_t)len;
    return 2;
  }
  if (len <= 0xffff) {
    out[1] = 126;
    out[2] = (uint8_t)(len >> 8);
    out[3] = (uint8_t)len;
    return 4;
  }
  out[1] = 127;
  for (int i = 0; i < 8; i++) out[2 + i] = (uint8_t)(len >> (56 - 8 * i));
  return 10;
}

// Codes a peer may send in a close frame (§7.4.1, §7.4.2; 1005, 1006 and 1015 are never on the wire).
inline bool valid_close_code(uint32_t code) {
  if (code >= 3000 && code <= 4999) return true;
  return code >= 1000 && code <= 1014 && code != 1004 && code != 1005 && code != 1006;
}

// Well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, ≤ U+10FFFF).
inline bool valid_utf8(const uint8_t* p, size_t n) {
  size_t i = 0;
  while (i < n) {
    // ASCII runs eight bytes at a time.
    while (i + 8 <= n) {
      uint64_t v;
      memcpy(&v, p + i, 8);
      if (v & 0x8080808080808080ull) break;
      i += 8;
    }
    if (i >= n) break;
    uint8_t c = p[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t need;
    uint8_t lo = 0x80, hi = 0xbf;  // the range of the second byte
    if (c >= 0xc2 && c <= 0xdf) {
      need = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c == 0xe0) lo = 0xa0;
      if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c == 0xf0) lo = 0x90;
      if (c == 0xf4) hi = 0x8f;
    } else {
      return false;
    }
    if (n - i <= need) return false;
    if (p[i + 1] < lo || p[i + 1] > hi) return false;
    for (size_t k = 2; k <= need; k++)
      if ((p[i + k] & 0xc0) != 0x80) return false;
    i += need + 1;
  }
  return true;
}

}  // namespace ringside::ws
