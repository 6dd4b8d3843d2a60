// The zbud differential driver: a standalone impl pool and a ZbudRef, the same
// operations on both (through ZbudSide), objects paired by allocation order.
#include <algorithm>
#include <cstring>
#include <functional>

#include "check.h"
#include "driver.h"
#include "run_steps.h"
#include "watchdog.h"
#include "zbud.h"
#include "zbud_ref.h"
#include "zbud_sides.h"

using Evict = std::function<int(std::uint64_t)>;

struct ZbudSide::Pool {
  virtual ~Pool() = default;
  virtual std::unique_ptr<Pool> copy(Evict evict) const = 0;
  // size is zbud_alloc's int; bytes (size of them when size > 0) go into the object.
  virtual int alloc(int size, const std::vector<std::uint8_t>& bytes, std::uint64_t* handle) = 0;
  virtual void free(std::uint64_t handle) = 0;
  virtual const std::uint8_t* map(std::uint64_t handle) = 0;  // nullptr: already released
  virtual bool unmap(std::uint64_t handle) = 0;               // true: this released it
  virtual std::vector<std::uint8_t> read(std::uint64_t handle, const std::uint8_t* address,
                                         std::size_t size) const = 0;
  virtual int reclaim(unsigned retries) = 0;
  virtual int migrate(std::uint64_t handle) = 0;
  virtual void fail_pages(unsigned n) = 0;
  virtual std::uint64_t pages() const = 0;
  virtual std::uint64_t live_handles() const = 0;
  virtual std::string invariants() const = 0;
};

namespace {

class RefPool : public ZbudSide::Pool {
 public:
  explicit RefPool(Evict evict) : pool_(&faults_, std::move(evict)) {}
  RefPool(const RefPool& other, Evict evict) : faults_(other.faults_), pool_(other.pool_, &faults_, std::move(evict)) {}
  std::unique_ptr<Pool> copy(Evict evict) const override { return std::make_unique<RefPool>(*this, std::move(evict)); }
  int alloc(int size, const std::vector<std::uint8_t>& bytes, std::uint64_t* handle) override {
    return pool_.alloc(size, handle, bytes);
  }
  void free(std::uint64_t handle) override { pool_.free(handle); }
  const std::uint8_t* map(std::uint64_t handle) override {
    return pool_.map(handle) ? pool_.bytes(handle).data() : nullptr;
  }
  bool unmap(std::uint64_t handle) override { return pool_.unmap(handle); }
  std::vector<std::uint8_t> read(std::uint64_t handle, const std::uint8_t*, std::size_t) const override {
    return pool_.bytes(handle);
  }
  int reclaim(unsigned retries) override { return pool_.reclaim_page(retries); }
  int migrate(std::uint64_t handle) override { return pool_.migrate(handle); }
  void fail_pages(unsigned n) override { faults_.fail_pages = n; }
  std::uint64_t pages() const override { return pool_.pages(); }
  std::uint64_t live_handles() const override { return pool_.live_handles(); }
  std::string invariants() const override { return ""; }

 private:
  ref::FaultInjector faults_;
  ref::ZbudRef pool_;
};

class ImplPool : public ZbudSide::Pool {
 public:
  explicit ImplPool(Evict evict) : evict_(std::move(evict)), pool_(zbud_create_pool(&pages_, &ops_, this)) {}
  ~ImplPool() override { zbud_destroy_pool(pool_); }
  std::unique_ptr<Pool> copy(Evict) const override {
    HARNESS_CHECK(false);  // impl pools are not copied
    return nullptr;
  }
  int alloc(int size, const std::vector<std::uint8_t>& bytes, std::uint64_t* handle) override {
    unsigned long h = 0;
    const int ret = zbud_alloc(pool_, size, &h);
    if (ret != 0) return ret;
    std::memcpy(zbud_map(pool_, h), bytes.data(), bytes.size());
    zbud_unmap(pool_, h);
    *handle = h;
    return 0;
  }
  void free(std::uint64_t handle) override { zbud_free(pool_, handle); }
  const std::uint8_t* map(std::uint64_t handle) override {
    return static_cast<const std::uint8_t*>(zbud_map(pool_, handle));
  }
  bool unmap(std::uint64_t handle) override { return zbud_unmap(pool_, handle) == 1; }
  std::vector<std::uint8_t> read(std::uint64_t, const std::uint8_t* address, std::size_t size) const override {
    return std::vector<std::uint8_t>(address, address + size);
  }
  int reclaim(unsigned retries) override { return zbud_reclaim_page(pool_, retries); }
  int migrate(std::uint64_t handle) override { return zbud_migrate_page(pool_, handle); }
  void fail_pages(unsigned n) override { pages_.fail_next_pages(n); }
  std::uint64_t pages() const override { return zbud_get_pool_size(pool_); }
  std::uint64_t live_handles() const override { return zbud_live_handles(pool_); }
  std::string invariants() const override {
    if (static_cast<std::uint64_t>(pages_.pages_in_use()) == pages()) return "";
    return "[invariant] page frames in use " + std::to_string(pages_.pages_in_use()) + " but pool has " +
           std::to_string(pages()) + " pages";
  }

