/**
 * Secure, production-shaped defaults shared by the constructs that write pod specs directly (the L1 objects from
 * cdk8s-plus-28's imports): restricted security contexts, labels, anti-affinity and resource blocks.
 */
import { k8s } from 'cdk8s-plus-28';

/** Pod-level context of the Kubernetes "restricted" Pod Security Standard, pinned to the image's user. */
export function restrictedPodSecurity(uid: number): k8s.PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    fsGroup: uid,
    fsGroupChangePolicy: 'OnRootMismatch',
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** Container-level context: read-only root, no privilege escalation, every capability dropped. */
export const RESTRICTED_CONTAINER: k8s.SecurityContext = {
  readOnlyRootFilesystem: true,
  allowPrivilegeEscalation: false,
  privileged: false,
  runAsNonRoot: true,
  capabilities: { drop: ['ALL'] },
};

/** Recommended Kubernetes labels plus the continuum layer. */
export function standardLabels(opts: { name: string; component: string; layer?: string; partOf?: string }): Record<string, string> {
  const labels: Record<string, string> = {
    'app.kubernetes.io/name': opts.name,
    'app.kubernetes.io/component': opts.component,
    'app.kubernetes.io/part-of': opts.partOf ?? 'continuum-ddnn',
    'app.kubernetes.io/managed-by': 'cdk8s',
  };
  if (opts.layer) labels['ddnn.dev/layer'] = opts.layer;
  return labels;
}

/** Keep replicas on different nodes: required when there are enough nodes to honour it, preferred otherwise. */
export function spreadOverNodes(selector: Record<string, string>, mode: 'required' | 'preferred'): k8s.Affinity {
  const term = { labelSelector: { matchLabels: selector }, topologyKey: 'kubernetes.io/hostname' };
  return mode === 'required'
    ? { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } }
    : { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: term }] } };
}

export interface ResourceRequest {
  /** CPU request; no CPU limit, so a pod may burst (CFS throttling hurts tail latency). */
  cpu: string;
  /** Memory request = limit: the pod is never OOM-killed for a neighbour's burst. */
  memory: string;
}

export function resourceBlock(r: ResourceRequest): k8s.ResourceRequirements {
  return {
    requests: { cpu: k8s.Quantity.fromString(r.cpu), memory: k8s.Quantity.fromString(r.memory) },
    limits: { memory: k8s.Quantity.fromString(r.memory) },
  };
}

const UNITS: Record<string, number> = { '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };

/** Bytes in a memory quantity such as `1536Mi` or `2Gi`. */
export function memoryBytes(quantity: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)(k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(quantity);
  if (!m) throw new Error(`"${quantity}" is not a memory quantity (e.g. 512Mi, 2Gi)`);
  return Number(m[1]) * UNITS[m[2] ?? ''];
}

/** JVM heap options: half the container memory, the rest for page cache, metaspace and direct buffers. */
export function jvmHeapOptions(memory: string): string {
  const mib = Math.max(128, Math.floor(memoryBytes(memory) / 2 ** 20 / 2));
  return `-Xms${mib}m -Xmx${mib}m`;
}

/** An emptyDir for a path a read-only-root container must write to. */
export const scratch = (name: string, mountPath: string, sizeLimit = '256Mi') => ({
  volume: { name, emptyDir: { sizeLimit: k8s.Quantity.fromString(sizeLimit) } } satisfies k8s.Volume,
  mount: { name, mountPath } satisfies k8s.VolumeMount,
});

/** The `data` volume claim template of a StatefulSet: one ReadWriteOnce volume per pod. */
export function dataVolumeClaim(labels: Record<string, string>, storage: string, storageClassName?: string): k8s.KubePersistentVolumeClaimProps {
  return {
    metadata: { name: 'data', labels },
    spec: { accessModes: ['ReadWriteOnce'], storageClassName, resources: { requests: { storage: k8s.Quantity.fromString(storage) } } },
  };
}
