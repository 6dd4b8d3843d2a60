// The zbud differential driver: a standalone impl pool and a ZbudRef, the same
// operations on both, objects paired through a handle map.
#include <cerrno>
#include <cstring>
#include <sstream>
#include <unordered_map>

#include "check.h"
#include "driver.h"
#include "run_steps.h"
#include "zbud.h"
#include "zbud_ref.h"

namespace {

enum class EvictMode {
#define EVICT_MODE_ENUM(name) name,
  EVICT_MODES(EVICT_MODE_ENUM)
#undef EVICT_MODE_ENUM
};

struct Object {
  unsigned long impl_handle;
  ref::ZbudRef::Handle ref_handle;
  std::size_t size;
  bool freed = false;     // zbud_free called
  bool released = false;  // gone from both pools
  int maps = 0;           // mappings held
};

struct Mapping {
  std::size_t object;
  const unsigned char* address;
};

class ZbudDiff {
 public:
  ZbudDiff()
      : pool_(zbud_create_pool(&pages_, &ops_, this)),
        model_(&faults_, [this](ref::ZbudRef::Handle h) { return evict_ref(h); }) {}
  ~ZbudDiff() {
    // Release what the program left, so LSan sees only real leaks.
    for (Mapping& m : mappings_) zbud_unmap(pool_, objects_[m.object].impl_handle);
    for (Object& o : objects_)
      if (!o.freed) zbud_free(pool_, o.impl_handle);
    zbud_destroy_pool(pool_);
  }

  // Returns "" on agreement, else the divergence message; *outcome says what ran.
  std::string step(const Op& op, std::string* outcome);
  std::string summary() {
    return "pool_pages=" + std::to_string(zbud_get_pool_size(pool_)) + " objects=" + std::to_string(objects_.size());
  }

 private:
  static int evict_impl_thunk(zbud_pool* pool, unsigned long handle) {
    return static_cast<ZbudDiff*>(zbud_pool_owner(pool))->evict_impl(handle);
  }
  struct Eviction {
    std::size_t object;
    bool freed;
    bool operator==(const Eviction&) const = default;
  };
  int evict(std::size_t index, std::vector<Eviction>* log, bool impl_side);
  int evict_impl(unsigned long h) { return evict(by_impl_.at(h), &evicted_impl_, true); }
  int evict_ref(ref::ZbudRef::Handle h) { return evict(by_ref_.at(h), &evicted_ref_, false); }
  void release(std::size_t index);
  std::string compare_bytes(std::size_t index, const unsigned char* impl_bytes);
  std::string check_state();
  std::size_t pick(unsigned arg, bool need_unreleased, bool need_unfreed, bool* found);

