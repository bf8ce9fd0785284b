// The two rolling weak checksums of librsync, bit-exact: signatures must match rdiff's.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>

namespace deltanode {

// Adler-style sum: s1 = sum(b + 31), s2 = sum of successive s1, both mod 2^16.
class RollSum {
 public:
  static constexpr uint32_t kCharOffset = 31;

  void reset() noexcept { count_ = 0; s1_ = 0; s2_ = 0; }
  void update(const uint8_t* data, size_t length) noexcept {
    uint32_t s1 = s1_, s2 = s2_;
    size_t i = 0;
    // 32 bytes at a time: s2 gains 32 * s1 plus a weighted sum with fixed weights, which the
    // compiler turns into vector multiply-adds instead of a serial chain of additions.
    for (; i + 32 <= length; i += 32) {
      uint32_t sum = 0, weighted = 0;
      for (uint32_t j = 0; j < 32; ++j) {
        sum += data[i + j];
        weighted += (32 - j) * data[i + j];
      }
      s2 += 32 * s1 + weighted + kCharOffset * (32 * 33 / 2);
      s1 += sum + 32 * kCharOffset;
    }
    for (; i < length; ++i) {
      s1 += data[i] + kCharOffset;
      s2 += s1;
    }
    s1_ = s1 & 0xffff;
    s2_ = s2 & 0xffff;
    count_ += length;
  }
  // Slide the window by one byte: `out` leaves at the front, `in` joins at the back.
  void rotate(uint8_t out, uint8_t in) noexcept {
    s1_ = (s1_ + in - out) & 0xffff;
    s2_ = (s2_ + s1_ - uint32_t(count_) * (out + kCharOffset)) & 0xffff;
  }
  void rollout(uint8_t out) noexcept {
    s1_ = (s1_ - (out + kCharOffset)) & 0xffff;
    s2_ = (s2_ - uint32_t(count_) * (out + kCharOffset)) & 0xffff;
    --count_;
  }
  uint32_t digest() const noexcept { return s2_ << 16 | s1_; }
  static uint32_t of(const uint8_t* data, size_t length) noexcept {
    RollSum sum;
    sum.update(data, length);
    return sum.digest();
  }

 private:
  size_t count_ = 0;
  uint32_t s1_ = 0;
  uint32_t s2_ = 0;
};

namespace detail {
// multiplier^0 .. multiplier^count, computed at compile time.
template <uint32_t Multiplier, size_t Count>
struct PowerTable {
  uint32_t value[Count + 1];
  constexpr PowerTable() : value() {
    value[0] = 1;
    for (size_t i = 1; i <= Count; ++i) value[i] = value[i - 1] * Multiplier;
  }
  constexpr uint32_t operator[](size_t i) const { return value[i]; }
};
}  // namespace detail

// Polynomial hash mod 2^32 seeded with 1: h = h * M + b. The seed term makes rolling out a byte
// also shift the seed's power, hence the (out + M - 1) factor.
class RabinKarp {
 public:
  static constexpr uint32_t kMultiplier = 0x08104225u;
  static constexpr uint32_t kInverse = 0x98f009adu;  // kMultiplier * kInverse == 1 mod 2^32
  static constexpr uint32_t kSeed = 1;
  static constexpr size_t kLanes = 32;

  void reset() noexcept { hash_ = kSeed; power_ = 1; }
  void update(const uint8_t* data, size_t length) noexcept {
    uint32_t hash = hash_, power = power_;
    size_t i = 0;
    if (length >= 2 * kLanes) {
      // Horner's rule is one long multiply chain; 32 interleaved lanes (lane j sees bytes j,
      // j+32, ...) are independent and vectorise, then recombine with powers of the multiplier.
      uint32_t lanes[kLanes] = {};
      uint32_t skipped = 1;  // kMultiplier ^ bytes folded into the lanes
      for (; i + kLanes <= length; i += kLanes) {
        for (size_t j = 0; j < kLanes; ++j) lanes[j] = lanes[j] * kPowers[kLanes] + data[i + j];
        skipped *= kPowers[kLanes];
      }
      uint32_t folded = 0;
      for (size_t j = 0; j < kLanes; ++j) folded += lanes[j] * kPowers[kLanes - 1 - j];
      hash = hash * skipped + folded;
      power *= skipped;
    }
    for (; i < length; ++i) {
      hash = hash * kMultiplier + data[i];
      power *= kMultiplier;
    }
    hash_ = hash;
    power_ = power;
  }
  void rotate(uint8_t out, uint8_t in) noexcept {
    hash_ = hash_ * kMultiplier + in - power_ * (out + kMultiplier - 1);
  }

  uint32_t power() const noexcept { return power_; }
  // Continues from a window of the same length whose sum was computed elsewhere (the vector scan).
  void resume_at(uint32_t hash) noexcept { hash_ = hash; }

  // What rotate() subtracts for each leaving byte, for the current window length.
  using OutTerms = std::array<uint32_t, 256>;
  void out_terms(OutTerms& terms) const noexcept { out_terms_for_power(power_, terms); }
  // The same for windows of `length` bytes, without a window at hand.
  static void out_terms_for(size_t length, OutTerms& terms) noexcept {
    uint32_t power = 1;
    for (uint32_t base = kMultiplier; length; length >>= 1, base *= base) {
      if (length & 1) power *= base;
    }
    out_terms_for_power(power, terms);
  }

  // Rotates the window of length `n` from `p` towards `limit` (p < limit; the byte at
  // limit + n - 1 must exist) until `stop(digest)` says yes or the window reaches
  // `limit`; returns the window's new start. Two bytes per step: the multiply chain runs every
  // other window (h * M^2 + ...) and the window between hangs off it, halving the chain's latency.
  template <class Stop>
  size_t roll_until(const uint8_t* data, size_t p, size_t limit, size_t n, const OutTerms& out,
                    const Stop& stop) noexcept {
    constexpr uint32_t m = kMultiplier, m2 = kMultiplier * kMultiplier;
    uint32_t h = hash_;
    for (; p + 2 <= limit; p += 2) {
      const uint32_t c0 = data[p + n] - out[data[p]];
      const uint32_t c1 = data[p + n + 1] - out[data[p + 1]];
      const uint32_t h1 = h * m + c0;
      h = h * m2 + (c0 * m + c1);
      if (stop(h1)) {
        hash_ = h1;
        return p + 1;
      }
      if (stop(h)) {
        hash_ = h;
        return p + 2;
      }
    }
    if (p < limit) {
      h = h * m + data[p + n] - out[data[p]];
      ++p;
    }
    hash_ = h;
    return p;
  }
  void rollout(uint8_t out) noexcept {
    power_ *= kInverse;
    hash_ -= power_ * (out + kMultiplier - 1);
  }
  uint32_t digest() const noexcept { return hash_; }
  static uint32_t of(const uint8_t* data, size_t length) noexcept {
    RabinKarp sum;
    sum.update(data, length);
    return sum.digest();
  }

 private:
  static constexpr detail::PowerTable<kMultiplier, kLanes> kPowers{};
  static void out_terms_for_power(uint32_t power, OutTerms& terms) noexcept {
    for (uint32_t b = 0; b < 256; ++b) terms[b] = power * (b + kMultiplier - 1);
  }

  uint32_t hash_ = kSeed;
  uint32_t power_ = 1;  // kMultiplier ^ window length
};

}  // namespace deltanode
