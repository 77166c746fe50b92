// Authentication and transport security, both sides.
//
// Tokens are shared secrets sent as `authorization: Bearer <token>` on every
// call. The coordinator knows three sets (client, worker, admin), each read
// from a file with one token a line, so tokens can be rotated by adding the
// new one, moving clients over, and removing the old one. Tokens are
// compared in constant time. TLS and mutual TLS use gRPC's own credentials.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tminus {

// ---- client side (CLI, workers, benchmarks) ----
struct ClientSecurity {
  std::string token;     // empty: send none
  std::string ca_pem;    // non-empty: TLS, trusting this CA
  std::string cert_pem;  // with key_pem: a client certificate (mutual TLS)
  std::string key_pem;
};

// The token comes from `token_file` when given, else from the environment
// variable TMINUS_TOKEN (never from a command-line argument, which `ps`
// shows). INVALID_ARGUMENT naming the flag for an unreadable or empty file.
absl::StatusOr<ClientSecurity> LoadClientSecurity(const std::string& token_file,
                                                  const std::string& ca_file,
                                                  const std::string& cert_file,
                                                  const std::string& key_file);

// A channel with the shared settings and, per `security`, TLS.
std::shared_ptr<grpc::Channel> MakeSecureChannel(const std::string& target,
                                                 const ClientSecurity& security);
// Adds the token, if any, to one call.
void Authenticate(grpc::ClientContext* context, const ClientSecurity& security);

// ---- server side (the coordinator) ----
enum class Role { kClient, kWorker, kAdmin };
// What a presented token may do.
enum class TokenRole { kNone, kClient, kWorker, kAdmin };

// Thread-safe after construction (read-only).
// The token of an `Authorization: Bearer TOKEN` header (gRPC metadata or
// HTTP), or "" when it carries none. The scheme is case-insensitive (RFC
// 9110: `bearer` works too) and may be followed by several spaces.
std::string BearerToken(absl::string_view authorization);

class TokenSet {
 public:
  // Empty paths are skipped. INVALID_ARGUMENT naming the file for an
  // unreadable file, a file with no token, or a token under 16 bytes.
  static absl::StatusOr<TokenSet> Load(const std::string& client_file,
                                       const std::string& worker_file,
                                       const std::string& admin_file);
  // One file of tokens that may read (a worker's --metrics-token-file): they
  // count as client tokens. Errors name `flag`.
  static absl::StatusOr<TokenSet> LoadReaders(const std::string& file, const std::string& flag);
  // No token configured: every call is let through.
  bool open() const { return client_.empty() && worker_.empty() && admin_.empty(); }
  // OK, UNAUTHENTICATED (no or unknown token) or PERMISSION_DENIED (a
  // known token whose role may not do this). Admin tokens may do both.
  absl::Status Check(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata,
                     Role needed) const;
  // The role of one token (kNone for an unknown one); constant time.
  TokenRole RoleOf(const std::string& token) const;

 private:
  std::vector<std::string> client_;
  std::vector<std::string> worker_;
  std::vector<std::string> admin_;
};

struct ServerTls {
  std::string cert_pem;       // empty: no TLS
  std::string key_pem;
  std::string client_ca_pem;  // non-empty: clients must present a certificate it signed
};
absl::StatusOr<ServerTls> LoadServerTls(const std::string& cert_file, const std::string& key_file,
                                        const std::string& client_ca_file);
std::shared_ptr<grpc::ServerCredentials> MakeServerCredentials(const ServerTls& tls);

// Equal strings, in time that depends only on their lengths.
bool ConstantTimeEquals(const std::string& a, const std::string& b);

}  // namespace tminus