 private:
  static int evict_thunk(zbud_pool* pool, unsigned long handle) {
    return static_cast<ImplPool*>(zbud_pool_owner(pool))->evict_(handle);
  }
  Evict evict_;
  PageAllocator pages_;
  zbud_ops ops_{evict_thunk};
  zbud_pool* pool_;
};

std::string mismatch(const char* what, long want, long got) {
  return "[divergence] " + std::string(what) + ": expected " + std::to_string(want) + " got " +
         std::to_string(got);
}

class ZbudDiff {
 public:
  explicit ZbudDiff(const Program&) {}  // a zbud program has no setup
  std::string step(const Op& op, std::string* outcome) {
    const ZbudOutcome want = model_.apply(op);
    const ZbudOutcome got = impl_.apply(op);
    return zbud_compare(want, got, model_, impl_, outcome);
  }
  std::string summary() const {
    return "pool_pages=" + std::to_string(impl_.pages()) + " live_handles=" + std::to_string(impl_.live_handles());
  }

 private:
  ZbudSide model_{ZbudSide::Kind::ref};
  ZbudSide impl_{ZbudSide::Kind::impl};
};

}  // namespace

ZbudSide::ZbudSide(Kind kind) {
  Evict evict = [this](std::uint64_t h) { return this->evict(h); };
  if (kind == Kind::ref)
    pool_ = std::make_unique<RefPool>(std::move(evict));
  else
    pool_ = std::make_unique<ImplPool>(std::move(evict));
}

ZbudSide::ZbudSide(const ZbudSide& other)
    : pool_(other.pool_->copy([this](std::uint64_t h) { return evict(h); })),
      objects_(other.objects_),
      mappings_(other.mappings_),
      by_handle_(other.by_handle_),
      mode_(other.mode_) {}

ZbudSide::~ZbudSide() {
  // Release what the program left, so LSan sees only real leaks.
  for (const Mapping& m : mappings_) pool_->unmap(objects_[m.object].handle);
  for (const Object& o : objects_)
    if (!o.freed) pool_->free(o.handle);
}

std::uint64_t ZbudSide::pages() const { return pool_->pages(); }
std::uint64_t ZbudSide::live_handles() const { return pool_->live_handles(); }
std::string ZbudSide::invariants() const { return pool_->invariants(); }

bool ZbudSide::has_unfreed_object() const {
  for (const Object& o : objects_)
    if (!o.freed) return true;
  return false;
}

// Both sides decide alike (from the mode, the eviction's position in this reclaim,
// and the object) and each frees its own pool's object.
int ZbudSide::evict(std::uint64_t handle) {
  const std::size_t index = by_handle_.at(handle);
  const Object& o = objects_[index];
  bool free_it = false;
  switch (mode_) {
    case EvictMode::free_all: free_it = true; break;
    case EvictMode::fail_all: free_it = false; break;
    case EvictMode::free_first_only: free_it = evicted_.empty(); break;
    case EvictMode::free_even_objects: free_it = index % 2 == 0; break;
  }
  // Nothing to free when the object was freed before (still mapped) or by an
  // earlier retry of this same reclaim.
  bool freed_before = o.freed;
  for (const ZbudEviction& e : evicted_) freed_before |= e.object == index && e.freed;
  const bool frees_now = free_it && !freed_before;
  evicted_.push_back(ZbudEviction{index, frees_now});
  if (!free_it) return -EAGAIN;
  if (frees_now) pool_->free(o.handle);
  return 0;
}

void ZbudSide::release(std::size_t index) {
  objects_[index].released = true;
  by_handle_.erase(objects_[index].handle);
}

