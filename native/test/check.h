// The few helpers the native test programs share: counted checks and hex formatting.
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace deltanode::test {

inline int gFailures = 0;
inline int gChecks = 0;

inline std::string toHex(const uint8_t* p, size_t n) {
  static const char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    s.push_back(kDigits[p[i] >> 4]);
    s.push_back(kDigits[p[i] & 15]);
  }
  return s;
}

inline void checkTrue(const std::string& what, bool ok) {
  ++gChecks;
  if (ok) return;
  ++gFailures;
  if (gFailures <= 50) std::printf("FAIL %s\n", what.c_str());
}

inline void check(const std::string& what, const std::string& got, const std::string& want) {
  ++gChecks;
  if (got == want) return;
  ++gFailures;
  if (gFailures <= 50) std::printf("FAIL %s\n  got  %s\n  want %s\n", what.c_str(), got.c_str(), want.c_str());
}

// A hash's list of run-time kernels (null-terminated, best first): not empty, ends with
// `portable`, and holds `chosen`, the kernel in use, which is the best one unless DELTANODE_SIMD
// caps it and the named one when the cap names a listed kernel. Returns how many are listed.
inline size_t checkKernelList(const std::string& hash, const char* const* names, const std::string& chosen) {
  size_t count = 0;
  bool listed = false;
  for (; names[count] != nullptr; ++count) listed = listed || chosen == names[count];
  checkTrue(hash + " kernels listed", count > 0);
  checkTrue(hash + " default kernel listed", listed);
  if (count == 0) return 0;
  check(hash + " last kernel", names[count - 1], "portable");
  const char* cap = std::getenv("DELTANODE_SIMD");
  if (cap == nullptr) check(hash + " default is the best", chosen, names[0]);
  for (size_t i = 0; cap != nullptr && i < count; ++i) {
    if (cap == std::string(names[i])) check(hash + " DELTANODE_SIMD picks the kernel", chosen, cap);
  }
  return count;
}

// Prints the closing line and gives main()'s exit status.
inline int finish(const char* name) {
  std::printf("%s: %d passed, %d failed\n", name, gChecks - gFailures, gFailures);
  return gFailures == 0 ? 0 : 1;
}

}  // namespace deltanode::test
