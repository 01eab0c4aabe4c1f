{
  "targets": [
    {
      "target_name": "ringside",
      "sources": [
        "src/addon.cc",
        "src/ring.cc",
        "src/buffer_ring.cc",
        "src/epoll_driver.cc",
        "src/loop.cc",
        "src/loop_accept.cc",
        "src/loop_receive.cc",
        "src/loop_send.cc",
        "src/loop_close.cc",
        "src/loop_sweep.cc",
        "src/loop_http.cc",
        "src/loop_ws.cc",
        "src/ws_deflate.cc",
        "src/http_parser.cc",
        "src/release_memory.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++20", "-O2", "-fno-exceptions", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers"]
    }
  ]
}
