import { chmod, cp, mkdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { encodeIdx, IdxFormatError } from '@lstm-mnist/data';
import { LSTMModel } from '@lstm-mnist/model';
import { fileSystemSaveHandler, ModelFileError } from '@lstm-mnist/model/node';

import { COMMAND_EXIT_STATUS_HELP } from '../src/exit-status-help.js';
import { EXIT_FAILURE, EXIT_USAGE, buildProgram } from '../src/program.js';
import { exitCodeFor } from '../src/report-error.js';
import { UsageError, UserFacingError } from '../src/user-facing-error.js';
import { runCli, type CliRun } from './run-cli.js';

/**
 * Bad input for every command but `train`: flag values that commander rejects while parsing (in
 * process, fast), then paths and files that only the running command finds wrong (in a child
 * process, for the real exit status and output).
 */

/** Parses `args` in process and returns the usage error and what commander printed. */
async function parseFailure(args: string[]): Promise<{ error: CommanderError; stderr: string }> {
  const program = buildProgram(async () => {
    throw new Error('train must not run in these tests');
  });
  let stderr = '';
  for (const command of [program, ...program.commands]) {
    command.configureOutput({ writeErr: (text) => (stderr += text), writeOut: () => {} });
  }

  try {
    await program.parseAsync(['node', 'lstm-mnist', ...args]);
  } catch (error) {
    if (error instanceof CommanderError) return { error, stderr };
    throw error;
  }
  throw new Error(`lstm-mnist ${args.join(' ')} was accepted`);
}

interface FlagCase {
  args: string[];
  /** Text the one-line error must contain. */
  message: string;
}

const FLAG_CASES: FlagCase[] = [
  { args: ['evaluate'], message: "required option '--model <dir>' not specified" },
  { args: ['evaluate', '--model', 'm', '--batch-size', '0'], message: "'--batch-size <n>' argument '0' is invalid. Expected a whole number from 1 to 10000, got 0." },
  { args: ['evaluate', '--model', 'm', '--batch-size', '10001'], message: 'Expected a whole number from 1 to 10000, got 10001.' },
  { args: ['evaluate', '--model', 'm', '--batch-size', '1.5'], message: "'--batch-size <n>' argument '1.5' is invalid. Expected a whole number" },
  { args: ['evaluate', '--model', 'm', '--batch-size', 'ten'], message: "argument 'ten' is invalid" },
  { args: ['evaluate', '--model', 'm', '--limit', '0'], message: "'--limit <n>' argument '0' is invalid. Expected a whole number of at least 1, got 0." },
  { args: ['evaluate', '--model', 'm', '--limit', '1e3'], message: "'--limit <n>' argument '1e3' is invalid" },
  { args: ['evaluate', '--model', 'm', '--backend', 'tpu'], message: "'--backend <name>' argument 'tpu' is invalid. Allowed choices are auto," },
  { args: ['evaluate', '--model', 'm', 'extra'], message: "too many arguments for 'evaluate'" },
  { args: ['predict', '--idx', 'f', '--index', '0'], message: "required option '--model <dir>' not specified" },
  { args: ['predict', '--model', 'm', '--index', '-1'], message: "'--index <n>' argument '-1' is invalid. Expected a whole number of at least 0, got -1." },
  { args: ['predict', '--model', 'm', '--index', '2.5'], message: "'--index <n>' argument '2.5' is invalid" },
  { args: ['plot', '--out', 'c.svg'], message: "required option '--metrics <file>' not specified" },
  { args: ['plot', '--metrics', 'm.jsonl'], message: "required option '--out <file>' not specified" },
  { args: ['plot', '--metrics', 'm.jsonl', '--out', 'curves.pdf'], message: "'--out <file>' argument 'curves.pdf' is invalid. Expected a file name ending in .svg or .png" },
  { args: ['plot', '--metrics', 'm.jsonl', '--out', 'curves'], message: "'--out <file>' argument 'curves' is invalid" },
  { args: ['import-torch', '--out', 'model'], message: "missing required argument 'file'" },
  { args: ['import-torch', 'a.safetensors', 'b.safetensors', '--out', 'model'], message: "too many arguments for 'import-torch'" },
  { args: ['import-torch', 'a.safetensors'], message: "required option '--out <dir>' not specified" },
  { args: ['export-torch', '--out', 'a.safetensors'], message: "required option '--model <dir>' not specified" },
  { args: ['export-torch', '--model', 'm'], message: "required option '--out <file>' not specified" },
  { args: ['export-torch', '--model', 'm', '--out', 'a.safetensors', '--backend', 'gpu'], message: "'--backend <name>' argument 'gpu' is invalid" },
  { args: ['bench', '--steps', '0'], message: "'--steps <n>' argument '0' is invalid. Expected a whole number from 1 to 100000, got 0." },
  { args: ['bench', '--steps', '100001'], message: 'Expected a whole number from 1 to 100000, got 100001.' },
  { args: ['bench', '--warmup', '-1'], message: "'--warmup <n>' argument '-1' is invalid. Expected a whole number from 0 to 100000, got -1." },
  { args: ['bench', '--warmup', 'x'], message: "'--warmup <n>' argument 'x' is invalid" },
  { args: ['bench', '--backend', 'tpu'], message: "'--backend <name>' argument 'tpu' is invalid" },
];

/** Misspelt flags and commands, with the suggestion commander must print. */
const TYPO_CASES: { args: string[]; unknown: string; suggestion: string }[] = [
  { args: ['evaluate', '--model', 'm', '--bach-size', '5'], unknown: "unknown option '--bach-size'", suggestion: '(Did you mean --batch-size?)' },
  { args: ['evaluate', '--model', 'm', '--data-dri', 'd'], unknown: "unknown option '--data-dri'", suggestion: '(Did you mean --data-dir?)' },
  { args: ['predict', '--model', 'm', '--jsn'], unknown: "unknown option '--jsn'", suggestion: '(Did you mean --json?)' },
  { args: ['plot', '--metrics', 'm.jsonl', '--out', 'c.svg', '--metric', 'm.jsonl'], unknown: "unknown option '--metric'", suggestion: '(Did you mean --metrics?)' },
  { args: ['import-torch', 'a.safetensors', '--out', 'm', '--outt', 'm'], unknown: "unknown option '--outt'", suggestion: '(Did you mean --out?)' },
  { args: ['export-torch', '--model', 'm', '--out', 'a.safetensors', '--modle', 'm'], unknown: "unknown option '--modle'", suggestion: '(Did you mean --model?)' },
  { args: ['bench', '--step', '3'], unknown: "unknown option '--step'", suggestion: '(Did you mean --steps?)' },
  { args: ['evalute'], unknown: "unknown command 'evalute'", suggestion: '(Did you mean evaluate?)' },
];

describe('flag values rejected while parsing', () => {
  it.each(FLAG_CASES)('lstm-mnist $args.0 rejects $args', async ({ args, message }) => {
    const { error, stderr } = await parseFailure(args);

    expect(error.exitCode).not.toBe(0);
    expect(stderr.split('\n')[0]).toContain(message);
    expect(stderr.split('\n')[0]).toMatch(/^error: /);
  });

  it.each(TYPO_CASES)('lstm-mnist $args.0 suggests a fix for $args', async ({ args, unknown, suggestion }) => {
    const { stderr } = await parseFailure(args);

    expect(stderr).toContain(`error: ${unknown}\n`);
    expect(stderr).toContain(`${suggestion}\n`);
  });
});

describe('help of every model command', () => {
  it.each(['evaluate', 'predict', 'plot', 'import-torch', 'export-torch', 'bench'])('%s --help lists the exit statuses', async (name) => {
    const program = buildProgram(async () => {});
    const command = program.commands.find((candidate) => candidate.name() === name);
    let help = '';
    command?.configureOutput({ writeOut: (text) => (help += text) });
    command?.outputHelp();

    expect(help).toContain(COMMAND_EXIT_STATUS_HELP);
    expect(help).toContain(`\n  ${EXIT_FAILURE}  runtime failure`);
    expect(help).toContain(`\n  ${EXIT_USAGE}  usage error`);
  });
});

/** Folder for the models and files of RUN_CASES; the process id keeps parallel runs apart. */
const ROOT = join(tmpdir(), `lstm-mnist-bad-input-${process.pid}`);

function at(...parts: string[]): string {
  return join(ROOT, ...parts);
}

/**
 * A folder no process can write below. `chmod` cannot stop root, who runs CI, but nobody can
 * create a folder below a regular file.
 */
const UNWRITABLE = process.getuid?.() === 0 ? at('plain-file', 'sub') : at('read-only', 'sub');

async function makeUnwritable(): Promise<void> {
  if (process.getuid?.() === 0) {
    await writeFile(at('plain-file'), 'not a folder');
    return;
  }
  await mkdir(at('read-only'));
  await chmod(at('read-only'), 0o555);
}

async function saveModel(dir: string, inputSize: number): Promise<void> {
  const model = LSTMModel.create({ inputSize, hiddenSize: 4, numLayers: 1 }, { seed: 1 });
  await model.save(fileSystemSaveHandler(dir));
  model.dispose();
}

/** Copies the model in `good` to `name` and lets `damage` break the copy. */
async function damageCopy(name: string, damage: (dir: string) => Promise<void>): Promise<void> {
  await cp(at('good'), at(name), { recursive: true });
  await damage(at(name));
}

/** Writes the models and files that RUN_CASES name. */
async function writeBadInputs(): Promise<void> {
  await mkdir(ROOT, { recursive: true });
  await saveModel(at('good'), 28);
  await saveModel(at('fourteen'), 14);
  const modelJson = await readFile(at('good', 'model.json'), 'utf8');

  await damageCopy('truncated', (dir) => truncate(join(dir, 'weights.bin'), 100));
  await damageCopy('no-weights', (dir) => rm(join(dir, 'weights.bin')));
  await damageCopy('bad-json', (dir) => writeFile(join(dir, 'model.json'), modelJson.slice(0, 80)));
  await damageCopy('swapped-shape', async (dir) => {
    const json = JSON.parse(modelJson);
    json.weightsManifest[0].weights[0].shape = [16, 28];
    await writeFile(join(dir, 'model.json'), JSON.stringify(json));
  });
  await damageCopy('json-folder', async (dir) => {
    await rm(join(dir, 'model.json'));
    await mkdir(join(dir, 'model.json'));
  });

  const idx = encodeIdx({ dtype: 'uint8', shape: [1, 28, 28], data: new Uint8Array(784).fill(9) });
  await writeFile(at('one-idx3-ubyte'), idx);
  await writeFile(at('truncated-idx3-ubyte'), idx.subarray(0, 500));
  await writeFile(at('bad-idx3-ubyte.gz'), Uint8Array.of(0x1f, 0x8b, 0x08, 0x00, 1, 2, 3, 4));
  // A header length of 4, then 4 bytes that are not UTF-8.
  await writeFile(at('not.safetensors'), Uint8Array.of(4, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xfe, 0xfd, 0xfc));
  await writeFile(at('metrics.jsonl'), '{"epoch":1,"step":1,"loss":2.3}\n');
  await writeFile(at('plain.txt'), 'text');
  await mkdir(at('folder.svg'));
  await makeUnwritable();
}

interface RunCase {
  name: string;
  args: string[];
  status: number;
  /** Texts the one-line error must contain, such as the path at fault and the fault. */
  messages: string[];
}

const CPU = ['--backend', 'cpu'];
/** A valid PyTorch state_dict of the tutorial's model, so import-torch gets as far as its output folder. */
const TORCH_FIXTURE = fileURLToPath(new URL('../../../packages/model/test/fixtures/torch-lstm-parity/model.safetensors', import.meta.url));

const RUN_CASES: RunCase[] = [
  { name: 'evaluate names a missing model folder', args: ['evaluate', '--model', at('missing'), ...CPU], status: 1, messages: [`--model ${at('missing')} does not exist`] },
  {
    name: 'evaluate names a file as model folder',
    args: ['evaluate', '--model', at('good', 'weights.bin'), ...CPU],
    status: 1,
    messages: [`--model ${at('good', 'weights.bin')} is a file, not a folder`],
  },
  {
    name: 'evaluate names truncated weights',
    args: ['evaluate', '--model', at('truncated'), ...CPU],
    status: 1,
    messages: [`error: Cannot load model: weights.bin in ${at('truncated')} holds 100 bytes, but the weight shapes in model.json need 2312.`],
  },
  {
    name: 'evaluate names missing weights',
    args: ['evaluate', '--model', at('no-weights'), ...CPU],
    status: 1,
    messages: [`${at('no-weights', 'weights.bin')} (weights listed in model.json) not found`],
  },
  { name: 'evaluate names a truncated model.json', args: ['evaluate', '--model', at('bad-json'), ...CPU], status: 1, messages: [`${at('bad-json', 'model.json')} is not valid JSON`] },
  {
    name: 'evaluate names a manifest shape the topology rejects',
    args: ['evaluate', '--model', at('swapped-shape'), ...CPU],
    status: 1,
    messages: [at('swapped-shape', 'model.json'), "weight 'lstm_0/kernel' has shape [16, 28] in the weights manifest, but the topology needs [28, 16]"],
  },
  {
    name: 'evaluate names model.json that is a folder',
    args: ['evaluate', '--model', at('json-folder'), ...CPU],
    status: 1,
    messages: [`${at('json-folder', 'model.json')} (the model topology) is a folder, not a file`],
  },
  {
    name: 'evaluate rejects a model for 14 inputs',
    args: ['evaluate', '--model', at('fourteen'), ...CPU],
    status: 1,
    messages: [`${at('fourteen')} contains a model that reads 14 values per step, expected 28`],
  },
  {
    name: 'evaluate names a data folder that is a file',
    args: ['evaluate', '--model', at('good'), '--data-dir', at('plain.txt'), ...CPU],
    status: 1,
    messages: [`--data-dir ${at('plain.txt')} is a file, not a folder`],
  },
  {
    name: 'evaluate names a data folder below a file',
    args: ['evaluate', '--model', at('good'), '--data-dir', at('plain.txt', 'data'), ...CPU],
    status: 1,
    messages: [`--data-dir ${at('plain.txt', 'data')} cannot be a folder because a folder in its path is a file`],
  },
  { name: 'evaluate rejects an empty model path', args: ['evaluate', '--model', '', ...CPU], status: 2, messages: ['--model is empty. Pass a path.'] },
  { name: 'predict rejects a call without images', args: ['predict', '--model', at('good')], status: 2, messages: ['No images given'] },
  { name: 'predict rejects --idx without --index', args: ['predict', '--model', at('good'), '--idx', at('one-idx3-ubyte')], status: 2, messages: ['--idx and --index go together'] },
  {
    name: 'predict rejects a model for 14 inputs',
    args: ['predict', '--model', at('fourteen'), '--idx', at('one-idx3-ubyte'), '--index', '0', ...CPU],
    status: 1,
    messages: [`${at('fourteen')} contains a model that reads 14 values per step, expected 28`],
  },
  {
    name: 'predict names truncated weights',
    args: ['predict', '--model', at('truncated'), '--idx', at('one-idx3-ubyte'), '--index', '0', ...CPU],
    status: 1,
    messages: [`weights.bin in ${at('truncated')} holds 100 bytes`],
  },
  { name: 'predict names a missing image', args: ['predict', '--model', at('good'), at('missing.png')], status: 1, messages: [`image ${at('missing.png')} not found`] },
  { name: 'predict names a folder as image', args: ['predict', '--model', at('good'), at('good')], status: 1, messages: [`image ${at('good')} is a folder, not a file`] },
  { name: 'predict names a missing IDX file', args: ['predict', '--model', at('good'), '--idx', at('missing'), '--index', '0'], status: 1, messages: [`--idx ${at('missing')} not found`] },
  {
    name: 'predict names a truncated IDX file',
    args: ['predict', '--model', at('good'), '--idx', at('truncated-idx3-ubyte'), '--index', '0', ...CPU],
    status: 1,
    messages: [`Truncated IDX data in ${at('truncated-idx3-ubyte')}`],
  },
  {
    name: 'predict names an IDX file with bad gzip',
    args: ['predict', '--model', at('good'), '--idx', at('bad-idx3-ubyte.gz'), '--index', '0', ...CPU],
    status: 1,
    messages: [`--idx ${at('bad-idx3-ubyte.gz')} starts like gzip but cannot be decompressed`],
  },
  { name: 'plot names a missing metrics file', args: ['plot', '--metrics', at('missing'), '--out', at('c.svg')], status: 1, messages: [`--metrics ${at('missing')} not found`] },
  { name: 'plot names a folder as metrics file', args: ['plot', '--metrics', at('good'), '--out', at('c.svg')], status: 1, messages: [`--metrics ${at('good')} is a folder, not a file`] },
  {
    name: 'plot names a folder as output',
    args: ['plot', '--metrics', at('metrics.jsonl'), '--out', at('folder.svg')],
    status: 1,
    messages: [`--out ${at('folder.svg')} is a folder, not a file`],
  },
  {
    name: 'plot names an output folder it cannot write',
    args: ['plot', '--metrics', at('metrics.jsonl'), '--out', join(UNWRITABLE, 'c.svg')],
    status: 1,
    messages: [`--out ${join(UNWRITABLE, 'c.svg')} cannot be written: its folder ${UNWRITABLE}`],
  },
  { name: 'import-torch names a missing file', args: ['import-torch', at('missing'), '--out', at('imported')], status: 1, messages: [`safetensors file ${at('missing')} not found`] },
  {
    name: 'import-torch names a header that is not UTF-8',
    args: ['import-torch', at('not.safetensors'), '--out', at('imported')],
    status: 1,
    messages: [`${at('not.safetensors')}: Invalid safetensors header: its 4 bytes are not valid UTF-8`],
  },
  {
    name: 'import-torch names a file as output folder',
    args: ['import-torch', TORCH_FIXTURE, '--out', at('plain.txt')],
    status: 1,
    messages: [`--out ${at('plain.txt')} is a file, not a folder`],
  },
  {
    name: 'import-torch names an output folder it cannot write',
    args: ['import-torch', TORCH_FIXTURE, '--out', UNWRITABLE],
    status: 1,
    messages: [`--out ${UNWRITABLE} is not writable`],
  },
  {
    name: 'export-torch names truncated weights',
    args: ['export-torch', '--model', at('truncated'), '--out', at('e.safetensors'), ...CPU],
    status: 1,
    messages: [`weights.bin in ${at('truncated')} holds 100 bytes`],
  },
  {
    name: 'export-torch names a manifest shape the topology rejects',
    args: ['export-torch', '--model', at('swapped-shape'), '--out', at('e.safetensors'), ...CPU],
    status: 1,
    messages: [at('swapped-shape', 'model.json'), "weight 'lstm_0/kernel' has shape [16, 28]"],
  },
  {
    name: 'export-torch names a folder as output',
    args: ['export-torch', '--model', at('good'), '--out', at('good'), ...CPU],
    status: 1,
    messages: [`--out ${at('good')} is a folder, not a file`],
  },
  {
    name: 'export-torch names an output folder it cannot write',
    args: ['export-torch', '--model', at('good'), '--out', join(UNWRITABLE, 'e.safetensors'), ...CPU],
    status: 1,
    messages: [`--out ${join(UNWRITABLE, 'e.safetensors')} cannot be written`],
  },
  {
    name: 'bench names an output folder it cannot write',
    args: ['bench', '--backend', 'cpu', '--steps', '1', '--warmup', '0', '--json', join(UNWRITABLE, 'b.json')],
    status: 1,
    messages: [`--json ${join(UNWRITABLE, 'b.json')} cannot be written`],
  },
  { name: 'bench names a folder as output', args: ['bench', '--backend', 'cpu', '--json', at('good')], status: 1, messages: [`--json ${at('good')} is a folder, not a file`] },
];

/** The cases also run as a real process, one or more per exit status and command family. */
const SPAWNED_CASES = [
  'evaluate names truncated weights',
  'predict rejects a call without images',
  'plot names an output folder it cannot write',
  'export-torch names a manifest shape the topology rejects',
  'import-torch names a header that is not UTF-8',
].map((name) => RUN_CASES.find((testCase) => testCase.name === name) as RunCase);

/**
 * Runs the CLI in this process as main.ts does and returns the exit status and stderr. `stack` is
 * true when an Error object, rather than a line, was printed: main.ts prints unexpected errors whole.
 */
async function runInProcess(args: string[]): Promise<{ status: number; stderr: string; stack: boolean }> {
  const program = buildProgram(async () => {
    throw new Error('train must not run in these tests');
  });
  let stderr = '';
  let stack = false;
  for (const command of [program, ...program.commands]) {
    command.configureOutput({ writeErr: (text) => (stderr += text), writeOut: () => {} });
  }
  const errorSpy = vi.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => {
    stack ||= parts.some((part) => part instanceof Error);
    stderr += `${parts.map(String).join(' ')}\n`;
  });
  const logSpy = vi.spyOn(console, 'log').mockImplementation(() => {});

  try {
    await program.parseAsync(['node', 'lstm-mnist', ...args]);
    return { status: 0, stderr, stack };
  } catch (error) {
    const status = exitCodeFor(error);
    return { status, stderr, stack };
  } finally {
    errorSpy.mockRestore();
    logSpy.mockRestore();
  }
}

