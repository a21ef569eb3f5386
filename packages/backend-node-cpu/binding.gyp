{
  "targets": [
    {
      "target_name": "lstm_native",
      "sources": [
        "native/adam.cc",
        "native/addon.cc",
        "native/gemm.cc",
        "native/lstm.cc",
        "native/thread_pool.cc"
      ],
      "cflags_cc": ["-O3", "-std=c++17", "-fno-math-errno", "-fno-trapping-math"],
      "cflags_cc!": ["-fno-exceptions"],
      "xcode_settings": {
        "OTHER_CPLUSPLUSFLAGS": ["-O3", "-std=c++17"],
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES"
      }
    }
  ]
}
