{
  "targets": [
    {
      "target_name": "backprop_native",
      "sources": [
        "native/src/addon.cc",
        "native/src/gemm.cc",
        "native/src/thread_pool.cc",
        "native/src/elementwise.cc",
        "native/src/optimizer.cc",
        "native/src/conv.cc",
        "native/src/conv_gemm.cc",
        "native/src/batch_norm.cc",
        "native/src/layer_norm.cc",
        "native/src/attention.cc",
        "native/src/adam_avx512.cc",
        "native/src/adam_avx2.cc",
        "native/src/unary_avx512.cc",
        "native/src/unary_avx2.cc",
        "native/src/kernel_avx512.cc",
        "native/src/pack_avx512.cc",
        "native/src/kernel_avx2.cc",
        "native/src/kernel_generic.cc"
      ],
      "defines": ["NAPI_VERSION=8"],
      "cflags_cc": ["-O3", "-std=c++17", "-fno-exceptions", "-fno-rtti", "-fno-math-errno", "-ffp-contract=off", "-Wall", "-Wextra"],
      "cflags_cc!": ["-O2", "-std=gnu++17"],
      "ldflags": ["-pthread"],
      "xcode_settings": {
        "OTHER_CPLUSPLUSFLAGS": ["-O3", "-std=c++17", "-fno-exceptions", "-fno-rtti", "-ffp-contract=off"]
      }
    }
  ]
}
