#pragma once

// The one framing of every saved state (AdaptiveSampler, DynamicClassWeights, PhaseScheduler,
// ClassMetrics): their save/load(archive) and their pickles go through it, so a damaged or
// foreign state is rejected before any value is restored.
#include <ATen/ATen.h>
#include <ATen/core/ivalue.h>

#include <cstdint>
#include <functional>
#include <string>

namespace torch {
namespace serialize {
class InputArchive;
class OutputArchive;
} // namespace serialize
} // namespace torch

namespace rebalance {
namespace checkpoint {

/// Writes a class's fields into an archive.
using Writer = std::function<void(torch::serialize::OutputArchive&)>;
/// Reads (and range-checks) a class's fields from an archive written at state version `version`.
using Reader = std::function<void(torch::serialize::InputArchive&, int64_t version)>;

/// The framed state as uint8 bytes (the pickled form): "RBCK", frame format 1, the class name,
/// the state `version`, the payload size, the CRC32 of everything before it and of the payload,
/// then the payload (the bytes of an archive that `write` filled).
at::Tensor to_bytes(const std::string& cls, int64_t version, const Writer& write);

/// Checks a frame written by to_bytes for `cls` (magic, class, version 1..`version`, size,
/// CRC32) and hands its archive to `read`. Every failure, including any error `read` raises on
/// a restored value, is a ValueError "<cls>: corrupted or incompatible checkpoint: <reason>".
void from_bytes(const std::string& cls, int64_t version, const at::Tensor& bytes,
                const Reader& read);

/// save(archive): the frame of to_bytes as the entry "rebalance_state" of `archive`.
void save(torch::serialize::OutputArchive& archive, const std::string& cls, int64_t version,
          const Writer& write);

/// load(archive): from_bytes on the entry save() wrote; a missing entry (a state from before
/// framing, or another class's archive) is the same ValueError.
void load(torch::serialize::InputArchive& archive, const std::string& cls, int64_t version,
          const Reader& read);

/// The frame inside a pickled state (the argument of a def_pickle __setstate__): the uint8
/// tensor to_bytes wrote; anything else (the tuples of versions before framing) is the same
/// ValueError.
at::Tensor pickled_bytes(const std::string& cls, const c10::IValue& state);

/// ValueError "<cls>: corrupted or incompatible checkpoint: <reason>".
[[noreturn]] void reject(const std::string& cls, const std::string& reason);

} // namespace checkpoint
} // namespace rebalance
