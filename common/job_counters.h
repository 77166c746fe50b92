// The fault and retry counters of one job: one type, kept by the scheduler,
// reported to clients and saved with the job (tminus.v1.JobCounters on the
// wire and on disk; common/proto_convert.h converts both ways).
#pragma once

#include <cstdint>

namespace tminus {

struct JobCounters {
  int64_t retries = 0;          // chunks put back in the queue after a failure or lost lease
  int64_t duplicates = 0;       // results for chunks already done, ignored
  int64_t failed_attempts = 0;  // failed results, bad results and lost leases
  int64_t lease_expiries = 0;   // leases lost to a silent worker
  int64_t backups = 0;          // backup attempts for stragglers
  int64_t handed_back = 0;      // chunks returned unfinished (drains, lost backup races)
};

}  // namespace tminus
