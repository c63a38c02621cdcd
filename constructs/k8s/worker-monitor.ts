/**
 * Has the Prometheus Operator scrape one layer's workers: a PodMonitor (monitoring.coreos.com/v1) selecting the
 * worker pods by the labels their Deployment selects them by, on the worker's HTTP port and metrics path. The
 * workers label every series with their layer themselves (ddnn_requests_total{layer="edge"}), so no relabelling.
 */
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { WORKER_HTTP } from '../../contracts/worker-env';
import type { InferenceLayer } from './inference-layer';

export interface WorkerMonitorProps {
  readonly worker: InferenceLayer;
  /** Scrape interval. @default '15s' */
  readonly interval?: string;
  /**
   * Labels a Prometheus' podMonitorSelector matches (e.g. `{ release: 'kube-prometheus-stack' }`).
   * @default - the worker pods' labels only
   */
  readonly labels?: Record<string, string>;
}

/** Port name of the worker container's HTTP endpoint (InferenceLayer names it so). */
export const WORKER_HTTP_PORT_NAME = 'http';

export class WorkerMonitor extends Construct {
  readonly podMonitor: ApiObject;

  constructor(scope: Construct, id: string, props: WorkerMonitorProps) {
    super(scope, id);
    const { worker } = props;
    const interval = props.interval ?? '15s';
    if (!/^(\d+(ms|s|m|h))+$/.test(interval)) throw new Error(`WorkerMonitor ${worker.layer}: interval (${interval}) must be a Prometheus duration such as 15s`);
    this.podMonitor = new ApiObject(this, 'pod-monitor', {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PodMonitor',
      metadata: { name: `${worker.name}-workers`, labels: { ...worker.podLabels, ...props.labels } },
      spec: {
        selector: { matchLabels: worker.selector },
        podMetricsEndpoints: [{ port: WORKER_HTTP_PORT_NAME, path: WORKER_HTTP.metrics, interval }],
      },
    });
  }
}
