// Run-time choice of SIMD code for the hash functions.
//
// With GCC or Clang on x86, the hashes compile every kernel into the same
// object file, each function marked with the instruction set it needs
// (DN_TARGET_* below), so no global -m flags are required: a baseline
// x86-64 build (SSE2 only) still carries the AVX2 and AVX-512 kernels. The
// CPU is inspected once, the first time a hash asks (thread-safe static
// initialization), and each hash then uses the best kernel it has for that
// level. Nothing here changes after that.
//
// The level can be capped (never raised) for a whole process with the
// environment variable DELTANODE_SIMD, read once at that first use:
//   DELTANODE_SIMD=avx512 | avx2 | sse4.1 | sse2 | portable
// ("scalar" and "none" mean portable). Unknown values are ignored. Tests and
// benchmarks reach every kernel in one process through each hash's own
// explicit-path functions instead.
//
// Other compilers (MSVC) get the kernels their compile flags already
// guarantee, chosen at compile time; other architectures get the portable
// code. The DELTANODE_*_PORTABLE switches in the hash files still remove the
// SIMD code altogether.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>

#if (defined(__GNUC__) || defined(__clang__)) && \
    (defined(__x86_64__) || defined(__i386__))
#define DN_X86_DISPATCH 1
#include <cpuid.h>
// Instruction sets a function may use. "sse4.1" implies SSSE3, "avx2"
// implies everything before it. The AVX-512 level also needs VL (the 128-
// and 256-bit forms, for rotates on narrow vectors) and BW.
#define DN_TARGET_SSE2 __attribute__((target("sse2")))
#define DN_TARGET_SSE41 __attribute__((target("sse4.1")))
#define DN_TARGET_AVX2 __attribute__((target("avx2")))
#define DN_TARGET_AVX512 \
  __attribute__((target("avx2,avx512f,avx512vl,avx512bw")))
#define DN_SIMD_SSE2 1
#define DN_SIMD_SSE41 1
#define DN_SIMD_AVX2 1
#define DN_SIMD_AVX512 1
#else
// No target attributes: only what the compile flags guarantee.
#define DN_X86_DISPATCH 0
#define DN_TARGET_SSE2
#define DN_TARGET_SSE41
#define DN_TARGET_AVX2
#define DN_TARGET_AVX512
#if defined(__SSE2__) || defined(_M_X64) || \
    (defined(_M_IX86_FP) && _M_IX86_FP >= 2)
#define DN_SIMD_SSE2 1
#endif
#if defined(__SSE4_1__) || defined(__AVX__)
#define DN_SIMD_SSE41 1
#endif
#if defined(__AVX2__)
#define DN_SIMD_AVX2 1
#endif
#if defined(__AVX512F__) && defined(__AVX512VL__) && defined(__AVX512BW__)
#define DN_SIMD_AVX512 1
#endif
#endif
#ifndef DN_SIMD_SSE2
#define DN_SIMD_SSE2 0
#endif
#ifndef DN_SIMD_SSE41
#define DN_SIMD_SSE41 0
#endif
#ifndef DN_SIMD_AVX2
#define DN_SIMD_AVX2 0
#endif
#ifndef DN_SIMD_AVX512
#define DN_SIMD_AVX512 0
#endif

#if DN_SIMD_SSE2
#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 reports the deliberately undefined vectors inside its own AVX-512
// intrinsics as (maybe) uninitialized once they are inlined into a function
// with a target attribute (GCC bug 105593). The warnings point into the
// header, so they are silenced for the header's text only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#else
#include <immintrin.h>
#endif
#endif

