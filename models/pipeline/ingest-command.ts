/** `pipeline ingest`: the commander subcommand around ingestDataset (models/pipeline/ingest.ts). */
import { Command } from 'commander';

export function ingestCommand(): Command {
  return new Command('ingest')
    .description('stream a CIFAR-10-layout directory into a training and an evaluation topic')
    .action(() => {
      throw new Error('pipeline ingest: not implemented yet');
    });
}
