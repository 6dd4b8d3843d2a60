// zbud under allocation churn (issue 14): 65,536 objects of 1..3968 bytes, then 20 M
// times "free a random live object, allocate 1..2000 bytes in its place", on impl's
// zbud (one thread; two threads with a pool each or one shared pool) and on ZbudRef.
// ops_per_s = 2 x iterations / seconds of the churn alone (filling is not timed).
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "zbud.h"
#include "zbud_ref.h"

namespace {

constexpr std::size_t kObjects = 65536;
constexpr int kFillMaxSize = 3968;  // ZBUD_MAX_ALLOC: every size a buddy can have
constexpr int kChurnMaxSize = 2000;
// ZbudRef's first fit scans every page: it holds 1/16 of the objects (filling it with
// all of them takes minutes) and churns 1/1,000 of the iterations.
constexpr std::size_t kRefObjects = kObjects / 16;
constexpr std::uint64_t kRefSlowdown = 1'000;

struct SplitMix64 {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = state += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
};

struct ImplPool {
  using Handle = unsigned long;
  PageAllocator pages;
  zbud_pool* pool = zbud_create_pool(&pages, nullptr, nullptr);
  ~ImplPool() { zbud_destroy_pool(pool); }
  bool alloc(int size, Handle* h) { return zbud_alloc(pool, size, h) == 0; }
  void free(Handle h) { zbud_free(pool, h); }
};

struct RefPool {
  using Handle = ref::ZbudRef::Handle;
  ref::FaultInjector faults;
  ref::ZbudRef pool{&faults, nullptr};
  bool alloc(int size, Handle* h) { return pool.alloc(size, h) == 0; }
  void free(Handle h) { pool.free(h); }
};

// One thread's objects in a pool, with its own random stream. The objects go with the
// pool (a destroyed pool frees its pages).
template <class Pool>
class Churn {
 public:
  Churn(Pool* pool, std::uint64_t seed, std::size_t objects = kObjects)
      : pool_(pool), rng_{seed}, handles_(objects) {}
  bool fill() {
    for (typename Pool::Handle& h : handles_)
      if (!pool_->alloc(1 + static_cast<int>(rng_.next() % kFillMaxSize), &h)) return false;
    return true;
  }
  bool run(std::uint64_t iterations) {
    for (std::uint64_t n = 0; n < iterations; n++) {
      typename Pool::Handle& h = handles_[rng_.next() % handles_.size()];
      pool_->free(h);
      if (!pool_->alloc(1 + static_cast<int>(rng_.next() % kChurnMaxSize), &h)) return false;
    }
    return true;
  }

 private:
  Pool* pool_;
  SplitMix64 rng_;
  std::vector<typename Pool::Handle> handles_;
};

// Fills every churn, then times their runs, iterations / churns.size() each, one
// thread each, and reports ops_per_s.
template <class Pool>
void run_timed(benchmark::State& state, std::vector<Churn<Pool>>& churns, std::uint64_t iterations) {
  for (Churn<Pool>& c : churns)
    if (!c.fill()) return state.SkipWithError("fill: an allocation failed");
  const std::uint64_t each = iterations / churns.size();
  const auto start = std::chrono::steady_clock::now();
  std::vector<char> ok(churns.size());
  if (churns.size() == 1) {
    ok[0] = churns[0].run(each);
  } else {
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < churns.size(); i++)
      threads.emplace_back([&, i] { ok[i] = churns[i].run(each); });
    for (std::thread& t : threads) t.join();
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (char o : ok)
    if (!o) return state.SkipWithError("churn: an allocation failed");
  state.SetIterationTime(seconds);
  state.counters["ops_per_s"] = 2.0 * static_cast<double>(each * churns.size()) / seconds;
}

// One thread on a pool of its own.
template <class Pool>
void BM_zbud_one_thread(benchmark::State& state, std::size_t objects, std::uint64_t iterations) {
  for (auto _ : state) {
    Pool pool;
    std::vector<Churn<Pool>> churns;
    churns.emplace_back(&pool, 1, objects);
    run_timed(state, churns, iterations);
  }
}

// Two threads, half the iterations each, on their own objects and random streams.
void BM_zbud_impl_two_threads(benchmark::State& state, bool shared_pool, std::uint64_t iterations) {
  for (auto _ : state) {
    ImplPool pools[2];  // pools[1] stays empty when the pool is shared
    std::vector<Churn<ImplPool>> churns;
    for (std::uint64_t t = 0; t < 2; t++) churns.emplace_back(&pools[shared_pool ? 0 : t], 1 + t);
    run_timed(state, churns, iterations);
  }
}

// The churn's length, 20 M unless --zbud_iterations=N (taken out of argv) says; 0 when
// the flag is not a whole number >= 2.
std::uint64_t take_iterations_flag(int* argc, char** argv) {
  constexpr const char* kFlag = "--zbud_iterations=";
  std::uint64_t iterations = 20'000'000;
  int kept = 1;
  for (int i = 1; i < *argc; i++) {
    if (std::strncmp(argv[i], kFlag, std::strlen(kFlag)) != 0) {
      argv[kept++] = argv[i];
      continue;
    }
    char* end;
    iterations = std::strtoull(argv[i] + std::strlen(kFlag), &end, 10);
    if (*end != '\0' || iterations < 2) return 0;
  }
  *argc = kept;
  return iterations;
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  const std::uint64_t n = take_iterations_flag(&argc, argv);
  if (n == 0) {
    std::fprintf(stderr, "--zbud_iterations wants a whole number >= 2\n");
    return 1;
  }
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("zbud_iterations", std::to_string(n));
  const std::string ref_name = "BM_zbud/ref/" + std::to_string(kRefObjects) + "_objects";
  for (benchmark::internal::Benchmark* b :
       {benchmark::RegisterBenchmark("BM_zbud/impl", BM_zbud_one_thread<ImplPool>, kObjects, n),
        benchmark::RegisterBenchmark("BM_zbud/impl/two_threads_own_pools", BM_zbud_impl_two_threads, false, n),
        benchmark::RegisterBenchmark("BM_zbud/impl/two_threads_shared_pool", BM_zbud_impl_two_threads, true, n),
        benchmark::RegisterBenchmark(ref_name.c_str(), BM_zbud_one_thread<RefPool>, kRefObjects,
                                     n / kRefSlowdown)})
    b->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
