/**
 * `npm run capacity -- validate|project|plan` and `npm run plan`: the capacity model's CLI (runtime/capacity is
 * pure; this file reads reports and environments and writes the results). It lives with the main job because
 * `plan` reads environments, which only runtime/continuum may.
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { getEnvironment } from '../../environments';
import { plan, type PlanResult } from '../capacity/plan';
import { profileFromReport, type MeasuredReport } from '../capacity/profile';
import { PAPER_HARDWARE, projectPaper, type ProjectedPoint } from '../capacity/project';
import { validate, validationTable } from '../capacity/validate';
import type { RunKind } from '../capacity/types';
import { renderSvg } from '../charts/render';
import { barChart, sideBySide } from '../charts/specs';

/** Experiment reports in a file: one experiment report, or a sweep's experiments. */
export function readReports(file: string): MeasuredReport[] {
  let json: { kind?: string; experiments?: MeasuredReport[] };
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not a readable JSON file (${(e as Error).message})`);
  }
  if (json.kind === 'continuum-sweep') return json.experiments ?? [];
  if (json.kind === 'continuum-experiment') return [json as unknown as MeasuredReport];
  throw new Error(`${file}: kind "${json.kind}" is neither a continuum-experiment report nor a continuum-sweep`);
}

/** The newest report.json / sweep.json under results/ (one or two levels down). */
function newestReport(root = 'results'): string {
  const found: { file: string; mtime: number }[] = [];
  const visit = (dir: string, depth: number) => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir)) {
      const p = path.join(dir, name);
      const st = statSync(p);
      if (st.isDirectory() && depth > 0) visit(p, depth - 1);
      else if (name === 'report.json' || name === 'sweep.json') found.push({ file: p, mtime: st.mtimeMs });
    }
  };
  visit(root, 2);
  if (found.length === 0) throw new Error(`no report.json or sweep.json under ${root}/: run npm start (or npm run sweep) first, or pass --profile`);
  return found.sort((a, b) => b.mtime - a.mtime)[0].file;
}

/** The report to fit on: from a sweep, the experiment with the fewest partitions (p1). */
function profileReport(file: string): MeasuredReport {
  const reports = readReports(file);
  if (reports.length === 0) throw new Error(`${file}: no experiments in it`);
  return reports.reduce((a, b) => (b.setup.partitions < a.setup.partitions ? b : a));
}

function continuumRun(r: MeasuredReport, prefer: 'direct' | 'mirrored'): RunKind {
  const runs = r.earlyExit.map((e) => e.transport);
  if (runs.includes(prefer)) return prefer;
  if (runs.length === 0) throw new Error(`the report of ${r.setup.env} has no continuum run to fit`);
  return runs[0];
}

const number = (name: string, min: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) throw new InvalidArgumentError(`${name} must be a number ≥ ${min} (got "${v}")`);
  return n;
};

const f1 = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '—');
const x2 = (v: number | null) => (v !== null && Number.isFinite(v) ? `${v.toFixed(2)}×` : '—');

export function projectionTable(points: readonly ProjectedPoint[]): string {
  const head = '| partitions | continuum avg (ms) | edge-answered avg | cloud-only avg | speed-up early exits | total | paper early exits | paper total |';
  const rule = '|---:|---:|---:|---:|---:|---:|---:|---:|';
  const rows = points.map(
    (p) =>
      `| ${p.partitions} | ${f1(p.continuum.avg)} | ${f1(p.continuum.exitAvg)} | ${f1(p.cloudOnly.avg)} | ${x2(p.speedUpEarlyExits)} | ${x2(p.speedUpTotal)} | ${x2(p.paper.speedUpEarlyExits)} | ${x2(p.paper.speedUpTotal)} |`,
  );
  return [head, rule, ...rows].join('\n');
}

export function planText(r: PlanResult, request: { env: string; devices: number; rate: number; p95Ms: number }, from: string): string {
  const lines = [
    `Plan for ${request.env}: ${request.devices} devices × ${request.rate} req/s = ${r.offeredPerSecond} req/s, p95 ≤ ${request.p95Ms} ms (profile: ${from})`,
    `Zero-load floor: p50 ${f1(r.floor.p50)} ms, p95 ${f1(r.floor.p95)} ms (a forwarded request ${f1(r.floor.forwardedMs)} ms)`,
  ];
  if (!r.reachable) return [...lines, r.reason, `Search: ${r.rule}`].join('\n');
  lines.push(
    '',
    '| layer | CPU cores | partitions | worker replicas | brokers | CPU utilisation |',
    '|---|---:|---:|---:|---:|---:|',
    ...r.layers.map((l) => `| ${l.name} | ${l.cores} | ${l.partitions} | ${l.workerReplicas} | ${l.brokers} | ${(l.utilisation * 100).toFixed(0)} % |`),
    '',
    `Predicted: p50 ${f1(r.predicted!.p50)} ms, p95 ${f1(r.predicted!.p95)} ms, avg ${f1(r.predicted!.avg)} ms — ${r.reason}`,
    `Search: ${r.rule}`,
  );
  return lines.join('\n');
}

async function projectionSvg(points: readonly ProjectedPoint[]): Promise<string> {
  const groups = (f: (p: ProjectedPoint) => Array<number | null>) => points.map((p) => ({ label: `${p.partitions} partition${p.partitions > 1 ? 's' : ''}`, values: f(p) }));
  const times = barChart({
    title: 'Fig. 8 (model): average response time',
    yLabel: 'ms',
    series: [
      { name: 'continuum (all requests)', color: '#1f77b4' },
      { name: 'continuum (edge-answered)', color: '#9ecae1' },
      { name: 'cloud-only', color: '#ff7f0e' },
    ],
    groups: groups((p) => [p.continuum.avg, p.continuum.exitAvg, p.cloudOnly.avg]),
    format: (v) => v.toFixed(1),
  });
  const speedUps = barChart({
    title: 'Fig. 9: speed-up over cloud-only',
    yLabel: 'speed-up',
    series: [
      { name: 'model: early exits', color: '#2ca02c' },
      { name: 'model: total', color: '#98df8a' },
      { name: 'paper: early exits', color: '#7f7f7f' },
      { name: 'paper: total', color: '#c7c7c7' },
    ],
    groups: groups((p) => [p.speedUpEarlyExits, p.speedUpTotal, p.paper.speedUpEarlyExits, p.paper.speedUpTotal]),
    format: (v) => `${v.toFixed(1)}×`,
  });
  return renderSvg(sideBySide("The paper's setup projected by the capacity model", [times, speedUps]));
}

export function buildCapacityProgram(out: (s: string) => void = (s) => process.stdout.write(`${s}\n`)): Command {
  const program = new Command('capacity').description('the capacity model: validate it on measured runs, project the paper\'s setup, plan a deployment').exitOverride();
  const seedOption = (c: Command) => c.option('--seed <n>', 'PRNG seed of the simulation', number('--seed', 0), 1);

  seedOption(
    program
      .command('validate')
      .description('predict each measured set (continuum runs and cloud-only) and compare p50/p95 with the measured ones')
      .argument('<reports...>', 'sweep.json or experiment report.json files'),
  ).action((files: string[], opts: { seed: number }) => {
    const reports = files.flatMap(readReports);
    if (reports.length === 0) throw new Error(`no experiments in ${files.join(', ')}`);
    const v = validate(reports, { seed: opts.seed });
    const file = path.join(path.dirname(files[0]), 'capacity-validation.json');
    writeFileSync(file, JSON.stringify({ inputs: files, ...v }, null, 2));
    out(validationTable(v));
    out(`\nWritten: ${file}`);
  });

  seedOption(
    program
      .command('project')
      .description("the paper's setup (separate machines per layer, §5.2 node sizes) at 1…4 partitions, as Figs. 8–9")
      .option('--profile <file>', 'report or sweep to fit on (default: the newest under results/)')
      .option('--wan-one-way-ms <ms>', 'one-way WAN latency Málaga ↔ europe-west1', number('--wan-one-way-ms', 0), PAPER_HARDWARE.wanOneWayMs)
      .option('--edge-speed <factor>', 'edge per-core speed relative to where the profile was measured', number('--edge-speed', 0.01), 1)
      .option('--cloud-speed <factor>', 'cloud per-core speed relative to where the profile was measured', number('--cloud-speed', 0.01), 1),
  ).action(async (opts: { profile?: string; wanOneWayMs: number; edgeSpeed: number; cloudSpeed: number; seed: number }) => {
    const file = opts.profile ?? newestReport();
    const report = profileReport(file);
    const run = continuumRun(report, 'mirrored');
    const continuum = profileFromReport(report, run, { seed: opts.seed }).profile;
    const cloudOnly = profileFromReport(report, 'cloud-only', { seed: opts.seed }).profile;
    const hardware = { ...PAPER_HARDWARE, wanOneWayMs: opts.wanOneWayMs, edgeSpeed: opts.edgeSpeed, cloudSpeed: opts.cloudSpeed };
    const points = projectPaper({ continuum, cloudOnly }, { hardware, seed: opts.seed });
    const base = path.join(path.dirname(file), 'capacity-projection');
    writeFileSync(`${base}.json`, JSON.stringify({ kind: 'capacity-projection', fittedOn: `${file} (${report.setup.env} p${report.setup.partitions}, ${run} + cloud-only)`, hardware, points }, null, 2));
    writeFileSync(`${base}.svg`, await projectionSvg(points));
    out(`Fitted on ${file} (${report.setup.env} p${report.setup.partitions}, ${run} and cloud-only); paper hardware: edge ${hardware.edgeCores} cores, cloud ${hardware.cloudCores} vCPUs, WAN ${hardware.wanOneWayMs} ms one-way`);
    out(projectionTable(points));
    out(`Paper: ${points.map((p) => `p${p.partitions}: ${p.paper.statement}`).join('; ')}`);
    out(`\nWritten: ${base}.json, ${base}.svg`);
  });

  seedOption(
    program
      .command('plan')
      .description('the smallest partitions / replicas / brokers / CPU per layer that meet a p95 target')
      .requiredOption('--devices <n>', 'devices', number('--devices', 1))
      .requiredOption('--rate <req/s>', 'requests per second per device (Poisson)', number('--rate', 0.001))
      .requiredOption('--p95-ms <ms>', 'p95 response time target', number('--p95-ms', 0.001))
      .requiredOption('--env <name>', 'environment whose layers and brokers to plan (e.g. paper-ha-p2)')
      .option('--profile <file>', 'report or sweep to fit the per-request costs on (default: the newest under results/)')
      .option('--wan-one-way-ms <ms>', "one-way WAN latency (default: the profile's)", number('--wan-one-way-ms', 0))
      .option('--json', 'print the plan as JSON', false),
  ).action((opts: { devices: number; rate: number; p95Ms: number; env: string; profile?: string; wanOneWayMs?: number; json: boolean; seed: number }) => {
    const env = getEnvironment(opts.env);
    const file = opts.profile ?? newestReport();
    const report = profileReport(file);
    const transport = env.transport === 'direct' ? 'direct' : 'mirrored';
    const run = continuumRun(report, transport);
    let profile = profileFromReport(report, run, { seed: opts.seed }).profile;
    if (opts.wanOneWayMs !== undefined) profile = { ...profile, wan: { ...profile.wan, oneWayMs: opts.wanOneWayMs } };
    const layers = env.layers.map((l) => ({ name: l.name, brokers: l.kafka.brokers }));
    const result = plan(profile, { devices: opts.devices, ratePerDevice: opts.rate, p95Ms: opts.p95Ms, layers }, { seed: opts.seed });
    const from = `${file} (${report.setup.env} p${report.setup.partitions}, ${run}${run !== transport ? `; the environment is ${transport}` : ''})`;
    out(opts.json ? JSON.stringify({ env: opts.env, profile: from, ...result }, null, 2) : planText(result, { env: opts.env, devices: opts.devices, rate: opts.rate, p95Ms: opts.p95Ms }, from));
  });
  return program;
}

export async function capacityMain(argv: readonly string[]): Promise<number> {
  try {
    await buildCapacityProgram().parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    process.stderr.write(`error: ${(e as Error).message}\n`);
    return 1;
  }
}

if (require.main === module) void capacityMain(process.argv.slice(2)).then((code) => process.exit(code));
