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
};

class VectorSink final : public ByteSink {
 public:
  void write(const uint8_t* data, size_t length) override { bytes.insert(bytes.end(), data, data + length); }
  std::vector<uint8_t> bytes;
};

}  // namespace deltanode
