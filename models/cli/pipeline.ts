/**
 * The Kafka-ML life cycle as one CLI (issue 12): `npm run pipeline -- <step> [options]`.
 *   ingest   the CIFAR-10 binaries → a training and an evaluation topic (the log is the dataset)
 *   train    a tfjs-node trainer that replays the training topic, one epoch per replay, resumable
 *   register / rollout / rollback   the model registry and version-safe rollout across running layers
 * Each step is one module in models/pipeline/ exporting a `command()` that builds its commander subcommand; a new
 * step is one import and one `addCommand` line here.
 */
import { Command } from 'commander';
import { ingestCommand } from '../pipeline/ingest-command';
import { trainCommand } from '../pipeline/train-command';
import { registerCommand } from '../pipeline/register-command';
import { rollbackCommand, rolloutCommand } from '../pipeline/rollout-command';

const program = new Command()
  .name('pipeline')
  .description('Kafka-ML pipeline: data streams in, trained model out')
  .showHelpAfterError();
program.addCommand(ingestCommand());
program.addCommand(trainCommand());
program.addCommand(registerCommand());
program.addCommand(rolloutCommand());
program.addCommand(rollbackCommand());

program.parseAsync().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
