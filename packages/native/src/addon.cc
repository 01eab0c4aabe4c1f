// N-API glue: per-environment loop state (safe in worker threads), libuv
// handles that drive the loop, and the binding functions typed in
// lib/index.ts. Knows nothing of io_uring opcodes.
#include <napi.h>
#include <uv.h>

#include <memory>
#include <string>

#include "loop.h"
#include "release_memory.h"

namespace ringside {
namespace {

struct AddonData {
  napi_env env;
  Loop loop;
  bool inited = false;
  bool shutdown_pending = false;  // shutdown() called from inside a batch: done when it unwinds
  uv_loop_t* uv = nullptr;
  uv_poll_t* poll = nullptr;
  uv_prepare_t* prepare = nullptr;
  uv_timer_t* timer = nullptr;
  unsigned timer_ms = 0;
  napi_ref on_batch = nullptr;
  std::vector<Napi::Reference<Napi::Value>> memory;  // keeps the shared arrays alive
  napi_async_context async = nullptr;
  explicit AddonData(Napi::Env e) : env(e) {}
};

// Raw N-API in the libuv callbacks: while a worker thread is being terminated
// JS cannot run, and node-addon-api's wrappers would turn that failure into a
// fatal error. Here it just means: drop the batch, the environment is going.
struct RawScope {
  napi_env env;
  napi_handle_scope scope = nullptr;
  bool ok;
  explicit RawScope(napi_env e) : env(e) { ok = napi_open_handle_scope(e, &scope) == napi_ok; }
  ~RawScope() {
    if (ok) napi_close_handle_scope(env, scope);
  }
};

AddonData* data_of(Napi::Env env) { return env.GetInstanceData<AddonData>(); }

Napi::Value throw_error(Napi::Env env, const std::string& msg, int err = 0) {
  Napi::Error e = Napi::Error::New(env, msg);
  if (err) e.Set("errno", Napi::Number::New(env, err));
  e.ThrowAsJavaScriptException();
  return env.Undefined();
}

void shutdown_loop(AddonData* d);

void update_ref(AddonData* d) {
  if (d->shutdown_pending && !d->loop.busy()) {
    d->shutdown_pending = false;
    shutdown_loop(d);
  }
  if (!d->poll) return;
  // Only open listeners and connections keep the process alive.
  if (d->loop.has_refs())
    uv_ref((uv_handle_t*)d->poll);
  else
    uv_unref((uv_handle_t*)d->poll);
  if (d->timer && d->timer_ms != d->loop.tick_ms()) {
    d->timer_ms = d->loop.tick_ms();
    uv_timer_start(
        d->timer,
        [](uv_timer_t* t) {
          auto* dd = (AddonData*)t->data;
          RawScope scope(dd->env);
          if (!scope.ok) return;
          dd->loop.on_tick();
          update_ref(dd);
        },
        d->timer_ms, d->timer_ms);
  }
}

void deliver(void* ctx, uint32_t count) {
  auto* d = (AddonData*)ctx;
  napi_env env = d->env;
  RawScope scope(env);
  if (!scope.ok) return;
  napi_value cb, recv, arg, result;
  if (napi_get_reference_value(env, d->on_batch, &cb) != napi_ok || cb == nullptr) return;
  napi_get_global(env, &recv);
  napi_create_uint32(env, count, &arg);
  // make_callback: microtasks (promise continuations of handlers) run when it
  // returns, so their writes are in the output area before the loop flushes it.
  napi_status st = napi_make_callback(env, d->async, recv, cb, 1, &arg, &result);
  if (st == napi_pending_exception) {
    napi_value err;
    if (napi_get_and_clear_last_exception(env, &err) == napi_ok) napi_fatal_exception(env, err);
  }
}

// Each handle is freed as the type it was allocated as, once libuv is done with it.
template <typename Handle>
void close_handle(Handle*& h) {
  if (!h) return;
  auto* base = (uv_handle_t*)h;
  if (!uv_is_closing(base)) uv_close(base, [](uv_handle_t* x) { delete (Handle*)x; });
  h = nullptr;
}

void close_handles(AddonData* d) {
  if (d->poll) uv_poll_stop(d->poll);
  if (d->prepare) uv_prepare_stop(d->prepare);
  if (d->timer) uv_timer_stop(d->timer);
  close_handle(d->poll);
  close_handle(d->prepare);
  close_handle(d->timer);
  d->timer_ms = 0;
}

template <typename T>
bool take_array(AddonData* d, Napi::Object o, const char* name, T*& ptr, uint32_t& len, uint32_t divisor = 1) {
  Napi::Value v = o.Get(name);
  if (!v.IsTypedArray()) return false;
  Napi::TypedArray ta = v.As<Napi::TypedArray>();
  ptr = (T*)((uint8_t*)ta.ArrayBuffer().Data() + ta.ByteOffset());
  len = (uint32_t)(ta.ByteLength() / sizeof(T) / divisor);
  d->memory.push_back(Napi::Persistent(v));
  return true;
}

uint32_t get_u32(Napi::Object o, const char* name, uint32_t def) {
  Napi::Value v = o.Get(name);
  return v.IsNumber() ? v.As<Napi::Number>().Uint32Value() : def;
}

Napi::Value Probe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ProbeInfo p = probe_io_uring();
  Napi::Object o = Napi::Object::New(env);
  o.Set("usable", p.usable);
  o.Set("reason", p.reason);
  o.Set("errno", p.err);
  o.Set("kernel", p.kernel);
  o.Set("ioUringDisabled", p.io_uring_disabled);
  Napi::Array flags = Napi::Array::New(env);
  uint32_t i = 0;
  auto flag = [&](unsigned bit, const char* name) {
    if (p.setup_flags & bit) flags.Set(i++, name);
  };
  flag(IORING_SETUP_SINGLE_ISSUER, "SINGLE_ISSUER");
  flag(IORING_SETUP_DEFER_TASKRUN, "DEFER_TASKRUN");
  flag(IORING_SETUP_COOP_TASKRUN, "COOP_TASKRUN");
  flag(IORING_SETUP_TASKRUN_FLAG, "TASKRUN_FLAG");
  flag(IORING_SETUP_SUBMIT_ALL, "SUBMIT_ALL");
  flag(IORING_SETUP_NO_SQARRAY, "NO_SQARRAY");
  flag(IORING_SETUP_CQSIZE, "CQSIZE");
  o.Set("setupFlags", flags);
  Napi::Object f = Napi::Object::New(env);
  f.Set("multishotAccept", p.multishot_accept);
  f.Set("multishotRecv", p.multishot_recv);
  f.Set("bufferRing", p.buffer_ring);
  f.Set("incrementalBuffers", p.incremental_buffers);
  f.Set("send", p.op_send);
  f.Set("shutdown", p.op_shutdown);
  f.Set("asyncCancel", p.op_cancel);
  f.Set("deferTaskrun", p.defer_taskrun);
  f.Set("singleIssuer", p.single_issuer);
  f.Set("noSqArray", p.no_sqarray);
  f.Set("registeredRing", p.registered_ring);
  o.Set("features", f);
  return o;
}

Napi::Value Init(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  AddonData* d = data_of(env);
  if (d->shutdown_pending) {
    d->shutdown_pending = false;
    shutdown_loop(d);
  }
  if (d->inited)
    return throw_error(env, "ringside: the loop of this thread is already initialised; call shutdown() first");
  if (!info[0].IsObject()) return throw_error(env, "init(options): options must be an object");
  Napi::Object o = info[0].As<Napi::Object>();
  Napi::Value cb = o.Get("onBatch");
  if (!cb.IsFunction()) return throw_error(env, "init(options): options.onBatch must be a function");
  d->memory.clear();
  SharedMemory mem{};
  bool ok = take_array(d, o, "events", mem.events, mem.event_cap, kEventWords) &&
            take_array(d, o, "eventData", mem.data, mem.data_cap) &&
            take_array(d, o, "fields", mem.fields, mem.field_cap, kFieldWords) &&
            take_array(d, o, "outData", mem.out_data, mem.out_data_cap) &&
            take_array(d, o, "queued", mem.queued, mem.queued_cap);
  uint32_t out_words = 0;
  ok = ok && take_array(d, o, "out", mem.out, out_words);
  if (!ok || out_words < kOutHeaderWords)
    return throw_error(env, "init(options): events, eventData, fields, out, outData and queued must be typed arrays");
  mem.out_cap = (out_words - kOutHeaderWords) / kOutWords;
  LoopConfig cfg;
  cfg.entries = get_u32(o, "entries", cfg.entries);
  cfg.buffer_count = get_u32(o, "bufferCount", cfg.buffer_count);
  cfg.buffer_size = get_u32(o, "bufferSize", cfg.buffer_size);
  cfg.incremental_buffers = !o.Has("incrementalBuffers") || o.Get("incrementalBuffers").ToBoolean();
  cfg.max_connections = get_u32(o, "maxConnections", cfg.max_connections);
  cfg.batch_events = get_u32(o, "batchEvents", 0);
  cfg.batch_data = get_u32(o, "batchData", 0);
  cfg.batch_fields = get_u32(o, "batchFields", 0);
  cfg.epoll = o.Get("driver").ToString().Utf8Value() == "epoll";
  cfg.quiet_release_ms = get_u32(o, "quietReleaseMs", cfg.quiet_release_ms);
  std::string why;
  int r = d->loop.init(cfg, mem, deliver, d, why);
  if (r < 0) {
    d->memory.clear();
    return throw_error(env, "ringside: io_uring loop setup failed: " + why, -r);
  }
  napi_create_reference(env, cb, 1, &d->on_batch);
  napi_value resource, name;
  napi_create_object(env, &resource);
  napi_create_string_utf8(env, "ringside:batch", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, resource, name, &d->async);
  napi_get_uv_event_loop(env, &d->uv);
  d->poll = new uv_poll_t;
  uv_poll_init(d->uv, d->poll, d->loop.poll_fd());
  d->poll->data = d;
  uv_poll_start(d->poll, UV_READABLE, [](uv_poll_t* h, int status, int events) {
    auto* dd = (AddonData*)h->data;
    RawScope scope(dd->env);
    if (!scope.ok) return;
    dd->loop.on_wakeup();
    update_ref(dd);
  });
  d->prepare = new uv_prepare_t;
  uv_prepare_init(d->uv, d->prepare);
  d->prepare->data = d;
  uv_prepare_start(d->prepare, [](uv_prepare_t* h) {
    auto* dd = (AddonData*)h->data;
    RawScope scope(dd->env);
    if (!scope.ok) return;
    dd->loop.on_prepare();
    update_ref(dd);
  });
  uv_unref((uv_handle_t*)d->prepare);
  d->timer = new uv_timer_t;
  uv_timer_init(d->uv, d->timer);
  d->timer->data = d;
  uv_unref((uv_handle_t*)d->timer);
  d->inited = true;
  update_ref(d);
  return env.Undefined();
}

Napi::Value Listen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  AddonData* d = data_of(env);
  if (!d->inited) return throw_error(env, "ringside: init() must be called before listen()");
  if (!info[0].IsObject()) return throw_error(env, "listen(options): options must be an object");
  Napi::Object o = info[0].As<Napi::Object>();
  ListenConfig cfg;
  cfg.host = o.Get("host").ToString().Utf8Value();
  cfg.port = (int)get_u32(o, "port", 0);
  cfg.backlog = (int)get_u32(o, "backlog", 4096);
  cfg.reuse_port = o.Get("reusePort").ToBoolean();
  cfg.ipv6_only = o.Get("ipv6Only").ToBoolean();
  Napi::Value h = o.Get("http");
  if (h.IsObject()) {
    Napi::Object ho = h.As<Napi::Object>();
    cfg.http = true;
    http::Limits& l = cfg.http_options.limits;
    l.max_head_bytes = get_u32(ho, "maxHeaderSize", l.max_head_bytes);
    l.max_headers = get_u32(ho, "maxHeaders", l.max_headers);
    l.max_url_bytes = get_u32(ho, "maxUrlLength", l.max_url_bytes);
    Napi::Value bl = ho.Get("bodyLimit");
    if (bl.IsNumber()) l.max_body_bytes = (uint64_t)bl.As<Napi::Number>().DoubleValue();
    cfg.http_options.headers_timeout_ms = get_u32(ho, "headersTimeout", 0);
    cfg.http_options.request_timeout_ms = get_u32(ho, "requestTimeout", 0);
    cfg.http_options.keep_alive_timeout_ms = get_u32(ho, "keepAliveTimeout", 0);
    cfg.http_options.send_timeout_ms = get_u32(ho, "sendTimeout", 0);
  }
  int port = 0, family = 4;
  std::string address, why;
  int id = d->loop.listen(cfg, port, address, family, why);
  if (id < 0) return throw_error(env, "ringside: listen failed: " + why, -id);
  update_ref(d);
  Napi::Object r = Napi::Object::New(env);
  r.Set("id", id);
  r.Set("port", port);
  r.Set("address", address);
  r.Set("family", family);
  return r;
}

