{
  "targets": [
    {
      "target_name": "chainlab_native",
      "sources": ["chainlab_native.cc", "gemm.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_DISABLE_CPP_EXCEPTIONS", "NAPI_VERSION=8"],
      "cflags_cc!": ["-fno-exceptions", "-O2", "-O3"],
      "cflags_cc": ["-O3", "-std=c++17", "-fno-trapping-math", "-fno-math-errno", "<@(simd_flags)"],
      "conditions": [
        ["openblas_lib != ''", {
          "include_dirs": ["<(cblas_include)"],
          "libraries": ["<(openblas_lib)"],
          "defines": ["CHAINLAB_OPENBLAS"],
          "ldflags": ["-Wl,-rpath,<(openblas_rpath)"]
        }]
      ]
    }
  ],
  "variables": {
    "cblas_include%": "/usr/include",
    "openblas_lib%": "",
    "openblas_rpath%": "/usr/lib",
    "simd_flags%": []
  }
}