// The first suitable object at or after arg (mod the object count), wrapping around.
std::size_t ZbudSide::pick(unsigned arg, bool need_unreleased, bool need_unfreed, bool* found) const {
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

ZbudOutcome ZbudSide::apply(const Op& op) {
  watchdog::note_operation(op);  // either side: a hang names the operation
  ZbudOutcome out;
  switch (op.code) {
    case OpCode::zbud_alloc: {
      const int size = zbud_alloc_size(op.arg[0]);
      std::vector<std::uint8_t> bytes(static_cast<std::size_t>(std::max(size, 0)));
      for (std::size_t i = 0; i < bytes.size(); i++) bytes[i] = static_cast<std::uint8_t>(op.arg[1] + i * 7);
      std::uint64_t handle = 0;
      out.code = pool_->alloc(size, bytes, &handle);
      if (out.code != 0) break;
      out.ran = true;
      out.object = objects_.size();
      objects_.push_back(Object{handle, bytes.size()});
      by_handle_[handle] = out.object;
      break;
    }
    case OpCode::zbud_free:
      out.object = pick(op.arg[0], true, true, &out.ran);
      if (!out.ran) break;
      pool_->free(objects_[out.object].handle);
      objects_[out.object].freed = true;
      if (objects_[out.object].maps == 0) release(out.object);
      break;
    case OpCode::zbud_map: {
      out.object = pick(op.arg[0], true, false, &out.ran);
      if (!out.ran) break;
      Object& o = objects_[out.object];
      const std::uint8_t* address = pool_->map(o.handle);
      out.code = address != nullptr;
      if (!address) break;
      o.maps++;
      mappings_.push_back(Mapping{out.object, address});
      out.bytes = pool_->read(o.handle, address, o.size);
      break;
    }
    case OpCode::zbud_unmap: {
      if (mappings_.empty()) break;
      const std::size_t m = op.arg[0] % mappings_.size();
      out.ran = true;
      out.object = mappings_[m].object;
      mappings_.erase(mappings_.begin() + static_cast<long>(m));
      objects_[out.object].maps--;
      out.code = pool_->unmap(objects_[out.object].handle);
      if (out.code == 1) release(out.object);
      break;
    }
    case OpCode::zbud_read_mapped: {
      if (mappings_.empty()) break;
      const Mapping& m = mappings_[op.arg[0] % mappings_.size()];
      out.ran = true;
      out.object = m.object;
      out.bytes = pool_->read(objects_[m.object].handle, m.address, objects_[m.object].size);
      break;
    }
    case OpCode::zbud_reclaim:
      mode_ = static_cast<EvictMode>(op.arg[1]);
      evicted_.clear();
      out.code = pool_->reclaim(op.arg[0]);
      out.evicted = evicted_;
      for (const ZbudEviction& e : evicted_) {
        if (!e.freed) continue;
        objects_[e.object].freed = true;
        if (objects_[e.object].maps == 0) release(e.object);
      }
      break;
    case OpCode::zbud_migrate:
      out.object = pick(op.arg[0], true, false, &out.ran);
      if (out.ran) out.code = pool_->migrate(objects_[out.object].handle);
      break;
    case OpCode::zbud_fail_pages:
      pool_->fail_pages(op.arg[0]);
      break;
    default:
      HARNESS_CHECK(false);  // a zswap op in a zbud program
  }
  return out;
}

std::string zbud_compare(const ZbudOutcome& want, const ZbudOutcome& got, const ZbudSide& model,
                         const ZbudSide& impl, std::string* outcome) {
  *outcome = std::to_string(got.code);
  if (got.ran) *outcome += " object " + std::to_string(got.object);
  if (!got.evicted.empty()) *outcome += ", evicted";
  for (const ZbudEviction& e : got.evicted) *outcome += " " + std::to_string(e.object);
  if (want.code != got.code) return mismatch("return code", want.code, got.code);
  HARNESS_CHECK(want.ran == got.ran && want.object == got.object);  // the sides agreed so far
  if (want.evicted != got.evicted) return "[divergence] evicted objects or their order differ from ref's";
  for (std::size_t i = 0; i < got.bytes.size(); i++)
    if (got.bytes[i] != want.bytes[i])
      return "[divergence] object " + std::to_string(got.object) + " byte " + std::to_string(i) + ": expected " +
             std::to_string(want.bytes[i]) + " got " + std::to_string(got.bytes[i]);
  if (impl.pages() != model.pages()) return mismatch("pool pages", model.pages(), impl.pages());
  if (impl.live_handles() != model.live_handles())
    return mismatch("live handles", model.live_handles(), impl.live_handles());
  return impl.invariants();
}

RunResult run_zbud_diff(const Program& program) { return run_steps<ZbudDiff>(program); }
