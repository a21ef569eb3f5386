/**
 * The "Exit status" section of each model command's `--help`. The numbers are those of
 * `EXIT_FAILURE` and `EXIT_USAGE` in program.ts, which `exitCodeFor` returns. A test compares them.
 */
export const COMMAND_EXIT_STATUS_HELP = `
Exit status:
  0  success
  1  runtime failure (model, data or input file not found or invalid, backend unavailable, output not writable)
  2  usage error (unknown flag or command, invalid or missing value)`;
