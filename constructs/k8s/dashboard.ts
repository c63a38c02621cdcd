/**
 * A Grafana dashboard for one continuum layer, shipped as a ConfigMap with the label Grafana's dashboard sidecar
 * watches (OPERATIONS.grafanaDashboardLabel), so it appears in a Grafana installed with the sidecar (the Grafana and
 * kube-prometheus-stack Helm charts) without any clicking. The panels are contracts/dashboard-panels.ts, the list the
 * local live view draws too.
 */
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { DASHBOARD_PANELS, type DashboardPanel, promql } from '../../contracts/dashboard-panels';
import { OPERATIONS } from '../../contracts/versions';

export interface LayerDashboardProps {
  readonly layer: string;
  /** ConfigMap name. @default `ddnn-<layer>-dashboard` */
  readonly name?: string;
  /** @default DASHBOARD_PANELS */
  readonly panels?: readonly DashboardPanel[];
  /** Folder the sidecar files the dashboard under (its `grafana_folder` annotation). @default 'continuum-ddnn' */
  readonly folder?: string;
}

/** The dashboard's JSON model (Grafana schemaVersion 39), one time-series panel per entry, two per row. */
export function dashboardJson(layer: string, panels: readonly DashboardPanel[] = DASHBOARD_PANELS): Record<string, unknown> {
  return {
    uid: `ddnn-${layer}`,
    title: `continuum-ddnn: ${layer}`,
    tags: ['continuum-ddnn', layer],
    schemaVersion: 39,
    editable: true,
    refresh: '10s',
    time: { from: 'now-30m', to: 'now' },
    templating: {
      list: [{ name: 'datasource', label: 'Prometheus', type: 'datasource', query: 'prometheus', current: {}, hide: 0 }],
    },
    panels: panels.map((p, i) => ({
      id: i + 1,
      type: 'timeseries',
      title: p.title,
      description: p.description,
      datasource: { type: 'prometheus', uid: '${datasource}' },
      gridPos: { h: 8, w: 12, x: (i % 2) * 12, y: Math.floor(i / 2) * 8 },
      fieldConfig: { defaults: { unit: p.unit, ...(p.unit === 'percentunit' ? { min: 0, max: 1 } : {}) }, overrides: [] },
      targets: p.lines.map((line, j) => ({
        refId: String.fromCharCode(65 + j),
        datasource: { type: 'prometheus', uid: '${datasource}' },
        expr: promql(line.series, layer),
        legendFormat: line.legend,
      })),
    })),
  };
}

export class LayerDashboard extends Construct {
  readonly configMap: k8s.KubeConfigMap;
  readonly dashboard: Record<string, unknown>;

  constructor(scope: Construct, id: string, props: LayerDashboardProps) {
    super(scope, id);
    const { layer } = props;
    if (!/^[a-z0-9-]+$/.test(layer)) throw new Error(`LayerDashboard: layer (${layer}) must be a DNS label`);
    const panels = props.panels ?? DASHBOARD_PANELS;
    if (panels.length === 0) throw new Error(`LayerDashboard ${layer}: panels must not be empty`);
    this.dashboard = dashboardJson(layer, panels);
    this.configMap = new k8s.KubeConfigMap(this, 'dashboard', {
      metadata: {
        name: props.name ?? `ddnn-${layer}-dashboard`,
        labels: { ...OPERATIONS.grafanaDashboardLabel, 'ddnn.dev/layer': layer },
        annotations: { grafana_folder: props.folder ?? 'continuum-ddnn' },
      },
      data: { [`ddnn-${layer}.json`]: JSON.stringify(this.dashboard, null, 1) },
    });
  }
}
