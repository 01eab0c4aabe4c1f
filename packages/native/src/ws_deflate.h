// permessage-deflate (RFC 7692) for one connection: a raw-deflate compressor
// for what the server sends and an inflater for what the client sends, each
// with or without context takeover. zlib is the one inside node (its
// symbols are exported to addons; headers ship with node's).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

typedef struct z_stream_s z_stream;

namespace ringside::ws {

class Deflater {
 public:
  ~Deflater();
  // window_bits 9..15 (zlib's raw deflate cannot use 8). False when zlib refuses.
  bool init(int window_bits, bool no_context_takeover);
  // Compress one whole message, appended to `out` without the trailing 00 00 ff ff (§7.2.1).
  bool compress(const uint8_t* p, size_t n, std::vector<uint8_t>& out);

 private:
  z_stream* z_ = nullptr;
  bool reset_each_ = false;
};

class Inflater {
 public:
  enum class Result : uint8_t { Ok, Corrupt, TooBig };
  ~Inflater();
  bool init(int window_bits, bool no_context_takeover);
  // Inflate the compressed fragments of one message (`p` is the data of one
  // frame; `fin` on the last), appending to `out`; `out` never grows past `max`.
  Result inflate(const uint8_t* p, size_t n, bool fin, size_t max, std::vector<uint8_t>& out);

 private:
  Result run(const uint8_t* p, size_t n, size_t max, std::vector<uint8_t>& out);
  z_stream* z_ = nullptr;
  bool reset_each_ = false;
};

}  // namespace ringside::ws
