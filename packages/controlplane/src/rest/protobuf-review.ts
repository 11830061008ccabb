// kubectl sends a SelfSubjectAccessReview (`auth can-i`) as Kubernetes'
// protobuf (`application/vnd.kubernetes.protobuf`: the bytes "k8s\0", then a
// runtime.Unknown wrapping the object), with no JSON fallback. Only the
// review's string fields are read here, by their field numbers in
// k8s.io/api/authorization/v1/generated.proto, with protobufjs' Reader; the
// answer goes back as JSON, which kubectl's Accept allows.
import protobuf from 'protobufjs';
import { InvalidError } from '@skiff/api';

export const PROTOBUF = 'application/vnd.kubernetes.protobuf';
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** Field number → bytes of each length-delimited field of one message (last one wins, as in protobuf). */
function fields(bytes: Uint8Array): Map<number, Uint8Array> {
  const reader = protobuf.Reader.create(bytes);
  const out = new Map<number, Uint8Array>();
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if ((tag & 7) === 2) out.set(tag >>> 3, reader.bytes());
    else reader.skipType(tag & 7);
  }
  return out;
}

const RESOURCE_ATTRIBUTES = ['namespace', 'verb', 'group', 'version', 'resource', 'subresource', 'name'] as const;

/** The review as the JSON body reviewAccess reads: `{spec: {resourceAttributes: {...}}}`. */
export function decodeProtobufReview(body: Buffer): unknown {
  if (!body.subarray(0, 4).equals(MAGIC)) throw new InvalidError(`a ${PROTOBUF} body must start with the bytes "k8s\\0"`);
  try {
    const raw = fields(body.subarray(4)).get(2) ?? new Uint8Array();
    const spec = fields(raw).get(2);
    const resource = spec && fields(spec).get(1);
    if (!resource) return { spec: {} };
    const attributes = fields(resource);
    const decoded = Object.fromEntries(
      RESOURCE_ATTRIBUTES.flatMap((key, index) => {
        const value = attributes.get(index + 1);
        return value ? [[key, Buffer.from(value).toString('utf8')]] : [];
      }),
    );
    return { spec: { resourceAttributes: decoded } };
  } catch (error) {
    throw new InvalidError(`the ${PROTOBUF} SelfSubjectAccessReview could not be read: ${error instanceof Error ? error.message : String(error)}`);
  }
}
