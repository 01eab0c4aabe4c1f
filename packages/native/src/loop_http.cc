// HTTP/1.1 framing on the loop's connections: heads are parsed natively
// (http_parser.h) and cross to JS as REQUEST records with offsets; bodies as
// BODY records with the chunked framing removed. Errors are answered here
// with precomputed responses once every earlier response is out.
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <algorithm>

#include "event_records.h"
#include "loop.h"
#include "transport_limits.h"

namespace ringside {

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
  for (uint32_t i = 0; i < h.field_count; i++) write_field(batch_.next_field(), off, field_tmp_[i]);
  write_request(batch_.next_event(), id_of(c), off, first_field, h);
}

// Parse what this connection has received into REQUEST/BODY records, as far
// as the batch has room (the rest resumes in the next batch), the responses
// owed allow (kMaxOutstandingRequests, unsent output), and JS has not paused it.
void Loop::http_input(Connection& c, const InputSpan& in) {
  HttpConn& h = *c.http;
  const HttpOptions& opt = http_opts(c);
  const uint32_t id = id_of(c);
  const uint8_t* buf = in.data;
  const size_t len = in.len;
  size_t pos = 0;
  uint32_t scanned = in.in_inbuf ? h.scanned : 0;
  // Why the loop below stopped: waiting for bytes is the only state in which a FIN ends the input.
  bool need_bytes = true;
  auto park = [&] {
    need_bytes = false;
    resume_later(c);
  };
  // Refuse the request being parsed (one record; parked when the batch is full).
  // A refused HEAD request's answer carries no body (RFC 9110 §9.3.2).
  auto fail = [&](http::ParseError e, bool body_error) {
    if (!batch_.room(1, 0, 0)) {
      park();
      return;
    }
    need_bytes = false;
    bool head_request = !body_error && len - pos >= 5 && memcmp(buf + pos, "HEAD ", 5) == 0;
    http_fail(c, e, body_error, head_request);
  };
  while (pos < len && !h.input_closed && c.state == ConnState::Open) {
    if (h.phase == HttpConn::Phase::Head) {
      // An upgrade waits for JS: accepted (WS_ACCEPT), the bytes behind it are frames; answered, it closes.
      if (h.upgrading || h.outstanding >= kMaxOutstandingRequests || c.paused) {
        need_bytes = false;
        break;
      }  // resumed by responses / resume()
      if (c.queued() > kOutputHighWater) {
        h.output_blocked = true;
        need_bytes = false;
        break;
      }  // resumed as sends progress
      // Empty lines before a request line are ignored (RFC 9112 §2.2), a few at most;
      // skipped here so the CRLFCRLF search below never matches them.
      while (len - pos >= 2 && buf[pos] == '\r' && buf[pos + 1] == '\n' && h.empty_lines < kMaxEmptyLines) {
        pos += 2;
        h.empty_lines++;
        scanned = scanned > 2 ? scanned - 2 : 0;
      }
      if (pos >= len) break;
      if (len - pos >= 2 && buf[pos] == '\r' && buf[pos + 1] == '\n') {
        fail(http::ParseError::BadRequest, false);
        break;
      }
      if (!h.head_started_ms) {
        h.head_started_ms = now_ms_;
        if (!h.request_started_ms) h.request_started_ms = now_ms_;
      }
      size_t from = scanned > 3 ? scanned - 3 : 0;
      const uint8_t* end = find_head_end(buf + pos, len - pos, from);
      if (!end) {
        // Incomplete: refuse at once what can never become a head (TLS, bare LF, …) or is too large already.
        http::ParseError e;
        if (len - pos > opt.limits.max_head_bytes) {
          http::RequestHead partial;
          e = http::parse_request_head(buf + pos, len - pos, opt.limits, partial, field_tmp_.data());
          if (e == http::ParseError::None) e = http::ParseError::HeadTooLarge;
        } else {
          e = http::check_partial_head(buf + pos, len - pos, scanned, opt.limits, field_tmp_.data());
        }
        if (e != http::ParseError::None) {
          fail(e, false);
          break;
        }
        scanned = (uint32_t)(len - pos);
        break;
      }
      http::RequestHead head;
      http::ParseError e =
          http::parse_request_head(buf + pos, (size_t)(end - (buf + pos)), opt.limits, head, field_tmp_.data());
      if (e != http::ParseError::None) {
        fail(e, false);
        break;
      }
      if (!batch_.room(1, head.head_len, head.field_count)) {
        park();
        break;
      }
      emit_request(c, buf + pos, head);
      pos += head.head_len;
      scanned = 0;
      h.empty_lines = 0;
      h.head_started_ms = 0;
      h.outstanding++;
      h.discard_body = false;
      h.timeout_reported = false;
      if (!head.keep_alive || head.upgrade) h.last_request = true;
      h.upgrading = head.websocket;
      if (head.chunked) {
        h.phase = HttpConn::Phase::BodyChunked;
        h.chunked.reset(opt.limits.max_body_bytes);
      } else if (head.content_length > 0) {
        h.phase = HttpConn::Phase::BodyLength;
        h.body_remaining = (uint64_t)head.content_length;
      } else if (h.last_request && !h.upgrading) {
        h.input_closed = true;
      }
    } else if (h.phase == HttpConn::Phase::BodyLength) {
      // BODY and BODY_END: two records, and body bytes up to the data room.
      if (!h.discard_body && !batch_.room(2, 1, 0)) {
        park();
        break;
      }
      size_t take = (size_t)std::min<uint64_t>(len - pos, h.body_remaining);
      if (!h.discard_body) {
        take = std::min<size_t>(take, batch_.data_room());
        uint32_t off = batch_.copy(buf + pos, (uint32_t)take);
        write_body(batch_.next_event(), id, off, (uint32_t)take);
      }
      pos += take;
      h.body_remaining -= take;
      if (h.body_remaining == 0) {
        if (!h.discard_body) write_body_end(batch_.next_event(), id);
        h.phase = HttpConn::Phase::Head;
        if (h.last_request && !h.upgrading) h.input_closed = true;
      }
    } else {
      // The data of every chunk in this input goes into one BODY record (body
      // bytes never outnumber the input bytes that carry them, so the input
      // offered is capped at the data room); BODY_END or an error is the second record.
      if (!batch_.room(2, h.discard_body ? 0 : 1, 0)) {
        park();
        break;
      }
      size_t offer = h.discard_body ? len - pos : std::min<size_t>(len - pos, batch_.data_room());
      uint32_t body_off = batch_.data_used, body_len = 0;
      auto r = h.chunked.feed(buf + pos, offer, [&](const uint8_t* d, size_t dn) {
        if (h.discard_body) return;
        batch_.copy(d, (uint32_t)dn);
        body_len += (uint32_t)dn;
      });
      if (body_len) { write_body(batch_.next_event(), id, body_off, body_len); }
      pos += r.consumed;
      if (r.error != http::ParseError::None) {
        fail(r.error, true);
        break;
      }
      if (r.done) {
        if (!h.discard_body) write_body_end(batch_.next_event(), id);
        h.phase = HttpConn::Phase::Head;
        if (h.last_request && !h.upgrading) h.input_closed = true;
      } else if (r.consumed == 0) {
        break;
      }
    }
  }
  if (c.state != ConnState::Open || !c.http) return;
  // Keep what is left (a partial head, or input parked behind outstanding responses or a full batch).
  if (h.input_closed) pos = len;
  keep_input(c, in, pos, (size_t)opt.limits.max_head_bytes + cfg_.buffer_size);
  h.scanned = pos >= len ? 0 : scanned;
  if (need_bytes && c.peer_eof && !h.input_closed) http_eof(c);
}

