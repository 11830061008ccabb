// Reading request bodies and writing JSON answers for the REST door.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { InvalidError, SkiffError } from '@skiff/api';
import { status as grpcStatus } from '@grpc/grpc-js';

/** Largest request body accepted: as the gRPC door's limit (manifests are at most 1 MiB). */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** A request body in a media type this server does not read (415); PATCH types are @skiff/api's UnsupportedPatchTypeError. */
export class UnsupportedMediaTypeError extends SkiffError {
  // status-errors.ts answers it 415; UNIMPLEMENTED is the nearest gRPC code.
  readonly code = grpcStatus.UNIMPLEMENTED;
}

/** A body over MAX_BODY_BYTES (413). */
export class BodyTooLargeError extends SkiffError {
  readonly code = grpcStatus.RESOURCE_EXHAUSTED;
}

export async function readBody(request: IncomingMessage): Promise<string> {
  return (await readBodyBytes(request)).toString('utf8');
}

export async function readBodyBytes(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLargeError(`the request body is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** The media type of a Content-Type header, without parameters, in lower case. */
export function mediaTypeOf(header: string | undefined): string {
  return (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** A JSON (or YAML, which kubectl never sends but curl users may) request body as a value. */
export function parseBody(text: string, contentType: string | undefined): unknown {
  if (text.trim() === '') return undefined;
  const type = mediaTypeOf(contentType);
  try {
    return type.endsWith('yaml') ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new InvalidError(`the request body is not valid ${type.endsWith('yaml') ? 'YAML' : 'JSON'}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export function sendJson(response: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}
