/**
 * Names shared by the Kubernetes manifests and the Terraform stacks, so each side can refer to what the other
 * creates without a lookup (e.g. a broker's LoadBalancer Service names the static address Terraform reserved).
 */

/** Prefix of the cloud resources of one environment's layer (GCP names: ≤ 63 chars, lowercase). */
export const cloudResourcePrefix = (environment: string, layer: string) => `ddnn-${environment}-${layer}`.slice(0, 40);

/** Name of the static external address reserved for broker `ordinal`'s WAN listener. */
export const kafkaAddressName = (environment: string, layer: string, ordinal: number) =>
  `${cloudResourcePrefix(environment, layer)}-kafka-${ordinal}`;
