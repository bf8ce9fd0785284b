// Where engines put the bytes they produce: a growing buffer for streams, a file for file jobs.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace deltanode {

class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual void write(const uint8_t* data, size_t length) = 0;
  // Room to produce up to `want` bytes in place (read them from a file, say), or null where the
  // sink keeps no buffer; commit(n) then takes the first n of them. Spares a copy.
  virtual uint8_t* room(size_t want, size_t& granted) {
    (void)want;
    granted = 0;
    return nullptr;
  }
  virtual void commit(size_t length) { (void)length; }
};

class VectorSink final : public ByteSink {
 public:
  void write(const uint8_t* data, size_t length) override { bytes.insert(bytes.end(), data, data + length); }
  std::vector<uint8_t> bytes;
};

}  // namespace deltanode
