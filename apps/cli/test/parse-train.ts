import { CommanderError } from 'commander';

import type { TrainCommandOptions } from '../src/commands/train-options.js';
import { buildProgram } from '../src/program.js';

/** Parses `train` flags in process, without training, and returns what the command would receive. */
export async function parseTrain(args: string[]): Promise<TrainCommandOptions> {
  let received: TrainCommandOptions | undefined;
  const program = buildProgram(async (options) => {
    received = options;
  });
  for (const command of [program, ...program.commands]) {
    command.configureOutput({ writeErr: () => {}, writeOut: () => {} });
  }
  await program.parseAsync(['node', 'lstm-mnist', 'train', ...args]);
  if (received === undefined) throw new Error('train action did not run');
  return received;
}

/**
 * Parses `train` flags that must be rejected and returns commander's error.
 *
 * @throws Error when the flags are accepted, and any error that is not a CommanderError.
 */
export async function parseTrainError(args: string[]): Promise<CommanderError> {
  try {
    await parseTrain(args);
  } catch (error) {
    if (error instanceof CommanderError) return error;
    throw error;
  }
  throw new Error(`flags ${args.join(' ')} were accepted`);
}
