import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The installed entry point, as `npx lstm-mnist` runs it; it needs `apps/cli/dist` (the `build` target). */
export const CLI_BIN = fileURLToPath(new URL('../bin/lstm-mnist.js', import.meta.url));

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real CLI in a child process and collects its output; rejects only when it cannot start.
 * `launcher`, such as `['runuser', '-u', 'nobody', '--']`, runs Node through another command.
 */
export function runCli(args: string[], options: { cwd: string; timeoutMs?: number; launcher?: readonly string[] }): Promise<CliRun> {
  const [command, ...launcherArgs] = [...(options.launcher ?? []), process.execPath, CLI_BIN, ...args] as [string, ...string[]];
  return new Promise((resolve, reject) => {
    const child = spawn(command, launcherArgs, {
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 240_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