// The client sent its FIN and every complete request before it is parsed.
// Answers still owed go out, then the connection closes; a request cut off
// in its head or body is answered 400 (for a body: by JS, unless the app
// already answered), as node:http does.
void Loop::http_eof(Connection& c) {
  HttpConn& h = *c.http;
  bool in_body = h.phase != HttpConn::Phase::Head;
  if (in_body || !c.inbuf.empty()) {
    if (!batch_.room(1, 0, 0)) {
      resume_later(c);
      return;
    }
    http_fail(c, http::ParseError::BadRequest, in_body);
    return;
  }
  h.input_closed = true;
  if (h.outstanding == 0 && h.pending_error == http::ParseError::None) finish_then_close(c);
}

// Refuse the request being parsed (the caller checked room for one record).
// Head errors are answered here once every earlier response is out; body
// errors belong to a request JS already has, so JS answers (HTTP_ERROR w4 = 1)
// and closes.
void Loop::http_fail(Connection& c, http::ParseError e, bool body_error, bool head_request) {
  HttpConn& h = *c.http;
  h.input_closed = true;
  write_http_error(batch_.next_event(), id_of(c), e, body_error);
  if (body_error) return;
  if (h.outstanding == 0) {
    http_answer_error(c, http::error_response(e), head_request);
  } else {
    h.pending_error = e;
    h.pending_error_head = head_request;
  }
}

// Send a precomputed error answer (status line first, then a Date field added
// here; without its body to a HEAD request) and close after it.
void Loop::http_answer_error(Connection& c, std::string_view canned, bool head_only) {
  size_t line = canned.find("\r\n") + 2;
  size_t end = head_only ? http::response_head(canned).size() : canned.size();
  queue_send(c, (const uint8_t*)canned.data(), line);
  std::string_view date = http_date_field();
  queue_send(c, (const uint8_t*)date.data(), date.size());
  queue_send(c, (const uint8_t*)canned.data() + line, end - line);
  finish_then_close(c);
}