  PageAllocator pages_;
  zbud_ops ops_{evict_impl_thunk};
  zbud_pool* pool_;
  ref::FaultInjector faults_;
  ref::ZbudRef model_;
  std::vector<Object> objects_;
  std::vector<Mapping> mappings_;
  std::unordered_map<unsigned long, std::size_t> by_impl_;
  std::unordered_map<ref::ZbudRef::Handle, std::size_t> by_ref_;
  EvictMode mode_ = EvictMode::free_all;
  std::vector<Eviction> evicted_impl_, evicted_ref_;
};

// Both sides call this for each buddy they evict and decide alike (from the mode,
// the eviction's position in this reclaim, and the object); each frees its own side.
int ZbudDiff::evict(std::size_t index, std::vector<Eviction>* log, bool impl_side) {
  const Object& o = objects_[index];
  bool free_it = false;
  switch (mode_) {
    case EvictMode::free_all: free_it = true; break;
    case EvictMode::fail_all: free_it = false; break;
    case EvictMode::free_first_only: free_it = log->empty(); break;
    case EvictMode::free_even_objects: free_it = index % 2 == 0; break;
  }
  // Nothing to free when the object was freed before (still mapped) or by an
  // earlier retry of this same reclaim.
  bool freed_before = o.freed;
  for (const Eviction& e : *log) freed_before |= e.object == index && e.freed;
  const bool frees_now = free_it && !freed_before;
  log->push_back(Eviction{index, frees_now});
  if (!free_it) return -EAGAIN;
  if (frees_now) {
    if (impl_side)
      zbud_free(pool_, o.impl_handle);
    else
      model_.free(o.ref_handle);
  }
  return 0;
}

void ZbudDiff::release(std::size_t index) {
  Object& o = objects_[index];
  o.released = true;
  by_impl_.erase(o.impl_handle);
  by_ref_.erase(o.ref_handle);
}

// The first suitable object at or after arg (mod the object count), wrapping around.
std::size_t ZbudDiff::pick(unsigned arg, bool need_unreleased, bool need_unfreed, bool* found) {
  const std::size_t n = objects_.size();
  for (std::size_t k = 0; k < n; k++) {
    const std::size_t i = (arg + k) % n;
    if ((!need_unreleased || !objects_[i].released) && (!need_unfreed || !objects_[i].freed)) {
      *found = true;
      return i;
    }
  }
  *found = false;
  return 0;
}

std::string ZbudDiff::compare_bytes(std::size_t index, const unsigned char* impl_bytes) {
  const std::vector<std::uint8_t>& want = model_.bytes(objects_[index].ref_handle);
  if (std::memcmp(impl_bytes, want.data(), want.size()) == 0) return "";
  for (std::size_t i = 0; i < want.size(); i++)
    if (impl_bytes[i] != want[i]) {
      std::ostringstream m;
      m << "[divergence] object " << index << " byte " << i << ": expected "
        << int{want[i]} << " got " << int{impl_bytes[i]};
      return m.str();
    }
  return "";
}

std::string ZbudDiff::check_state() {
  std::ostringstream m;
  if (zbud_get_pool_size(pool_) != model_.pages())
    m << "[divergence] pool pages: expected " << model_.pages() << " got " << zbud_get_pool_size(pool_);
  else if (zbud_live_handles(pool_) != model_.live_handles())
    m << "[divergence] live handles: expected " << model_.live_handles() << " got "
      << zbud_live_handles(pool_);
  else if (static_cast<std::uint64_t>(pages_.pages_in_use()) != zbud_get_pool_size(pool_))
    m << "[invariant] page frames in use " << pages_.pages_in_use() << " but pool has "
      << zbud_get_pool_size(pool_) << " pages";
  return m.str();
}

std::string ZbudDiff::step(const Op& op, std::string* outcome) {
  auto rc_mismatch = [](const char* what, long want, long got) {
    return "[divergence] " + std::string(what) + ": expected " + std::to_string(want) + " got " +
           std::to_string(got);
  };
  bool found = false;
  std::string diff;
  switch (op.code) {
    case OpCode::zbud_alloc: {
      const std::size_t size = op.arg[0];
      std::vector<std::uint8_t> bytes(size);
      for (std::size_t i = 0; i < size; i++) bytes[i] = static_cast<std::uint8_t>(op.arg[1] + i * 7);
      unsigned long ih = 0;
      ref::ZbudRef::Handle rh = 0;
      const int want = model_.alloc(size, &rh, bytes);
      const int got = zbud_alloc(pool_, size, &ih);
      *outcome = std::to_string(got);
      if (want != got) return rc_mismatch("return code", want, got);
      if (got != 0) break;
      auto* p = static_cast<unsigned char*>(zbud_map(pool_, ih));
      std::memcpy(p, bytes.data(), size);
      zbud_unmap(pool_, ih);
      objects_.push_back(Object{ih, rh, size});
      by_impl_[ih] = by_ref_[rh] = objects_.size() - 1;
      *outcome += " object " + std::to_string(objects_.size() - 1);
      break;
    }
    case OpCode::zbud_free: {
      const std::size_t i = pick(op.arg[0], true, true, &found);
      if (!found) break;
      *outcome = "object " + std::to_string(i);
      model_.free(objects_[i].ref_handle);
      zbud_free(pool_, objects_[i].impl_handle);
      objects_[i].freed = true;
      if (objects_[i].maps == 0) release(i);
      break;
    }
    case OpCode::zbud_map: {
      const std::size_t i = pick(op.arg[0], true, false, &found);
      if (!found) break;
      *outcome = "object " + std::to_string(i);
      const bool want = model_.map(objects_[i].ref_handle);
      auto* got = static_cast<const unsigned char*>(zbud_map(pool_, objects_[i].impl_handle));
      if (want != (got != nullptr)) return rc_mismatch("mapped", want, got != nullptr);
      objects_[i].maps++;
      mappings_.push_back(Mapping{i, got});
      diff = compare_bytes(i, got);
      break;
    }
    case OpCode::zbud_unmap: {
      if (mappings_.empty()) break;
      const std::size_t m = op.arg[0] % mappings_.size();
      const std::size_t i = mappings_[m].object;
      mappings_.erase(mappings_.begin() + static_cast<long>(m));
      *outcome = "object " + std::to_string(i);
      const bool want = model_.unmap(objects_[i].ref_handle);  // true: released
      const int got = zbud_unmap(pool_, objects_[i].impl_handle);
      objects_[i].maps--;
      if (want != (got == 1)) return rc_mismatch("unmap released", want, got);
      if (got == 1) release(i);
      break;
    }
    case OpCode::zbud_read_mapped: {
      if (mappings_.empty()) break;
      const Mapping& m = mappings_[op.arg[0] % mappings_.size()];
      *outcome = "object " + std::to_string(m.object);
      diff = compare_bytes(m.object, m.address);
      break;
    }
    case OpCode::zbud_reclaim: {
      mode_ = static_cast<EvictMode>(op.arg[1]);
      evicted_impl_.clear();
      evicted_ref_.clear();
      const int want = model_.reclaim_page(op.arg[0]);
      const int got = zbud_reclaim_page(pool_, op.arg[0]);
      *outcome = std::to_string(got) + ", evicted";
      for (const Eviction& e : evicted_impl_) *outcome += " " + std::to_string(e.object);
      if (want != got) return rc_mismatch("return code", want, got);
      if (evicted_ref_ != evicted_impl_) return "[divergence] evicted objects or their order differ from ref's";
      for (const Eviction& e : evicted_impl_) {
        if (!e.freed) continue;
        objects_[e.object].freed = true;
        if (objects_[e.object].maps == 0) release(e.object);
      }
      break;
    }
    case OpCode::zbud_migrate: {
      const std::size_t i = pick(op.arg[0], true, false, &found);
      if (!found) break;
      const int want = model_.migrate(objects_[i].ref_handle);
      const int got = zbud_migrate_page(pool_, objects_[i].impl_handle);
      *outcome = "object " + std::to_string(i) + ": " + std::to_string(got);
      if (want != got) return rc_mismatch("return code", want, got);
      break;
    }
    case OpCode::zbud_fail_pages:
      faults_.fail_pages = op.arg[0];
      pages_.fail_next_pages(op.arg[0]);
      break;
    default:
      HARNESS_CHECK(false);  // a zswap op in a zbud program
  }
  if (diff.empty()) diff = check_state();
  return diff;
}

}  // namespace

RunResult run_zbud_diff(const Program& program) { return run_steps<ZbudDiff>(program); }
