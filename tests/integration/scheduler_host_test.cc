// The SchedulerHost's housekeeping thread in real time. It must tick at the
// scheduler's housekeeping_interval_ns: the scheduler takes a gap of more
// than twice that between two ticks for a coordinator that did not run, and
// then gives every worker a fresh lease timeout instead of expiring it.
#include "coordinator/service/scheduler_host.h"

#include <gtest/gtest.h>

#include "absl/synchronization/notification.h"
#include "common/clock.h"

namespace tminus {
namespace {

class RecordingSink final : public SessionSink {
 public:
  void Deliver(Outbox outbox) override {
    if (outbox.close && !closed.HasBeenNotified()) closed.Notify();
  }
  void DeliverAck(uint64_t) override {}
  absl::Notification closed;
};

TEST(SchedulerHostTest, HousekeepingTicksAtTheSchedulersIntervalSoASilentWorkerExpires) {
  SchedulerOptions options;
  options.housekeeping_interval_ns = 100'000'000;  // not the default 500 ms
  options.lease_timeout_ns = 700'000'000;  // past the first tick, even at 500 ms
  RecordingSink sink;  // outlives the host, which may deliver to it until it stops
  SchedulerHost host(RealClock::Get(), options, MakeMemoryStore());
  host.StartHousekeeping();
  const WorkerHello hello{{"silent", 1, "h", 1, true, false, "v", {}, {}}, {}};
  ASSERT_TRUE(host.OpenSession(hello, &sink, [] {}).ok());
  // Ticking every 500 ms, every tick would look like a stall and the silent
  // worker would never expire.
  EXPECT_TRUE(sink.closed.WaitForNotificationWithTimeout(absl::Seconds(5)));
}

}  // namespace
}  // namespace tminus