function expectOneLineError(run: { status: number | null; stderr: string }, expected: RunCase): void {
  const errorLines = run.stderr.split('\n').filter((line) => line.startsWith('error: '));

  expect(run.status).toBe(expected.status);
  expect(errorLines, run.stderr).toHaveLength(1);
  for (const message of expected.messages) {
    expect(errorLines[0]).toContain(message);
  }
  expect(run.stderr, 'no stack trace').not.toMatch(/^\s+at /m);
}

describe('failures found while running', () => {
  beforeAll(async () => {
    tf.enableProdMode();
    await tf.setBackend('cpu');
    await writeBadInputs();
  });

  afterAll(async () => {
    if (process.getuid?.() !== 0) await chmod(at('read-only'), 0o755).catch(() => {});
    await rm(ROOT, { recursive: true, force: true });
  });

  it.each(RUN_CASES)('$name', async (testCase) => {
    const run = await runInProcess(testCase.args);

    expectOneLineError(run, testCase);
    expect(run.stack).toBe(false);
  });

  describe('in a real process', () => {
    const runs = new Map<string, CliRun>();

    beforeAll(async () => {
      // Two at a time: each run starts Node and TensorFlow.js, and CI machines may have two cores.
      const queue = [...SPAWNED_CASES];
      const worker = async (): Promise<void> => {
        for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
          runs.set(next.name, await runCli(next.args, { cwd: ROOT, timeoutMs: 60_000 }));
        }
      };
      await Promise.all([worker(), worker()]);
    });

    it.each(SPAWNED_CASES)('$name', (testCase) => {
      expectOneLineError(runs.get(testCase.name) as CliRun, testCase);
    });
  });
});

