// The lock validator: each kind of lock mistake is reported on its first execution,
// with the sites involved, and correct locking is never reported.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "sync.h"

namespace {

// Reports become exceptions, so the violating call unwinds instead of aborting.
struct Violation : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Lockdep : public testing::Test {
 protected:
  void SetUp() override {
    lockdep::set_report_handler([](const std::string& m) { throw Violation(m); });
  }
  void TearDown() override { lockdep::set_report_handler(nullptr); }

  // The report a call makes, or "" when it makes none.
  template <typename F>
  static std::string report_of(F&& call) {
    try {
      call();
    } catch (const Violation& v) {
      return v.what();
    }
    return "";
  }
};

bool starts_with(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }

TEST_F(Lockdep, RecursiveLockingNamesBothSites) {
  SpinLock lock("zbud_pool.lock");
  lock.lock();
  const std::string r = report_of([&] { lock.lock(); });
  lock.unlock();
  EXPECT_TRUE(starts_with(r, "[invariant] recursive locking: zbud_pool.lock taken at lockdep_test.cpp:")) << r;
  EXPECT_NE(r.find("already holds it (taken at lockdep_test.cpp:"), std::string::npos) << r;
}

TEST_F(Lockdep, TakingAgainstTheDeclaredOrderIsAnInversion) {
  SpinLock tree("zswap_tree.lock"), pool("zbud_pool.lock"), page("page.lock");
  {
    SpinGuard outer(tree);
    SpinGuard inner(pool);  // the declared order
  }
  tree.lock();
  const std::string r = report_of([&] { page.lock(); });
  tree.unlock();
  EXPECT_TRUE(starts_with(r, "[invariant] lock inversion: page.lock taken at lockdep_test.cpp:")) << r;
  EXPECT_NE(r.find("the declared order (impl/lock_order.h) is page.lock -> zswap_tree.lock"), std::string::npos) << r;
}

TEST_F(Lockdep, NothingIsTakenUnderALeaf) {
  SpinLock info("swap_info.lock"), tree("zswap_tree.lock");
  SpinGuard leaf(info);
  const std::string r = report_of([&] { tree.lock(); });
  EXPECT_NE(r.find("swap_info.lock is a leaf"), std::string::npos) << r;
}

TEST_F(Lockdep, AnOrderSeenEarlierInTheRunMakesTheReverseAnInversion) {
  // Classes the declared order does not know: only the run's own history judges them.
  SpinLock a("lockdep_test.a"), b("lockdep_test.b");
  std::thread([&] {
    SpinGuard first(a);
    SpinGuard second(b);
  }).join();
  b.lock();
  const std::string r = report_of([&] { a.lock(); });
  b.unlock();
  EXPECT_TRUE(starts_with(r, "[invariant] lock inversion: lockdep_test.b -> lockdep_test.a here: ")) << r;
  EXPECT_NE(r.find("but lockdep_test.a -> lockdep_test.b earlier: lockdep_test.b taken at lockdep_test.cpp:"),
            std::string::npos)
      << r;
}

TEST_F(Lockdep, AForgottenOrderIsNoLongerAnInversion) {
  // Each step takes locks of its own, of the same two classes, all alive at once: TSan
  // judges mutexes (by address) rather than classes, and sees no cycle.
  SpinLock a1("lockdep_test.forget_a"), b1("lockdep_test.forget_b");
  SpinLock a2("lockdep_test.forget_a"), b2("lockdep_test.forget_b");
  SpinLock a3("lockdep_test.forget_a"), b3("lockdep_test.forget_b");
  {
    SpinGuard first(a1);
    SpinGuard second(b1);
  }
  lockdep::forget_observed_order();
  {
    SpinGuard first(b2);
    EXPECT_EQ(report_of([&] { SpinGuard second(a2); }), "");
  }
  // The order taken since is remembered.
  SpinGuard first(a3);
  EXPECT_TRUE(starts_with(report_of([&] { b3.lock(); }), "[invariant] lock inversion: lockdep_test.forget_a -> "));
}

TEST_F(Lockdep, AnyLockHeldSeesEveryThread) {
  SpinLock lock("lockdep_test.held");
  EXPECT_FALSE(lockdep::any_lock_held());
  {
    SpinGuard held(lock);
    EXPECT_TRUE(lockdep::any_lock_held());
  }
  EXPECT_FALSE(lockdep::any_lock_held());
  std::mutex m;
  std::condition_variable cv;
  bool taken = false, done = false;
  std::thread other([&] {
    SpinGuard held(lock);
    std::unique_lock<std::mutex> l(m);
    taken = true;
    cv.notify_all();
    cv.wait(l, [&] { return done; });
  });
  {
    std::unique_lock<std::mutex> l(m);
    cv.wait(l, [&] { return taken; });
    EXPECT_TRUE(lockdep::any_lock_held());
    done = true;
    cv.notify_all();
  }
  other.join();
  EXPECT_FALSE(lockdep::any_lock_held());
}

TEST_F(Lockdep, SameClassNestingAndTheDeclaredOrderAreNotReported) {
  SpinLock swapon("swapon_mutex"), page1("page.lock"), page2("page.lock"), tree("zswap_tree.lock"),
      pool("zbud_pool.lock"), io("swap_io.lock");
  EXPECT_EQ(report_of([&] {
              SpinGuard g0(swapon), g1(page1), g2(page2), g3(tree), g4(pool), g5(io);
            }),
            "");
}

TEST_F(Lockdep, ReleaseByAThreadThatDoesNotHoldItIsReported) {
  SpinLock lock("swap_io.lock");
  EXPECT_TRUE(starts_with(report_of([&] { lock.unlock(); }),
                          "[invariant] unlock of a lock not held: swap_io.lock released at lockdep_test.cpp:"));
  lock.lock();
  std::string r;
  std::thread([&] { r = report_of([&] { lock.unlock(); }); }).join();
  lock.unlock();
  EXPECT_TRUE(starts_with(r, "[invariant] unlock of a lock not held: swap_io.lock")) << r;
}

TEST_F(Lockdep, AssertHeldChecksTheCallingThread) {
  SpinLock lock("zswap_tree.lock");
  EXPECT_TRUE(starts_with(report_of([&] { lockdep_assert_held(lock); }),
                          "[invariant] lock not held: zswap_tree.lock must be held at lockdep_test.cpp:"));
  SpinGuard held(lock);
  EXPECT_EQ(report_of([&] { lockdep_assert_held(lock); }), "");
  std::string r;
  std::thread([&] { r = report_of([&] { lockdep_assert_held(lock); }); }).join();
  EXPECT_TRUE(starts_with(r, "[invariant] lock not held")) << r;
}

TEST_F(Lockdep, DescribesWhatEachThreadHolds) {
  SpinLock tree("zswap_tree.lock"), pool("zbud_pool.lock");
  SpinGuard outer(tree), inner(pool);
  const std::string d = lockdep::describe_threads();
  EXPECT_NE(d.find("holds zswap_tree.lock (lockdep_test.cpp:"), std::string::npos) << d;
  EXPECT_NE(d.find(", zbud_pool.lock (lockdep_test.cpp:"), std::string::npos) << d;
}

}  // namespace
