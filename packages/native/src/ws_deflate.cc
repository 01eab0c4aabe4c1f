// permessage-deflate over zlib (see ws_deflate.h).
#include "ws_deflate.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>

namespace ringside::ws {

namespace {
constexpr uint8_t kTail[4] = {0x00, 0x00, 0xff, 0xff};
constexpr size_t kStep = 16 * 1024;
}  // namespace

Deflater::~Deflater() {
  if (z_) {
    deflateEnd(z_);
    delete z_;
  }
}

bool Deflater::init(int window_bits, bool no_context_takeover) {
  z_ = new z_stream();
  reset_each_ = no_context_takeover;
  if (deflateInit2(z_, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -(window_bits < 9 ? 9 : window_bits), 8,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    delete z_;
    z_ = nullptr;
    return false;
  }
  return true;
}

bool Deflater::compress(const uint8_t* p, size_t n, std::vector<uint8_t>& out) {
  size_t start = out.size();
  z_->next_in = const_cast<Bytef*>(p);
  z_->avail_in = (uInt)n;
  do {
    size_t at = out.size();
    out.resize(at + kStep + n / 2);
    z_->next_out = out.data() + at;
    z_->avail_out = (uInt)(out.size() - at);
    int r = ::deflate(z_, Z_SYNC_FLUSH);
    out.resize(out.size() - z_->avail_out);
    if (r != Z_OK && r != Z_BUF_ERROR) return false;
  } while (z_->avail_out == 0 || z_->avail_in > 0);
  // A sync flush ends with 00 00 ff ff: the peer adds it back (§7.2.1).
  if (out.size() - start >= 4 && memcmp(out.data() + out.size() - 4, kTail, 4) == 0) out.resize(out.size() - 4);
  if (reset_each_) deflateReset(z_);
  return true;
}

Inflater::~Inflater() {
  if (z_) {
    inflateEnd(z_);
    delete z_;
  }
}

bool Inflater::init(int window_bits, bool no_context_takeover) {
  z_ = new z_stream();
  reset_each_ = no_context_takeover;
  // The window the client may use is at most 15 bits; inflating with 15 accepts every smaller one.
  (void)window_bits;
  if (inflateInit2(z_, -15) != Z_OK) {
    delete z_;
    z_ = nullptr;
    return false;
  }
  return true;
}

Inflater::Result Inflater::run(const uint8_t* p, size_t n, size_t max, std::vector<uint8_t>& out) {
  z_->next_in = const_cast<Bytef*>(p);
  z_->avail_in = (uInt)n;
  for (;;) {
    // Room for one byte past `max`, so a message that is too large shows itself.
    size_t at = out.size();
    size_t step = std::min(kStep, max + 1 - at);
    out.resize(at + step);
    z_->next_out = out.data() + at;
    z_->avail_out = (uInt)step;
    int r = ::inflate(z_, Z_SYNC_FLUSH);
    out.resize(out.size() - z_->avail_out);
    if (out.size() > max) return Result::TooBig;
    if (r == Z_STREAM_END) {
      // A final deflate block ends this stream; what follows starts a new one.
      inflateReset(z_);
      if (z_->avail_in == 0) return Result::Ok;
      continue;
    }
    if (r != Z_OK && r != Z_BUF_ERROR) return Result::Corrupt;
    if (z_->avail_out != 0) return Result::Ok;  // all input taken and all output out
  }
}

Inflater::Result Inflater::inflate(const uint8_t* p, size_t n, bool fin, size_t max, std::vector<uint8_t>& out) {
  Result r = run(p, n, max, out);
  if (r == Result::Ok && fin) r = run(kTail, 4, max, out);
  if (fin || r != Result::Ok) {
    if (reset_each_) inflateReset(z_);
  }
  return r;
}

}  // namespace ringside::ws
