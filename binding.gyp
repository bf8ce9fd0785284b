{
  "variables": {
    # Builds from source tune for the machine that runs them; prebuilds pass portable=1.
    "deltanode_portable%": "0"
  },
  "targets": [
    {
      "target_name": "deltanode",
      "sources": [
        "native/errors.cc",
        "native/format.cc",
        "native/params.cc",
        "native/hash_md4.cc",
        "native/hash_blake2b.cc",
        "native/hash_xxh3.cc",
        "native/hash_blake3.cc",
        "native/strong_sum.cc",
        "native/signature.cc",
        "native/signature_index.cc",
        "native/delta_encoder.cc",
        "native/delta.cc",
        "native/rolling_scan.cc",
        "native/patch.cc",
        "native/file_io.cc",
        "native/file_jobs.cc",
        "native/hash_file.cc",
        "native/scan_folder.cc",
        "native/file_batch.cc",
        "native/folder_chain.cc",
        "native/binding/common.cc",
        "native/binding/file_jobs.cc",
        "native/binding/engines.cc",
        "native/binding/hashes.cc",
        "native/binding/scan_folder.cc",
        "native/binding/file_batch.cc",
        "native/binding/folder_chain.cc",
        "native/binding/aead.cc",
        "native/binding/addon.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions", "-O2"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++1y", "-O2"],
      "cflags": ["-O3", "-fvisibility=hidden"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-O3", "-fvisibility=hidden", "-Wall", "-Wextra"],
      "conditions": [
        ["deltanode_portable==0 and target_arch=='x64'", {
          "cflags": ["-march=native"],
          "cflags_cc": ["-march=native"]
        }],
        ["OS=='mac'", {
          "xcode_settings": {
            "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
            "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
            "MACOSX_DEPLOYMENT_TARGET": "11.0",
            "OTHER_CPLUSPLUSFLAGS": ["-O3", "-fvisibility=hidden"]
          }
        }]
      ]
    }
  ]
}
