#include "coordinator/service/admission.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace tminus {

std::string Admission::HostOf(const grpc::CallbackServerContext* context) {
  // "ipv4:10.0.0.1:5555" or "ipv6:[::1]:5555": drop the port.
  const std::string peer = context->peer();
  return peer.substr(0, peer.rfind(':'));
}

std::string Admission::ClientOf(const grpc::CallbackServerContext* context) {
  const auto& metadata = context->client_metadata();
  const auto header = metadata.find("authorization");
  if (header != metadata.end()) return std::string(header->second.data(), header->second.size());
  return HostOf(context);
}

absl::Status Admission::AdmitSubmit(const std::string& client) {
  const int64_t now_ns = clock_->MonoNs();
  MutexLock lock(&mu_);
  auto [it, fresh] = buckets_.try_emplace(client, Bucket{limits_.submit_burst, now_ns});
  Bucket& bucket = it->second;
  if (!fresh) {
    const double seconds = static_cast<double>(now_ns - bucket.refilled_ns) / 1e9;
    bucket.tokens = std::min(limits_.submit_burst,
                             bucket.tokens + seconds * limits_.submits_per_second);
    bucket.refilled_ns = now_ns;
  }
  if (bucket.tokens < 1) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "submit rate: at most ", limits_.submits_per_second, " jobs/s per client (bursts of ",
        limits_.submit_burst, "); retry after a short pause"));
  }
  bucket.tokens -= 1;
  return absl::OkStatus();
}

absl::Status Admission::AcquireWatch(const std::string& client) {
  MutexLock lock(&mu_);
  int& open = watches_[client];
  if (open >= limits_.watches_per_client) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "watch streams: at most ", limits_.watches_per_client,
        " open at once per client (per token, or per IP address without tokens; each "
        "`tminus watch` and `submit --wait` holds one until its job ends; the coordinator's "
        "--max-watches-per-client)"));
  }
  ++open;
  return absl::OkStatus();
}

void Admission::ReleaseWatch(const std::string& client) {
  MutexLock lock(&mu_);
  if (--watches_[client] <= 0) watches_.erase(client);
}

absl::Status Admission::AcquireSession(const std::string& host) {
  MutexLock lock(&mu_);
  int& open = sessions_[host];
  if (open >= limits_.sessions_per_host) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "worker sessions: at most ", limits_.sessions_per_host, " per host (", host, ")"));
  }
  ++open;
  return absl::OkStatus();
}

void Admission::ReleaseSession(const std::string& host) {
  MutexLock lock(&mu_);
  if (--sessions_[host] <= 0) sessions_.erase(host);
}

}  // namespace tminus
