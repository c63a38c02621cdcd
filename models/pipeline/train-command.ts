/** `pipeline train`: the commander subcommand around trainFromTopic (models/pipeline/train.ts). */
import * as fs from 'fs';
import * as path from 'path';
import { Command, Option } from 'commander';
import { WORKER_ENV } from '../../contracts/worker-env';
import type { ClientSecurity } from '../../runtime/kafka/security';
import type { BackendPreference } from '../../runtime/tf/backend';
import { DEFAULT_TOPICS } from './ingest';
import { parseLossWeightOverrides } from './loss-weights';
import { brokerList, nonNegative, positiveInt } from './options';
import { trainFromTopic } from './train';

const REPO = path.join(__dirname, '..', '..');

/** TLS + SCRAM from the variables the worker reads (contracts/worker-env.ts): the training Job sets them. */
function securityFromEnv(env: NodeJS.ProcessEnv): ClientSecurity | undefined {
  const username = env[WORKER_ENV.kafkaSaslUsername];
  const password = env[WORKER_ENV.kafkaSaslPassword];
  const caFile = env[WORKER_ENV.kafkaTlsCaFile];
  if (!username && !caFile) return undefined;
  if (!username || !password || !caFile) {
    throw new Error(`Kafka security needs ${WORKER_ENV.kafkaTlsCaFile}, ${WORKER_ENV.kafkaSaslUsername} and ${WORKER_ENV.kafkaSaslPassword} together`);
  }
  return { caFile, caPem: fs.readFileSync(caFile, 'utf8'), username, password };
}

export function trainCommand(): Command {
  return new Command('train')
    .description('train from the training topic, one epoch per replay; evaluates every exit on the evaluation topic; checkpoints weights and offsets and resumes from them')
    .requiredOption('--brokers <list>', 'bootstrap servers, comma-separated', brokerList)
    .option('--arch <name>', 'architecture spec name (models/architectures/) or .json path', 'compact-branchynet')
    .option('--train-topic <name>', 'training topic', DEFAULT_TOPICS.train)
    .option('--eval-topic <name>', 'evaluation topic', DEFAULT_TOPICS.eval)
    .option('--epochs <n>', 'replays of the training topic', positiveInt('--epochs'), 1)
    .option('--batch-size <n>', 'records per step', positiveInt('--batch-size'), 32)
    .option('--lr <rate>', 'Adam learning rate', nonNegative('--lr'), 1e-3)
    .option('--exits <names...>', 'exits to train (default: all; the others are still evaluated)')
    .option('--loss-weight <exit=w...>', "override an exit's loss weight (default: the spec's lossWeight)")
    .option('--checkpoint-dir <dir>', 'checkpoints (weights, optimizer, offsets); resumed when present (default .cache/pipeline/<arch>)')
    .option('--checkpoint-every <n>', 'checkpoint every N steps (and after every epoch)', positiveInt('--checkpoint-every'), 50)
    .option('--out <dir>', 'trained model directory (default .cache/pipeline/<arch>/trained)')
    .addOption(new Option('--backend <name>', 'tfjs backend').choices(['auto', 'tensorflow', 'wasm', 'cpu']).default('auto'))
    .option('--max-steps <n>', 'stop after N steps in all (checkpointed; for measurements)', positiveInt('--max-steps'))
    .option('--step-delay-ms <ms>', 'sleep after each step (lets a demo or test kill the trainer mid-epoch)', nonNegative('--step-delay-ms'))
    .option('--log-every <n>', 'progress line every N steps', positiveInt('--log-every'), 20)
    .option('--json', 'print the summary as JSON on the last line')
    .action(async (o: {
      brokers: string[]; arch: string; trainTopic: string; evalTopic: string; epochs: number; batchSize: number; lr: number; exits?: string[];
      lossWeight?: string[]; checkpointDir?: string; checkpointEvery: number; out?: string; backend: BackendPreference; maxSteps?: number;
      stepDelayMs?: number; logEvery: number; json?: boolean;
    }) => {
      const name = path.basename(o.arch, '.json');
      const checkpointDir = o.checkpointDir ?? path.join(REPO, '.cache', 'pipeline', name);
      const summary = await trainFromTopic({
        brokers: o.brokers,
        security: securityFromEnv(process.env),
        arch: o.arch,
        trainTopic: o.trainTopic,
        evalTopic: o.evalTopic,
        epochs: o.epochs,
        batchSize: o.batchSize,
        learningRate: o.lr,
        exits: o.exits,
        lossWeights: parseLossWeightOverrides(o.lossWeight ?? []),
        checkpointDir,
        checkpointEvery: o.checkpointEvery,
        out: o.out ?? path.join(checkpointDir, 'trained'),
        backend: o.backend,
        maxSteps: o.maxSteps,
        stepDelayMs: o.stepDelayMs,
        logEvery: o.logEvery,
        log: (l) => console.log(l),
      });
      const acc = Object.entries(summary.evaluation).map(([k, v]) => `${k} ${(100 * v).toFixed(2)} %`).join(', ');
      console.log(
        `trained ${summary.architecture} on ${summary.backend}: ${summary.epochs} epoch(s), ${summary.steps} steps ` +
          `(${summary.stepsThisRun} now, ${summary.stepsPerSecond.toFixed(2)} steps/s overall` +
          (summary.stepRate !== null ? `, ${summary.stepRate.toFixed(2)} steps/s training` : '') +
          `), ${summary.recordsRead} records read` +
          (summary.resumed ? `, resumed: ${summary.rereadAfterResume} read twice` : '') + `; ${acc} on ${summary.evalRecords} evaluation records`,
      );
      if (o.json) console.log(JSON.stringify(summary));
    });
}
