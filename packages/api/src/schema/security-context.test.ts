import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Pod } from '../types.js';
import { validateManifest } from '../validate.js';

function pod(podContext: string, containerContext: string): unknown {
  return parse(`
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  securityContext: ${podContext}
  containers:
  - name: web
    image: busybox
    securityContext: ${containerContext}
`) as unknown;
}

describe('securityContext in the Pod schema', () => {
  it('accepts every supported field at pod and container level', () => {
    const result = validateManifest(
      pod(
        '{runAsUser: 1000, runAsGroup: 1000, runAsNonRoot: true, fsGroup: 2000, supplementalGroups: [3000, 4000], seccompProfile: {type: RuntimeDefault}}',
        '{runAsUser: 1001, runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, privileged: false, capabilities: {add: [NET_ADMIN, CAP_SYS_TIME], drop: [ALL]}, seccompProfile: {type: Unconfined}}',
      ),
    );
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    const object = result.object as Pod;
    expect(object.spec.securityContext?.supplementalGroups).toEqual([3000, 4000]);
    expect(object.spec.containers[0]?.securityContext?.capabilities?.drop).toEqual(['ALL']);
  });

  it.each([
    ['{}', '{seccompProfile: {type: Localhost}}', 'spec.containers[0].securityContext.seccompProfile.type', /Localhost profiles are not supported/],
    ['{seccompProfile: {type: Localhost}}', '{}', 'spec.securityContext.seccompProfile.type', /Localhost profiles are not supported/],
    ['{}', '{seccompProfile: {}}', 'spec.containers[0].securityContext.seccompProfile.type', /required/],
    ['{runAsUser: -1}', '{}', 'spec.securityContext.runAsUser', /user or group id/],
    ['{}', '{runAsGroup: 1.5}', 'spec.containers[0].securityContext.runAsGroup', /user or group id/],
    ['{supplementalGroups: [1, x]}', '{}', 'spec.securityContext.supplementalGroups[1]', /user or group id/],
    ['{fsGroup: 4294967295}', '{}', 'spec.securityContext.fsGroup', /user or group id/],
    ['{}', '{runAsNonRoot: "yes"}', 'spec.containers[0].securityContext.runAsNonRoot', /true or false/],
    ['{}', '{capabilities: {add: ["NET ADMIN"]}}', 'spec.containers[0].securityContext.capabilities.add[0]', /capability name/],
    ['{}', '{privileged: 1}', 'spec.containers[0].securityContext.privileged', /true or false/],
  ])('rejects pod %s / container %s at %s', (podContext, containerContext, path, message) => {
    const result = validateManifest(pod(podContext, containerContext));
    expect(result.object).toBeUndefined();
    const issue = result.errors.find((e) => e.path === path);
    expect(issue, JSON.stringify(result.errors)).toBeDefined();
    expect(issue?.message).toMatch(message);
  });

  it('warns about fields that belong to the other level', () => {
    const result = validateManifest(pod('{privileged: true}', '{fsGroup: 1}'));
    expect(result.warnings.map((w) => w.path).sort()).toEqual(['spec.containers[0].securityContext.fsGroup', 'spec.securityContext.privileged']);
  });
});