namespace deltanode {
namespace cpu {

// Ordered: a CPU that supports a level supports every level below it.
enum class Simd : uint8_t {
  kPortable = 0,
  kSse2 = 1,
  kSse41 = 2,
  kAvx2 = 3,
  kAvx512 = 4,
};

// The names DELTANODE_SIMD accepts (see the top of this file).
inline bool parseSimd(const char* name, Simd* level) noexcept {
  if (name == nullptr) return false;
  static const struct {
    const char* name;
    Simd level;
  } kNames[] = {{"avx512", Simd::kAvx512},  {"avx2", Simd::kAvx2},
                {"sse4.1", Simd::kSse41},   {"sse41", Simd::kSse41},
                {"sse2", Simd::kSse2},      {"portable", Simd::kPortable},
                {"scalar", Simd::kPortable}, {"none", Simd::kPortable}};
  for (const auto& n : kNames) {
    if (std::strcmp(name, n.name) == 0) {
      *level = n.level;
      return true;
    }
  }
  return false;
}

namespace detail {

#if DN_X86_DISPATCH
// Which register state the operating system saves on context switches. A
// CPU may report AVX or AVX-512 while the OS leaves the wide registers
// disabled; using them would then fault.
inline uint64_t enabledRegisterState() noexcept {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) == 0) return 0;
  if ((ecx & (1u << 27)) == 0) return 0;  // OSXSAVE: XGETBV is usable
  unsigned lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (uint64_t(hi) << 32) | lo;
}
#endif

inline Simd detect() noexcept {
#if DN_X86_DISPATCH
  // Needed when this runs before the runtime's own constructors, e.g. from
  // a static initializer in another object; calling it again is harmless.
  __builtin_cpu_init();
  const uint64_t xcr0 = enabledRegisterState();
  const bool ymmState = (xcr0 & 0x6) == 0x6;     // SSE and AVX state
  const bool zmmState = (xcr0 & 0xE6) == 0xE6;   // plus opmask and ZMM
  if (zmmState && __builtin_cpu_supports("avx512f") &&
      __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx2")) {
    return Simd::kAvx512;
  }
  if (ymmState && __builtin_cpu_supports("avx2")) return Simd::kAvx2;
  if (__builtin_cpu_supports("sse4.1")) return Simd::kSse41;
  if (__builtin_cpu_supports("sse2")) return Simd::kSse2;
  return Simd::kPortable;
#elif DN_SIMD_AVX512
  return Simd::kAvx512;
#elif DN_SIMD_AVX2
  return Simd::kAvx2;
#elif DN_SIMD_SSE41
  return Simd::kSse41;
#elif DN_SIMD_SSE2
  return Simd::kSse2;
#else
  return Simd::kPortable;
#endif
}

inline Simd capFromEnvironment() noexcept {
  Simd cap = Simd::kAvx512;
  // An unknown value leaves the cap alone: a typo must not silently make
  // every hash slow.
  parseSimd(std::getenv("DELTANODE_SIMD"), &cap);
  return cap;
}

}  // namespace detail

// The best level this CPU and OS support. Computed once (thread-safe).
inline Simd supportedSimd() noexcept {
  static const Simd level = detail::detect();
  return level;
}

// supportedSimd(), capped by DELTANODE_SIMD. What the hashes use by default.
inline Simd selectedSimd() noexcept {
  static const Simd level = [] {
    const Simd cap = detail::capFromEnvironment();
    const Simd have = supportedSimd();
    return cap < have ? cap : have;
  }();
  return level;
}

// Kernel tables: arrays of structs with a `name` and the `level` they need, best first, the last
// one portable. Each hash keeps its own table and asks these three questions of it.

// The best kernel of the table that `level` allows.
template <class Kernel, size_t N>
const Kernel& bestKernel(const Kernel (&kernels)[N], Simd level) noexcept {
  for (const Kernel& k : kernels) {
    if (k.level <= level) return k;
  }
  return kernels[N - 1];
}

// The kernel called `name` if this CPU can run it (DELTANODE_SIMD aside), else null.
template <class Kernel, size_t N>
const Kernel* supportedKernelNamed(const Kernel (&kernels)[N], const char* name) noexcept {
  if (name == nullptr) return nullptr;
  for (const Kernel& k : kernels) {
    if (std::strcmp(k.name, name) == 0) return k.level <= supportedSimd() ? &k : nullptr;
  }
  return nullptr;
}

// The names of the kernels this CPU can run, best first, then a null pointer. Built once per table.
template <class Kernel, size_t N>
const char* const* supportedKernelNames(const Kernel (&kernels)[N]) noexcept {
  struct Names {
    const char* list[N + 1] = {};
    explicit Names(const Kernel (&table)[N]) noexcept {
      size_t n = 0;
      for (const Kernel& k : table) {
        if (k.level <= supportedSimd()) list[n++] = k.name;
      }
    }
  };
  static const Names names(kernels);
  return names.list;
}

}  // namespace cpu
}  // namespace deltanode
