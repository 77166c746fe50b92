#include "common/security.h"

#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/files.h"
#include "common/rpc.h"
#include "common/status_macros.h"
#include "common/text.h"

namespace tminus {
namespace {

constexpr size_t kMinTokenBytes = 16;
// A token travels in a header: gRPC's default limit on all headers is 8 KiB.
constexpr size_t kMaxTokenBytes = 4096;

// OK, or INVALID_ARGUMENT naming `source`: a token that could never be sent.
absl::Status CheckToken(absl::string_view token, const std::string& source) {
  if (token.size() < kMinTokenBytes || token.size() > kMaxTokenBytes) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": a token must be ", kMinTokenBytes,
                                                   " to ", kMaxTokenBytes, " bytes, got ",
                                                   token.size()));
  }
  if (!IsVisibleAscii(token)) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": a token may hold visible ASCII characters only (it is sent in a header)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadFile(const std::string& path, const std::string& flag) {
  std::optional<std::string> text = ReadWholeFile(path);
  if (!text.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": cannot read ", path));
  }
  return *std::move(text);
}

// A PEM file of the kind the flag wants ("CERTIFICATE" or "PRIVATE KEY"):
// gRPC only says so in its log, and then serves nobody.
absl::StatusOr<std::string> ReadPem(const std::string& path, const std::string& flag) {
  absl::StatusOr<std::string> text = ReadFile(path, flag);
  if (!text.ok()) return text;
  const bool key = absl::StrContains(flag, "key");
  const bool found = key ? absl::StrContains(*text, "PRIVATE KEY-----")
                         : absl::StrContains(*text, "-----BEGIN CERTIFICATE-----");
  if (!found) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": ", path, " holds no PEM ",
                                                   key ? "private key" : "certificate"));
  }
  return text;
}

// One token a line; blank lines and lines starting with '#' are skipped.
absl::StatusOr<std::vector<std::string>> ReadTokens(const std::string& path,
                                                    const std::string& flag) {
  std::vector<std::string> tokens;
  if (path.empty()) return tokens;
  absl::StatusOr<std::string> text = ReadFile(path, flag);
  if (!text.ok()) return text.status();
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    RETURN_IF_ERROR(CheckToken(line, absl::StrCat(flag, " ", path)));
    tokens.emplace_back(line);
  }
  if (tokens.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": no token in ", path));
  }
  return tokens;
}

bool AnyEquals(const std::vector<std::string>& tokens, const std::string& presented) {
  bool found = false;
  for (const std::string& token : tokens) found |= ConstantTimeEquals(token, presented);
  return found;
}

}  // namespace

bool ConstantTimeEquals(const std::string& a, const std::string& b) {
  unsigned diff = a.size() == b.size() ? 0u : 1u;
  const size_t n = std::max(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned>(x ^ y);
  }
  return diff == 0;
}