describe('exitCodeFor', () => {
  /** Returns the exit status for `error` and what it printed, one entry per console.error call. */
  function report(error: unknown): { status: number; printed: unknown[][] } {
    const printed: unknown[][] = [];
    const errorSpy = vi.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => {
      printed.push(parts);
    });
    try {
      return { status: exitCodeFor(error), printed };
    } finally {
      errorSpy.mockRestore();
    }
  }

  it('returns the usage status for a UsageError', () => {
    const { status, printed } = report(new UsageError('--a and --b go together.'));

    expect(status).toBe(EXIT_USAGE);
    expect(printed).toEqual([['error: --a and --b go together.'], ['(run with --help for usage)']]);
  });

  it('prints a typed library error as one line', () => {
    const { status, printed } = report(new IdxFormatError('too-short', 'Invalid IDX file f: too short.'));

    expect(status).toBe(EXIT_FAILURE);
    expect(printed).toEqual([['error: Invalid IDX file f: too short.']]);
  });

  it('adds the path a file-system error leaves out', () => {
    const error = Object.assign(new Error('EISDIR: illegal operation on a directory, read'), { code: 'EISDIR', syscall: 'read', path: '/data/images' });
    const { status, printed } = report(error);

    expect(status).toBe(EXIT_FAILURE);
    expect(printed).toEqual([['error: /data/images: EISDIR: illegal operation on a directory, read']]);
  });

  it('keeps a message that already names the path', () => {
    const error = Object.assign(new Error("ENOENT: no such file or directory, open '/x'"), { code: 'ENOENT', syscall: 'open', path: '/x' });

    expect(report(error).printed).toEqual([["error: ENOENT: no such file or directory, open '/x'"]]);
  });

  it('prints a ModelFileError unchanged', () => {
    const error = new ModelFileError('Cannot load model: weights.bin in m holds 100 bytes.', 'm/weights.bin');

    expect(report(error).printed).toEqual([['error: Cannot load model: weights.bin in m holds 100 bytes.']]);
  });

  it('prints an unexpected error whole, for its stack', () => {
    const bug = new TypeError('x is undefined');
    const { status, printed } = report(bug);

    expect(status).toBe(EXIT_FAILURE);
    expect(printed).toEqual([[bug]]);
  });

  it('prints a UserFacingError as one line', () => {
    expect(report(new UserFacingError('--out o is a file.')).printed).toEqual([['error: --out o is a file.']]);
  });
});