// "Date: <IMF-fixdate>\r\n" for the current second, formatted once per second.
std::string_view Loop::http_date_field() {
  time_t now = time(nullptr);
  if (now != date_second_) {
    static const char* const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char* const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm t;
    gmtime_r(&now, &t);
    int n = snprintf(date_field_, sizeof date_field_, "Date: %s, %02d %s %04d %02d:%02d:%02d GMT\r\n", days[t.tm_wday],
                     t.tm_mday, months[t.tm_mon], t.tm_year + 1900, t.tm_hour, t.tm_min, t.tm_sec);
    date_len_ = n > 0 ? (uint32_t)std::min<int>(n, sizeof date_field_ - 1) : 0;
    date_second_ = now;
  }
  return {date_field_, date_len_};
}

void Loop::http_response_done(Connection& c) {
  HttpConn& h = *c.http;
  if (h.outstanding > 0) h.outstanding--;
  h.timeout_reported = false;
  if (h.outstanding == 0) {
    h.idle_since_ms = now();
    h.request_started_ms = h.head_started_ms;
    if (h.pending_error != http::ParseError::None) {
      std::string_view r = http::error_response(h.pending_error);
      h.pending_error = http::ParseError::None;
      http_answer_error(c, r, h.pending_error_head);
      return;
    }
    if (h.input_closed && c.peer_eof && !c.close_after_send) {
      // The client half-closed and has every answer: finish once they are sent.
      finish_then_close(c);
      return;
    }
  }
  // Input parked behind the answers owed (or a FIN to act on) is parsed now.
  if (!h.input_closed && (!c.inbuf.empty() || c.peer_eof) && h.outstanding < kMaxOutstandingRequests) resume_later(c);
}

// Sends progressed: a connection that stopped parsing for unsent output goes on below the mark.
void Loop::http_output_progress(Connection& c) {
  HttpConn& h = *c.http;
  if (h.output_blocked && c.queued() <= kOutputHighWater) {
    h.output_blocked = false;
    resume_later(c);
  }
}

// Every state, closing ones included: output the peer does not take for
// send_timeout ends the connection (a client that never reads). True when it did.
bool Loop::send_stalled(Connection& c, uint64_t now) {
  const uint32_t limit = http_opts(c).send_timeout_ms;
  if (!limit || !(c.send_inflight || c.queued() > 0) || now - c.send_progress_ms < limit) return false;
  stats_.send_stalls++;
  write_timeout(late_record(), id_of(c), TO_SEND);
  begin_close(c, -ETIMEDOUT);
  return true;
}

void Loop::http_timeouts(Connection& c, uint64_t now) {
  HttpConn& h = *c.http;
  const HttpOptions& opt = http_opts(c);
  if (send_stalled(c, now)) return;
  if (c.close_after_send || c.linger_until_ms) return;  // closing: the send stall and linger deadlines apply
  auto answer_408 = [&](TimeoutKind kind) {
    write_timeout(late_record(), id_of(c), kind);
    h.input_closed = true;
    http_answer_error(c, http::timeout_response());
  };
  if (h.outstanding == 0) {
    if (h.head_started_ms && opt.headers_timeout_ms && now - h.head_started_ms >= opt.headers_timeout_ms) {
      stats_.headers_timeouts++;
      answer_408(TO_HEADERS);
    } else if (h.request_started_ms && opt.request_timeout_ms && now - h.request_started_ms >= opt.request_timeout_ms) {
      stats_.request_timeouts++;
      answer_408(TO_REQUEST);
    } else if (!h.head_started_ms && c.inbuf.empty() && h.phase == HttpConn::Phase::Head &&
               now - h.idle_since_ms >= opt.keep_alive_timeout_ms) {
      // keep_alive_timeout_ms 0: JS sends Connection: close on every response, so idle never lasts.
      if (opt.keep_alive_timeout_ms) {
        stats_.idle_timeouts++;
        write_timeout(late_record(), id_of(c), TO_IDLE);
        begin_close(c, 0);
      }
    }
  } else if (opt.request_timeout_ms && h.request_started_ms && now - h.request_started_ms >= opt.request_timeout_ms &&
             !h.timeout_reported) {
    // A handler is still working: JS answers 408 if it has not started the response, else closes.
    h.timeout_reported = true;
    stats_.request_timeouts++;
    write_timeout(late_record(), id_of(c), TO_REQUEST);
  }
}

}  // namespace ringside