absl::StatusOr<ClientSecurity> LoadClientSecurity(const std::string& token_file,
                                                  const std::string& ca_file,
                                                  const std::string& cert_file,
                                                  const std::string& key_file) {
  ClientSecurity security;
  if (!token_file.empty()) {
    absl::StatusOr<std::vector<std::string>> tokens = ReadTokens(token_file, "--token-file");
    if (!tokens.ok()) return tokens.status();
    security.token = tokens->front();
  } else if (const char* env = std::getenv("TMINUS_TOKEN"); env != nullptr && *env != '\0') {
    security.token = std::string(absl::StripAsciiWhitespace(env));
    RETURN_IF_ERROR(CheckToken(security.token, "TMINUS_TOKEN"));
  }
  for (auto [path, flag, out] : {std::tuple{&ca_file, "--tls-ca", &security.ca_pem},
                                 std::tuple{&cert_file, "--tls-cert", &security.cert_pem},
                                 std::tuple{&key_file, "--tls-key", &security.key_pem}}) {
    if (path->empty()) continue;
    absl::StatusOr<std::string> pem = ReadPem(*path, flag);
    if (!pem.ok()) return pem.status();
    *out = *pem;
  }
  if (security.cert_pem.empty() != security.key_pem.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  if (!security.cert_pem.empty() && security.ca_pem.empty()) {
    return absl::InvalidArgumentError("--tls-cert needs --tls-ca (the coordinator's CA)");
  }
  return security;
}

std::shared_ptr<grpc::Channel> MakeSecureChannel(const std::string& target,
                                                 const ClientSecurity& security) {
  if (security.ca_pem.empty()) return MakeChannel(target);
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = security.ca_pem;
  options.pem_cert_chain = security.cert_pem;
  options.pem_private_key = security.key_pem;
  return MakeChannel(target, grpc::SslCredentials(options));
}

void Authenticate(grpc::ClientContext* context, const ClientSecurity& security) {
  if (!security.token.empty()) context->AddMetadata("authorization", "Bearer " + security.token);
}

absl::StatusOr<TokenSet> TokenSet::Load(const std::string& client_file,
                                        const std::string& worker_file,
                                        const std::string& admin_file) {
  TokenSet set;
  for (auto [path, flag, out] :
       {std::tuple{&client_file, "--client-token-file", &set.client_},
        std::tuple{&worker_file, "--worker-token-file", &set.worker_},
        std::tuple{&admin_file, "--admin-token-file", &set.admin_}}) {
    absl::StatusOr<std::vector<std::string>> tokens = ReadTokens(*path, flag);
    if (!tokens.ok()) return tokens.status();
    *out = std::move(*tokens);
  }
  // A token in both files would quietly act as an admin token.
  for (const std::string& token : set.client_) {
    if (AnyEquals(set.worker_, token)) {
      return absl::InvalidArgumentError(
          "--client-token-file and --worker-token-file share a token: give clients and workers "
          "different tokens (a token that may do both belongs in --admin-token-file)");
    }
  }
  return set;
}

std::string BearerToken(absl::string_view authorization) {
  constexpr absl::string_view kScheme = "bearer";
  if (authorization.size() <= kScheme.size() ||
      !absl::EqualsIgnoreCase(authorization.substr(0, kScheme.size()), kScheme) ||
      authorization[kScheme.size()] != ' ') {
    return "";
  }
  authorization.remove_prefix(kScheme.size());
  while (!authorization.empty() && authorization.front() == ' ') authorization.remove_prefix(1);
  return std::string(authorization);
}

absl::Status TokenSet::Check(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata,
                             Role needed) const {
  if (open()) return absl::OkStatus();
  const auto header = metadata.find("authorization");
  const std::string token =
      header == metadata.end()
          ? std::string()
          : BearerToken(absl::string_view(header->second.data(), header->second.size()));
  if (token.empty()) {
    return absl::UnauthenticatedError("missing token: send 'authorization: Bearer <token>' "
                                      "(--token-file or TMINUS_TOKEN)");
  }
  if (AnyEquals(admin_, token)) return absl::OkStatus();
  const bool client = AnyEquals(client_, token);
  const bool worker = AnyEquals(worker_, token);
  if ((needed == Role::kClient && client) || (needed == Role::kWorker && worker)) {
    return absl::OkStatus();
  }
  if (client || worker) {
    switch (needed) {
      case Role::kClient: return absl::PermissionDeniedError("a worker token cannot use JobService");
      case Role::kWorker:
        return absl::PermissionDeniedError("a client token cannot open worker sessions");
      case Role::kAdmin:
        return absl::PermissionDeniedError(
            "this needs an admin token (the coordinator's --admin-token-file)");
    }
  }
  return absl::UnauthenticatedError("unknown token");
}

absl::StatusOr<TokenSet> TokenSet::LoadReaders(const std::string& file, const std::string& flag) {
  TokenSet set;
  absl::StatusOr<std::vector<std::string>> tokens = ReadTokens(file, flag);
  if (!tokens.ok()) return tokens.status();
  set.client_ = std::move(*tokens);
  return set;
}

TokenRole TokenSet::RoleOf(const std::string& token) const {
  const bool admin = AnyEquals(admin_, token);
  const bool client = AnyEquals(client_, token);
  const bool worker = AnyEquals(worker_, token);
  if (admin) return TokenRole::kAdmin;
  if (client) return TokenRole::kClient;
  return worker ? TokenRole::kWorker : TokenRole::kNone;
}

absl::StatusOr<ServerTls> LoadServerTls(const std::string& cert_file, const std::string& key_file,
                                        const std::string& client_ca_file) {
  ServerTls tls;
  for (auto [path, flag, out] : {std::tuple{&cert_file, "--tls-cert", &tls.cert_pem},
                                 std::tuple{&key_file, "--tls-key", &tls.key_pem},
                                 std::tuple{&client_ca_file, "--tls-client-ca", &tls.client_ca_pem}}) {
    if (path->empty()) continue;
    absl::StatusOr<std::string> pem = ReadPem(*path, flag);
    if (!pem.ok()) return pem.status();
    *out = *pem;
  }
  if (tls.cert_pem.empty() != tls.key_pem.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  if (!tls.client_ca_pem.empty() && tls.cert_pem.empty()) {
    return absl::InvalidArgumentError("--tls-client-ca needs --tls-cert and --tls-key");
  }
  return tls;
}

std::shared_ptr<grpc::ServerCredentials> MakeServerCredentials(const ServerTls& tls) {
  if (tls.cert_pem.empty()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions options(
      tls.client_ca_pem.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                                : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = tls.client_ca_pem;
  options.pem_key_cert_pairs.push_back({tls.key_pem, tls.cert_pem});
  return grpc::SslServerCredentials(options);
}

}  // namespace tminus
