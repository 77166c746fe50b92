// gRPC knobs in one place: status conversion, channels, deadlines, server
// options. Everything that talks gRPC goes through here.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "common/host.h"

namespace tminus {

inline constexpr std::chrono::milliseconds kDefaultRpcDeadline{10'000};
// Keepalive pings on otherwise idle connections, so a dead peer on a
// half-open TCP connection is noticed in seconds, not hours.
inline constexpr int kKeepaliveTimeMs = 10'000;
inline constexpr int kKeepaliveTimeoutMs = 5'000;
inline constexpr int kMaxMessageBytes = 16 * 1024 * 1024;
inline constexpr int kMaxReconnectBackoffMs = 500;
inline constexpr int kConnectTimeoutMs = 2'000;
inline constexpr int kServerHandshakeTimeoutMs = 10'000;

// The one conversion at the edge; keeps the code and the message.
grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

// A channel to host:port with the shared keepalive settings; insecure unless
// credentials are given (see common/security.h).
std::shared_ptr<grpc::Channel> MakeChannel(
    const std::string& target,
    std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials());

// Applies the shared server settings (keepalive, message size).
void ConfigureServerBuilder(grpc::ServerBuilder* builder);

void SetDeadline(grpc::ClientContext* context,
                 std::chrono::milliseconds timeout = kDefaultRpcDeadline);

}  // namespace tminus
