// The two sides of the zbud differential test, one operation at a time: a ZbudRef (the
// model) or an impl pool (the system under test), each with the same bookkeeping of the
// objects a program allocated, so that both pick the same object for an operation. The
// zbud_diff driver and the property tests (props/zbud_props.cpp) share them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "ops.h"

struct ZbudEviction {
  std::size_t object;
  bool freed;  // this eviction freed the object (it was not freed before)
  bool operator==(const ZbudEviction&) const = default;
};

// What one operation did on one side. Objects are numbered in allocation order.
struct ZbudOutcome {
  bool ran = false;                 // false: no object the operation could act on
  int code = 0;
  std::size_t object = 0;           // the object acted on (alloc: the new one)
  std::vector<std::uint8_t> bytes;  // map, read_mapped: the object's bytes as read
  std::vector<ZbudEviction> evicted;
};

class ZbudSide {
 public:
  enum class Kind { ref, impl };
  explicit ZbudSide(Kind kind);
  // Copies a ref side (the property tests copy the model to predict an outcome).
  ZbudSide(const ZbudSide& other);
  ZbudSide& operator=(const ZbudSide&) = delete;
  ~ZbudSide();

  ZbudOutcome apply(const Op& op);

  std::uint64_t pages() const;
  std::uint64_t live_handles() const;
  // "" or an "[invariant]" message (impl: every page frame in use is a pool page).
  std::string invariants() const;
  // For property preconditions: can a free/map/migrate, an unmap/read find a target?
  bool has_unfreed_object() const;
  bool has_mapping() const { return !mappings_.empty(); }

  struct Pool;  // the backend: a ZbudRef or an impl pool

 private:
  struct Object {
    std::uint64_t handle;
    std::size_t size;
    bool freed = false;     // zbud_free called
    bool released = false;  // gone from the pool
    int maps = 0;           // mappings held
  };
  struct Mapping {
    std::size_t object;
    const std::uint8_t* address;  // impl: where map put it; ref: unused
  };
  enum class EvictMode {
#define EVICT_MODE_ENUM(name) name,
    EVICT_MODES(EVICT_MODE_ENUM)
#undef EVICT_MODE_ENUM
  };

  int evict(std::uint64_t handle);
  void release(std::size_t index);
  std::size_t pick(unsigned arg, bool need_unreleased, bool need_unfreed, bool* found) const;

  std::unique_ptr<Pool> pool_;
  std::vector<Object> objects_;
  std::vector<Mapping> mappings_;
  std::unordered_map<std::uint64_t, std::size_t> by_handle_;
  EvictMode mode_ = EvictMode::free_all;
  std::vector<ZbudEviction> evicted_;  // by the reclaim in progress
};

// "" when impl did what ref did and the two then agree on pool pages, live handles
// and impl's invariants; else the first difference. *outcome: what impl did.
std::string zbud_compare(const ZbudOutcome& want, const ZbudOutcome& got, const ZbudSide& model,
                         const ZbudSide& impl, std::string* outcome);