Napi::Value CloseListener(const Napi::CallbackInfo& info) {
  AddonData* d = data_of(info.Env());
  if (d->inited) d->loop.close_listener(info[0].As<Napi::Number>().Int32Value());
  update_ref(d);
  return info.Env().Undefined();
}

Napi::Value Flush(const Napi::CallbackInfo& info) {
  AddonData* d = data_of(info.Env());
  if (d->inited) d->loop.flush_out();
  return info.Env().Undefined();
}

// One output record whose bytes are a JS buffer rather than a span of the
// output area (large writes and WebSocket messages): op (with its flag bits), id, bytes.
Napi::Value Output(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  AddonData* d = data_of(env);
  if (!d->inited || !info[2].IsTypedArray()) return env.Undefined();
  Napi::TypedArray ta = info[2].As<Napi::TypedArray>();
  const uint8_t* p = (const uint8_t*)ta.ArrayBuffer().Data() + ta.ByteOffset();
  int32_t op = info[0].As<Napi::Number>().Int32Value();
  d->loop.apply_out(op & 0xff, op & ~0xff, info[1].As<Napi::Number>().Uint32Value(), p, ta.ByteLength());
  return env.Undefined();
}

Napi::Value Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  AddonData* d = data_of(env);
  const LoopStats& s = d->loop.stats();
  Napi::Object o = Napi::Object::New(env);
