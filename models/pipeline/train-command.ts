/** `pipeline train`: the commander subcommand around trainFromTopic (models/pipeline/train.ts). */
import { Command } from 'commander';

export function trainCommand(): Command {
  return new Command('train')
    .description('train from the training topic, one epoch per replay; checkpoints weights and offsets')
    .action(() => {
      throw new Error('pipeline train: not implemented yet');
    });
}
