// HTTP/1.1 framing on the loop's connections: heads are parsed natively
// (http_parser.h) and cross to JS as REQUEST records with offsets; bodies as
// BODY records with the chunked framing removed. Errors are answered here
// with precomputed responses once every earlier response is out.
#include <string.h>

#include <algorithm>

#include "loop.h"

namespace ringside {

constexpr uint32_t kMaxOutstanding = 256;
// Empty lines tolerated before a request line.
constexpr uint32_t kMaxEmptyLines = 8;

static const uint8_t* find_head_end(const uint8_t* p, size_t len, size_t from) {
  // CRLFCRLF; `from` may overlap the previous search by 3 bytes.
  if (len < 4) return nullptr;
  for (size_t i = from; i + 4 <= len;) {
    const uint8_t* cr = (const uint8_t*)memchr(p + i, '\r', len - i - 3 + 1);
    if (!cr) return nullptr;
    size_t at = (size_t)(cr - p);
    if (at + 4 > len) return nullptr;
    if (cr[1] == '\n' && cr[2] == '\r' && cr[3] == '\n') return cr + 4;
    i = at + 1;
  }
  return nullptr;
}

void Loop::emit_request(Connection& c, const uint8_t* head, const http::RequestHead& h) {
  uint32_t off = batch_.copy(head, h.head_len);
  uint32_t first_field = batch_.field_count;
  for (uint32_t i = 0; i < h.field_count; i++) {
    int32_t* f = batch_.fields + (size_t)batch_.field_count++ * kFieldWords;
    f[0] = (int32_t)(off + field_tmp_[i].name_off);
    f[1] = (int32_t)field_tmp_[i].name_len;
    f[2] = (int32_t)(off + field_tmp_[i].value_off);
    f[3] = (int32_t)field_tmp_[i].value_len;
  }
  int32_t* e = batch_.push(EV_REQUEST, id_of(c));
  e[2] = (int32_t)(off + h.method_off);
  e[3] = (int32_t)h.method_len;
  e[4] = (int32_t)(off + h.target_off);
  e[5] = (int32_t)h.target_len;
  e[6] = (int32_t)first_field;
  e[7] = (int32_t)h.field_count;
  bool has_body = h.chunked || h.content_length > 0;
  e[8] = (h.keep_alive ? HF_KEEP_ALIVE : 0) | (h.chunked ? HF_CHUNKED : 0) | (has_body ? HF_HAS_BODY : 0) |
         (h.expect_continue ? HF_EXPECT_CONTINUE : 0) | (h.version_minor == 0 ? HF_HTTP10 : 0) | (h.upgrade ? HF_UPGRADE : 0);
  int64_t cl = h.content_length;
  e[9] = (int32_t)(uint32_t)((uint64_t)cl & 0xffffffffu);
  e[10] = (int32_t)(cl < 0 ? -1 : (int32_t)((uint64_t)cl >> 32));
  e[11] = 0;
}

void Loop::http_input(Connection& c, const uint8_t* p, size_t n) {
  HttpConn& h = *c.http;
  if (h.input_closed) return;
  const HttpOptions& opt = http_opts(c);
  const uint32_t id = id_of(c);
  const uint8_t* buf;
  size_t len;
  bool from_inbuf = !h.inbuf.empty() || p == nullptr;
  if (from_inbuf) {
    if (n) h.inbuf.insert(h.inbuf.end(), p, p + n);
    buf = h.inbuf.data();
    len = h.inbuf.size();
  } else {
    buf = p;
    len = n;
  }
  size_t pos = 0;
  uint32_t scanned = from_inbuf ? h.scanned : 0;
  while (pos < len && !h.input_closed && c.state == ConnState::Open) {
    if (h.phase == HttpConn::Phase::Head) {
      if (h.outstanding >= kMaxOutstanding || c.paused) break;  // park the rest; parse after responses
      // Room for one more request in this batch, or park the rest for after delivery.
      if (!batch_.room(2, (uint32_t)std::min<size_t>(len - pos, opt.limits.max_head_bytes) + 64, opt.limits.max_headers)) {
        c.needs_parse = true;
        waiting_.push_back(id);
        break;
      }
      // Empty lines before a request line are ignored (RFC 9112 §2.2), a few at most;
      // skipped here so the CRLFCRLF search below never matches them.
      while (len - pos >= 2 && buf[pos] == '\r' && buf[pos + 1] == '\n' && h.empty_lines < kMaxEmptyLines) {
        pos += 2;
        h.empty_lines++;
        scanned = scanned > 2 ? scanned - 2 : 0;
      }
      if (pos >= len) break;
      if (len - pos >= 2 && buf[pos] == '\r' && buf[pos + 1] == '\n') { http_fail(c, http::ParseError::BadRequest, false); break; }
      if (!h.head_started_ms) {
        h.head_started_ms = now_ms_;
        if (!h.request_started_ms) h.request_started_ms = now_ms_;
      }
      size_t from = scanned > 3 ? scanned - 3 : 0;
      const uint8_t* end = find_head_end(buf + pos, len - pos, from);
      if (!end) {
        if (len - pos > opt.limits.max_head_bytes) {
          http::RequestHead head;
          http::ParseError e = http::parse_request_head(buf + pos, len - pos, opt.limits, head, field_tmp_.data());
          http_fail(c, e == http::ParseError::None ? http::ParseError::HeadTooLarge : e, false);
          break;
        }
        scanned = (uint32_t)(len - pos);
        break;
      }
      http::RequestHead head;
      http::ParseError e = http::parse_request_head(buf + pos, (size_t)(end - (buf + pos)), opt.limits, head, field_tmp_.data());
      if (e != http::ParseError::None) { http_fail(c, e, false); break; }
      emit_request(c, buf + pos, head);
      pos += head.head_len;
      scanned = 0;
      h.empty_lines = 0;
      h.head_started_ms = 0;
      h.outstanding++;
      h.discard_body = false;
      h.timeout_reported = false;
      if (!head.keep_alive || head.upgrade) h.last_request = true;
      if (head.chunked) {
        h.phase = HttpConn::Phase::BodyChunked;
        h.chunked.reset(opt.limits.max_body_bytes);
      } else if (head.content_length > 0) {
        h.phase = HttpConn::Phase::BodyLength;
        h.body_remaining = (uint64_t)head.content_length;
      } else if (h.last_request) {
        h.input_closed = true;
      }
    } else if (h.phase == HttpConn::Phase::BodyLength) {
      size_t take = (size_t)std::min<uint64_t>(len - pos, h.body_remaining);
      if (!h.discard_body) {
        uint32_t off = batch_.copy(buf + pos, (uint32_t)take);
        int32_t* e = batch_.push(EV_BODY, id);
        e[2] = (int32_t)off;
        e[3] = (int32_t)take;
      }
      pos += take;
      h.body_remaining -= take;
      if (h.body_remaining == 0) {
        if (!h.discard_body) batch_.push(EV_BODY_END, id);
        h.phase = HttpConn::Phase::Head;
        if (h.last_request) h.input_closed = true;
      }
    } else {
      auto r = h.chunked.feed(buf + pos, len - pos, [&](const uint8_t* d, size_t dn) {
        if (h.discard_body || dn == 0) return;
        uint32_t off = batch_.copy(d, (uint32_t)dn);
        int32_t* e = batch_.push(EV_BODY, id);
        e[2] = (int32_t)off;
        e[3] = (int32_t)dn;
      });
      pos += r.consumed;
      if (r.error != http::ParseError::None) { http_fail(c, r.error, true); break; }
      if (r.done) {
        if (!h.discard_body) batch_.push(EV_BODY_END, id);
        h.phase = HttpConn::Phase::Head;
        if (h.last_request) h.input_closed = true;
      } else if (r.consumed == 0) {
        break;
      }
    }
  }
  if (c.state != ConnState::Open || !c.http) return;
  // Keep what is left (a partial head, or input parked behind outstanding responses).
  if (h.input_closed || pos >= len) {
    if (from_inbuf) { if (h.inbuf.capacity() > 65536) std::vector<uint8_t>().swap(h.inbuf); else h.inbuf.clear(); }
    h.scanned = 0;
  } else if (from_inbuf) {
    h.inbuf.erase(h.inbuf.begin(), h.inbuf.begin() + (ptrdiff_t)pos);
    h.scanned = scanned;
  } else {
    h.inbuf.assign(buf + pos, buf + len);
    h.scanned = scanned;
  }
  // Too much parked input (pipelining without reading answers): stop reading until it drains.
  bool too_much = h.inbuf.size() > opt.limits.max_head_bytes + cfg_.buffer_size;
  if (too_much && !c.parked) {
    c.parked = true;
    cancel_recv(c);
  } else if (!too_much && c.parked) {
    c.parked = false;
    if (c.wants_recv()) arm_recv(c);
  }
}

// Refuse the request being parsed. Head errors are answered here once every
// earlier response is out; body errors belong to a request JS already has, so
// JS answers (HTTP_ERROR w4 = 1) and closes.
void Loop::http_fail(Connection& c, http::ParseError e, bool body_error) {
  HttpConn& h = *c.http;
  h.input_closed = true;
  int32_t* ev = batch_.push(EV_HTTP_ERROR, id_of(c));
  ev[2] = http::error_status(e);
  ev[3] = (int32_t)e;
  ev[4] = body_error ? 1 : 0;
  if (body_error) return;
  if (h.outstanding == 0) {
    std::string_view r = http::error_response(e);
    queue_send(c, (const uint8_t*)r.data(), r.size());
    c.close_after_send = true;
    if (!c.send_inflight && c.queued() == 0) begin_close(c, 0);
  } else {
    h.pending_error = e;
  }
}

void Loop::http_response_done(Connection& c) {
  HttpConn& h = *c.http;
  if (h.outstanding > 0) h.outstanding--;
  h.timeout_reported = false;
  if (h.outstanding == 0) {
    h.idle_since_ms = now_ms_ ? now_ms_ : monotonic_ms();
    h.request_started_ms = h.head_started_ms;
    if (h.pending_error != http::ParseError::None) {
      std::string_view r = http::error_response(h.pending_error);
      h.pending_error = http::ParseError::None;
      queue_send(c, (const uint8_t*)r.data(), r.size());
      c.close_after_send = true;
      return;
    }
    if (h.input_closed && c.peer_eof && !c.close_after_send) {
      // The client half-closed and has every answer: finish once they are sent.
      c.close_after_send = true;
      if (!c.send_inflight && c.queued() == 0) begin_close(c, 0);
      return;
    }
  }
  if (!h.input_closed && (c.needs_parse || !h.inbuf.empty()) && h.outstanding < kMaxOutstanding) {
    c.needs_parse = true;
    waiting_.push_back(id_of(c));
  }
}

void Loop::http_timeouts(Connection& c, uint64_t now) {
  HttpConn& h = *c.http;
  const HttpOptions& opt = http_opts(c);
  if (c.close_after_send) return;
  auto answer_408 = [&](int32_t kind) {
    emit_simple(EV_TIMEOUT, id_of(c), kind);
    std::string_view r = http::timeout_response();
    h.input_closed = true;
    queue_send(c, (const uint8_t*)r.data(), r.size());
    c.close_after_send = true;
    if (!c.send_inflight && c.queued() == 0) begin_close(c, 0);
  };
  if (h.outstanding == 0) {
    if (h.head_started_ms && opt.headers_timeout_ms && now - h.head_started_ms >= opt.headers_timeout_ms) {
      answer_408(TO_HEADERS);
    } else if (h.request_started_ms && opt.request_timeout_ms && now - h.request_started_ms >= opt.request_timeout_ms) {
      answer_408(TO_REQUEST);
    } else if (!h.head_started_ms && h.inbuf.empty() && h.phase == HttpConn::Phase::Head && now - h.idle_since_ms >= opt.keep_alive_timeout_ms) {
      // keep_alive_timeout_ms 0: JS sends Connection: close on every response, so idle never lasts.
      if (opt.keep_alive_timeout_ms) {
        emit_simple(EV_TIMEOUT, id_of(c), TO_IDLE);
        begin_close(c, 0);
      }
    }
  } else if (opt.request_timeout_ms && h.request_started_ms && now - h.request_started_ms >= opt.request_timeout_ms && !h.timeout_reported) {
    // A handler is still working: JS answers 408 if it has not started the response, else closes.
    h.timeout_reported = true;
    emit_simple(EV_TIMEOUT, id_of(c), TO_REQUEST);
  }
}

}  // namespace ringside
