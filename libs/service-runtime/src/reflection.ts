import { toBinary, type DescFile, type DescService } from '@bufbuild/protobuf';
import { nestedTypes } from '@bufbuild/protobuf/reflect';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import { Code, type ServiceImpl } from '@connectrpc/connect';
import { reflection } from '@bdk/proto';

type Request = reflection.ServerReflectionRequest;
type Response = reflection.ServerReflectionResponse['messageResponse'];

/** The files and everything they import, keyed by file name ("bdk/v1/book.proto"). */
function closureOf(roots: DescFile[]): Map<string, DescFile> {
  const files = new Map<string, DescFile>();
  const add = (file: DescFile) => {
    if (files.has(file.proto.name)) return;
    files.set(file.proto.name, file);
    file.dependencies.forEach(add);
  };
  roots.forEach(add);
  return files;
}

/**
 * grpc.reflection.v1.ServerReflection over the descriptors compiled into the service, so grpcurl, Postman and
 * IDEs can list and call BDK's services without a copy of proto/.
 */
export function reflectionService(services: DescService[]): ServiceImpl<typeof reflection.ServerReflection> {
  const files = closureOf(services.map((service) => service.file));
  const symbols = new Map<string, DescFile>();
  for (const file of files.values()) {
    for (const type of nestedTypes(file)) {
      symbols.set(type.typeName, file);
      if (type.kind === 'service') for (const method of type.methods) symbols.set(`${type.typeName}.${method.name}`, file);
    }
  }

  // A file with everything it imports, so a client can build its descriptor pool from one answer.
  const withDependencies = (file: DescFile): Response => {
    const fileDescriptorProto = [...closureOf([file]).values()].map((f) => toBinary(FileDescriptorProtoSchema, f.proto));
    return { case: 'fileDescriptorResponse', value: { $typeName: 'grpc.reflection.v1.FileDescriptorResponse', fileDescriptorProto } };
  };
  const notFound = (what: string): Response => ({
    case: 'errorResponse',
    value: { $typeName: 'grpc.reflection.v1.ErrorResponse', errorCode: Code.NotFound, errorMessage: `${what} not found` },
  });

  const answer = ({ messageRequest: ask }: Request): Response => {
    switch (ask.case) {
      case 'listServices':
        return {
          case: 'listServicesResponse',
          value: {
            $typeName: 'grpc.reflection.v1.ListServiceResponse',
            service: services.map((s) => ({ $typeName: 'grpc.reflection.v1.ServiceResponse', name: s.typeName })),
          },
        };
      case 'fileByFilename': {
        const file = files.get(ask.value);
        return file ? withDependencies(file) : notFound(`file ${ask.value}`);
      }
      case 'fileContainingSymbol': {
        const file = symbols.get(ask.value);
        return file ? withDependencies(file) : notFound(`symbol ${ask.value}`);
      }
      case 'fileContainingExtension':
      case 'allExtensionNumbersOfType':
        // BDK's contract declares no extensions of its own messages.
        return notFound('extension');
      default:
        return {
          case: 'errorResponse',
          value: { $typeName: 'grpc.reflection.v1.ErrorResponse', errorCode: Code.InvalidArgument, errorMessage: 'empty reflection request' },
        };
    }
  };

  return {
    async *serverReflectionInfo(requests) {
      for await (const request of requests) {
        yield { validHost: request.host, originalRequest: request, messageResponse: answer(request) };
      }
    },
  };
}
