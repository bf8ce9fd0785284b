#include "patch.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "byte_order.h"
#include "errors.h"
#include "varint.h"

namespace deltanode {

static constexpr size_t kCopyChunk = 1 << 20;
static constexpr size_t kInPlaceAlignment = 64;

void MemoryBasis::read(uint64_t offset, uint8_t* out, size_t length) { std::memcpy(out, data_ + offset, length); }

[[noreturn]] static void corrupt(const std::string& why) { throw EngineError(ErrorCode::CorruptDelta, why); }

PatchApplier::PatchApplier(BasisReader& basis) : basis_(basis) {}

PatchApplier::Parse PatchApplier::parse_librsync_command(const uint8_t* p, size_t length, size_t& used,
                                                         Command& command) {
  uint8_t op = p[0];
  if (op == 0) {
    command.kind = Command::End;
    used = 1;
    return Parse::Ok;
  }
  if (op <= 0x40) {
    command = {Command::Literal, 0, op};
    used = 1;
    return Parse::Ok;
  }
  if (op <= 0x44) {
    unsigned width = 1u << (op - 0x41);
    if (length < 1 + width) return Parse::NeedMore;
    command = {Command::Literal, 0, load_be(p + 1, width)};
    used = 1 + width;
  } else if (op <= 0x54) {
    unsigned code = op - 0x45;
    unsigned offsetWidth = 1u << (code >> 2), lengthWidth = 1u << (code & 3);
    if (length < 1 + offsetWidth + lengthWidth) return Parse::NeedMore;
    command = {Command::Copy, load_be(p + 1, offsetWidth), load_be(p + 1 + offsetWidth, lengthWidth)};
    used = 1 + offsetWidth + lengthWidth;
  } else {
    corrupt("reserved opcode 0x" + [&] { char b[3]; snprintf(b, 3, "%02x", op); return std::string(b); }());
  }
  return Parse::Ok;
}

PatchApplier::Parse PatchApplier::parse_native_command(const uint8_t* p, size_t length, size_t& used,
                                                       Command& command) {
  uint8_t op = p[0];
  size_t at = 1, n = 0;
  auto varint = [&](uint64_t& value) {
    switch (get_varint(p + at, length - at, value, n)) {
      case VarintStatus::NeedMore: return false;
      case VarintStatus::Malformed: corrupt("malformed number in delta command");
      case VarintStatus::Ok: break;
    }
    at += n;
    return true;
  };
  if (op == kNativeOpEnd) {
    command.kind = Command::End;
  } else if (op == kNativeOpLiteral) {
    command.kind = Command::Literal;
    if (!varint(command.length)) return Parse::NeedMore;
  } else if (op == kNativeOpCopy) {
    uint64_t encoded = 0;
    if (!varint(encoded) || !varint(command.length)) return Parse::NeedMore;
    int64_t relative = unzigzag(encoded);
    // The offset is relative to the previous copy's end; reject anything outside the basis
    // before any arithmetic can wrap.
    uint64_t size = basis_.size();
    if (relative < 0 ? uint64_t(-(relative + 1)) + 1 > previousCopyEnd_ : uint64_t(relative) > size - previousCopyEnd_)
      corrupt("copy offset outside the basis");
    command.kind = Command::Copy;
    command.offset = previousCopyEnd_ + uint64_t(relative);
  } else {
    corrupt("unknown delta opcode");
  }
  used = at;
  return Parse::Ok;
}

void PatchApplier::begin(const Command& command) {
  switch (command.kind) {
    case Command::End:
      stage_ = format_ == Format::Native ? Stage::NativeTrailer : Stage::Done;
      return;
    case Command::Literal:
      if (command.length == 0) corrupt("zero-length literal");
      if (inputLengthKnown_ && command.length > inputLength_ - consumedTotal_)
        corrupt("literal runs past the end of the delta");
      remaining_ = command.length;
      stage_ = Stage::Literal;
      return;
    case Command::Copy: {
      uint64_t size = basis_.size();
      if (command.length == 0) corrupt("zero-length copy");
      if (command.offset > size || command.length > size - command.offset) corrupt("copy reaches past the end of the basis");
      copyOffset_ = command.offset;
      remaining_ = command.length;
      previousCopyEnd_ = command.offset + command.length;
      stage_ = Stage::Copy;
      return;
    }
  }
}

// One fixed or self-delimiting unit (magic, header, command, trailer) from `data`.
PatchApplier::Parse PatchApplier::parse_unit(const uint8_t* p, size_t length, size_t& used) {
  switch (stage_) {
    case Stage::Magic: {
      if (length < 4) return Parse::NeedMore;
      if (std::memcmp(p, kNativeDeltaMagic, 4) == 0) {
        format_ = Format::Native;
        wantDigest_ = true;
        stage_ = Stage::NativeHeader;
        used = 0;  // the header parse re-reads the magic
        return Parse::Ok;
      }
      uint32_t magic = load_u32_be(p);
      if (magic == kRsDeltaMagic) {
        format_ = Format::Librsync;
        stage_ = Stage::Command;
        used = 4;
        return Parse::Ok;
      }
      if (std::memcmp(p, kNativeSignatureMagic, 4) == 0 || (magic >> 16) == 0x7273)
        throw EngineError(ErrorCode::CorruptDelta, "this is a signature, not a delta");
      corrupt("not a delta: unknown magic number");
    }
    case Stage::NativeHeader: {
      if (length < 8) return Parse::NeedMore;
      uint16_t version = load_u16_le(p + 4);
      if (version != kNativeVersion) corrupt("unsupported native delta version " + std::to_string(version));
      size_t headerLength = load_u16_le(p + 6);
      if (headerLength < kNativeHeaderLength || headerLength > kMaxHeaderLength) corrupt("bad native delta header length");
      if (length < headerLength) return Parse::NeedMore;
      if (load_u16_le(p + 8) != 0) corrupt("unknown native delta flags");
      if (!known_digest(p[10])) corrupt("unknown digest id in delta");
      if (p[11] > 1) corrupt("bad basis flag in delta header");
      for (size_t i : {12, 13, 14, 15, 56, 57, 58, 59, 60, 61, 62, 63})
        if (p[i] != 0) corrupt("reserved delta header bytes are not zero");
      if (p[11] == 1 && load_u64_le(p + 16) != basis_.size())
        throw EngineError(ErrorCode::BasisMismatch, "the basis is " + std::to_string(basis_.size()) +
                                                        " bytes but the delta was made for " +
                                                        std::to_string(load_u64_le(p + 16)) + " bytes");
      digest_ = ContentDigest(DigestId(p[10]));
      if (hashingSink_) hashingSink_->use_digest(DigestId(p[10]));
      used = headerLength;
      stage_ = Stage::Command;
      return Parse::Ok;
    }
    case Stage::Command: {
      Command command;
      Parse result = format_ == Format::Native ? parse_native_command(p, length, used, command)
                                               : parse_librsync_command(p, length, used, command);
      if (result == Parse::Ok) {
        parsedCommand_ = command;
        hasParsedCommand_ = true;  // begun once its bytes count as consumed
      }
      return result;
    }
    case Stage::NativeTrailer: {
      if (length < kNativeDeltaTrailerLength) return Parse::NeedMore;
      Digest actual{};
      if (hashingSink_) {
        actual = hashingSink_->finish();
      } else {
        actual = digest_.finalize();
      }
      if (load_u64_le(p) != outputLength_)
        throw EngineError(ErrorCode::DigestMismatch, "the patched output has a different length than the delta promised");
      if (std::memcmp(actual.data(), p + 8, kDigestLength) != 0)
        throw EngineError(ErrorCode::DigestMismatch,
                          "the patched output does not match the digest the delta promised (wrong basis?)");
      used = kNativeDeltaTrailerLength;
      stage_ = Stage::Done;
      return Parse::Ok;
    }
    default:
      used = 0;
      return Parse::Ok;
  }
}

void PatchApplier::produce(const uint8_t* data, size_t length, ByteSink& sink) {
  if (wantDigest_ && !hashingSink_) digest_.update(data, length);
  sink.write(data, length);
  outputLength_ += length;
}

size_t PatchApplier::step(const uint8_t* data, size_t length, bool endOfInput, ByteSink& sink, size_t outputBudget) {
  size_t consumed = 0;
  size_t produced = 0;
  auto advance = [&](size_t n) {
    consumed += n;
    consumedTotal_ += n;
  };
  for (;;) {
    switch (stage_) {
      case Stage::Copy: {
        size_t take = size_t(std::min<uint64_t>({remaining_, outputBudget - produced, kCopyChunk}));
        if (take == 0) return consumed;
        // Straight into the sink's buffer where it has one, at a 64-byte boundary (a read from the
        // page cache into a misaligned place runs 2-6x slower): the bytes up to the boundary go
        // the usual way.
        size_t granted = 0;
        uint8_t* into = sink.room(take, granted);
        const size_t misaligned = reinterpret_cast<uintptr_t>(into) % kInPlaceAlignment;
        if (into != nullptr && granted > 0 && misaligned == 0) {
          take = granted;
          basis_.read(copyOffset_, into, take);
          if (wantDigest_ && !hashingSink_) digest_.update(into, take);
          sink.commit(take);
          outputLength_ += take;
        } else {
          if (into != nullptr && misaligned != 0) take = std::min(take, kInPlaceAlignment - misaligned);
          scratch_.grow(take);
          basis_.read(copyOffset_, scratch_.data(), take);
          produce(scratch_.data(), take, sink);
        }
        copyOffset_ += take;
        remaining_ -= take;
        produced += take;
        if (remaining_ == 0) stage_ = Stage::Command;
        continue;
      }
      case Stage::Literal: {
        size_t take = size_t(std::min<uint64_t>({remaining_, length - consumed, outputBudget - produced}));
        if (take == 0) {
          if (consumed == length && endOfInput) corrupt("literal runs past the end of the delta");
          return consumed;
        }
        produce(data + consumed, take, sink);
        advance(take);
        remaining_ -= take;
        produced += take;
        if (remaining_ == 0) stage_ = Stage::Command;
        continue;
      }
      case Stage::Done:
        if (consumed < length || !pending_.empty()) corrupt("trailing data after the end of the delta");
        return consumed;
      default:
        break;
    }
    // Parse the next unit, joining bytes kept from an earlier call when a unit was split.
    size_t used = 0;
    auto beginParsed = [&] {
      if (!hasParsedCommand_) return;
      hasParsedCommand_ = false;
      begin(parsedCommand_);
    };
    if (pending_.empty()) {
      if (consumed < length && parse_unit(data + consumed, length - consumed, used) == Parse::Ok) {
        advance(used);
        beginParsed();
        continue;
      }
      pending_.assign(data + consumed, data + length);
      advance(length - consumed);
    } else {
      size_t before = pending_.size();
      size_t add = std::min(length - consumed, kMaxHeaderLength + 64 - before);
      pending_.insert(pending_.end(), data + consumed, data + consumed + add);
      if (parse_unit(pending_.data(), pending_.size(), used) == Parse::Ok) {
        if (used < before) {  // only the magic probe consumes nothing; keep the bytes for the header
          pending_.erase(pending_.begin(), pending_.begin() + used);
          pending_.resize(before - used);
          continue;
        }
        advance(used - before);
        pending_.clear();
        beginParsed();
        continue;
      }
      advance(add);
    }
    if (endOfInput && consumed == length) {
      if (stage_ == Stage::Magic && pending_.empty()) corrupt("the delta is empty");
      corrupt("the delta is truncated");
    }
    return consumed;
  }
}

}  // namespace deltanode
