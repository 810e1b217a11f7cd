#pragma once

// The one framing of every saved state (AdaptiveSampler, DynamicClassWeights, PhaseScheduler,
// ClassMetrics): their save/load(archive) and their pickles go through it, so a damaged or
// foreign state is rejected before any value is restored.
#include "rebalance/fields.h"

#include <ATen/ATen.h>
#include <ATen/core/ivalue.h>

#include <cstdint>
#include <functional>
#include <string>

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

/// The one persistence of every stateful class (CRTP): save/load(archive), state_bytes() (the
/// pickled form) and load_state_bytes(), all through the frame above. Derived provides
///   static constexpr const char* kCheckpointName;   // the class name in the frame and errors
///   static constexpr int64_t kStateVersion;         // the newest state version it writes
///   void write_fields(torch::serialize::OutputArchive&) const;
///   void read_fields(torch::serialize::InputArchive&, int64_t version);  // 1..kStateVersion
///   static Derived placeholder();                   // a valid object that load replaces
/// (befriending Checkpointable when they are private). read_fields must check every value and
/// change the object only once all checks passed. Base is the class Derived extends otherwise
/// (e.g. torch::data::samplers::Sampler<>, whose virtual save/load these override).
struct NoBase {};

template <class Derived, class Base = NoBase>
class Checkpointable : public Base {
 public:
  /// Writes the complete state as one framed entry with a version and a CRC32.
  void save(torch::serialize::OutputArchive& archive) const {
    checkpoint::save(archive, Derived::kCheckpointName, Derived::kStateVersion,
                     [&](torch::serialize::OutputArchive& a) { self().write_fields(a); });
  }
  /// Replaces the complete state by the one save() wrote, after checking the frame and the
  /// restored values; ValueError "<class>: corrupted or incompatible checkpoint: ..."
  /// otherwise (the object is then unchanged).
  void load(torch::serialize::InputArchive& archive) {
    checkpoint::load(archive, Derived::kCheckpointName, Derived::kStateVersion,
                     [&](torch::serialize::InputArchive& a, int64_t v) {
                       self().read_fields(a, v);
                     });
  }
  /// The state save() writes, as framed uint8 bytes (the pickled form).
  at::Tensor state_bytes() const {
    return checkpoint::to_bytes(
        Derived::kCheckpointName, Derived::kStateVersion,
        [&](torch::serialize::OutputArchive& a) { self().write_fields(a); });
  }
  /// load() from state_bytes().
  void load_state_bytes(const at::Tensor& bytes) {
    checkpoint::from_bytes(Derived::kCheckpointName, Derived::kStateVersion, bytes,
                           [&](torch::serialize::InputArchive& a, int64_t v) {
                             self().read_fields(a, v);
                           });
  }
  /// A new object with the state of state_bytes() (what unpickling does).
  static Derived from_state_bytes(const at::Tensor& bytes) {
    Derived restored = Derived::placeholder();
    restored.load_state_bytes(bytes);
    return restored;
  }

 private:
  const Derived& self() const { return static_cast<const Derived&>(*this); }
  Derived& self() { return static_cast<Derived&>(*this); }
};
} // namespace rebalance
