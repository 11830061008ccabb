// DELETE of a collection (verb deletecollection): the objects a list with the
// same labelSelector and fieldSelector would answer, each deleted with the
// request's DeleteOptions (ApiService.deleteCollection). The answer is a list
// of the objects as deleted, as Kubernetes' is.
import { InvalidError, type ResourceObject } from '@skiff/api';
import type { ApiService } from '../api/api-service.js';
import { deleteOptionsOf } from './delete-options.js';
import { fieldsMatch, parseFieldSelector } from './field-selector.js';
import type { ResourceCall } from './request-info.js';

export async function deleteCollection(api: ApiService, call: ResourceCall): Promise<object> {
  const { request, query } = call;
  const { options, preconditions } = deleteOptionsOf(call.body, query);
  if (preconditions.uid !== undefined || preconditions.resourceVersion !== undefined) {
    throw new InvalidError('preconditions: a collection delete cannot carry preconditions (they name one object); delete that object by name');
  }
  const fields = parseFieldSelector(query.get('fieldSelector'));
  const items: ResourceObject[] = await api.deleteCollection(
    {
      kind: request.info.kind,
      ...(request.namespace !== undefined ? { namespace: request.namespace } : {}),
      allNamespaces: request.namespace === undefined,
      labelSelector: query.get('labelSelector') ?? '',
    },
    options,
    (object) => fieldsMatch(fields, object),
  );
  return { kind: `${request.info.kind}List`, apiVersion: request.info.apiVersion, metadata: {}, items };
}