#define RINGSIDE_STATS_KEY(field, key) o.Set(key, (double)s.field);
  RINGSIDE_LOOP_STATS(RINGSIDE_STATS_KEY)
#undef RINGSIDE_STATS_KEY
  return o;
}

Napi::Value ReleaseMemory(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), release_memory()); }

void shutdown_loop(AddonData* d) {
  if (!d->inited) return;
  d->loop.destroy();
  close_handles(d);
  if (d->on_batch) {
    napi_delete_reference(d->env, d->on_batch);
    d->on_batch = nullptr;
  }
  if (d->async) {
    napi_async_destroy(d->env, d->async);
    d->async = nullptr;
  }
  d->memory.clear();
  d->inited = false;
}

Napi::Value Shutdown(const Napi::CallbackInfo& info) {
  AddonData* d = data_of(info.Env());
  if (d->loop.busy())
    d->shutdown_pending = true;
  else
    shutdown_loop(d);
  return info.Env().Undefined();
}

// Environment teardown (process exit or a worker ending): release the ring and fds.
void teardown(Napi::Env, AddonData* d) {
  if (d->inited) {
    d->loop.destroy();
    close_handles(d);
    d->inited = false;
  }
  delete d;
}

Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  auto* d = new AddonData(env);
  env.SetInstanceData<AddonData, teardown>(d);
  exports.Set("probe", Napi::Function::New(env, Probe, "probe"));
  exports.Set("init", Napi::Function::New(env, Init, "init"));
  exports.Set("listen", Napi::Function::New(env, Listen, "listen"));
  exports.Set("closeListener", Napi::Function::New(env, CloseListener, "closeListener"));
  exports.Set("flush", Napi::Function::New(env, Flush, "flush"));
  exports.Set("output", Napi::Function::New(env, Output, "output"));
  exports.Set("stats", Napi::Function::New(env, Stats, "stats"));
  exports.Set("shutdown", Napi::Function::New(env, Shutdown, "shutdown"));
  exports.Set("releaseMemory", Napi::Function::New(env, ReleaseMemory, "releaseMemory"));
  return exports;
}

}  // namespace
}  // namespace ringside

static Napi::Object InitRingside(Napi::Env env, Napi::Object exports) { return ringside::InitModule(env, exports); }
NODE_API_MODULE(ringside, InitRingside)
