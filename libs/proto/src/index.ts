// @bdk/proto: the generated contract (never hand-edited; `nx run proto:generate` writes src/gen from proto/).
export * from './gen/bdk/v1/book_pb.js';
export * from './gen/bdk/v1/instance_pb.js';
export * from './gen/bdk/v1/library_service_pb.js';
export * from './gen/bdk/v1/webhook_service_pb.js';
export * from './gen/bdk/v1/controller_service_pb.js';
export { HttpBodySchema, type HttpBody } from './gen/google/api/httpbody_pb.js';
// Error details (google.rpc.BadRequest, ErrorInfo) that services attach to a status, for clients to act on.
export { BadRequestSchema, BadRequest_FieldViolationSchema, ErrorInfoSchema, type BadRequest, type ErrorInfo } from './gen/google/rpc/error_details_pb.js';
// The Model Manager is an external service with its own package; its names stay namespaced.
export * as modelmanager from './gen/modelmanager/v1/prompt_service_pb.js';
// Standard gRPC health checking, served by every BDK service.
export * as health from './gen/grpc/health/v1/health_pb.js';
// Standard gRPC server reflection (grpcurl, Postman, IDEs), served by every BDK service.
export * as reflection from './gen/grpc/reflection/v1/reflection_pb.js';
