// What the kubelet's native grpc probe does, for the tests that check the
// probes a manifest declares: grpc.health.v1.Health/Check on ADDRESS for
// SERVICE. Exit 0 when SERVING, 1 when another status, 2 when unreachable.
//   health_probe HOST:PORT [SERVICE]
#include <grpcpp/grpcpp.h>

#include <iostream>

#include "grpc/health/v1/health.grpc.pb.h"

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::cerr << "usage: health_probe HOST:PORT [SERVICE]\n";
    return 2;
  }
  auto channel = grpc::CreateChannel(argv[1], grpc::InsecureChannelCredentials());
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::health::v1::HealthCheckRequest request;
  if (argc == 3) request.set_service(argv[2]);
  grpc::health::v1::HealthCheckResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(1));
  const grpc::Status status = stub->Check(&context, request, &response);
  if (!status.ok()) {
    std::cout << "error " << status.error_code() << " " << status.error_message() << "\n";
    return 2;
  }
  std::cout << grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status())
            << "\n";
  return response.status() == grpc::health::v1::HealthCheckResponse::SERVING ? 0 : 1;
}
