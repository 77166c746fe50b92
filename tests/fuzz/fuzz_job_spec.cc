// Fuzzes the request path of SubmitJob: wire bytes -> SubmitJobRequest ->
// domain JobSpec -> validation; a spec that passes must tile n exactly.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "common/job_spec.h"
#include "common/proto_convert.h"
#include "tminus/v1/jobs.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tminus::v1::SubmitJobRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;
  const tminus::JobSpec spec = tminus::FromProto(request.spec());
  if (!tminus::ValidateJobSpec(spec).ok()) return 0;
  const tminus::ChunkPlan plan = tminus::PlanOf(spec);
  if (plan.chunk_count() < 1 || plan.chunk_count() > tminus::kMaxChunkCount) std::abort();
  const tminus::ChunkRange first = plan.Chunk(0);
  const tminus::ChunkRange last = plan.Chunk(plan.chunk_count() - 1);
  if (first.begin != 0 || first.count < 1 || last.count < 1) std::abort();
  if (last.begin + last.count != spec.n) std::abort();  // the chunks tile n exactly
  return 0;
}
