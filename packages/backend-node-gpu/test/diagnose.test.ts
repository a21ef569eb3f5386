import { describe, expect, it } from 'vitest';

import { diagnoseImportFailure } from '../src/diagnose.js';

function nodeError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('diagnoseImportFailure', () => {
  it('reports a package missing in Node ESM', () => {
    const error = nodeError(
      "Cannot find package '@tensorflow/tfjs-node-gpu' imported from /app/dist/index.js",
      'ERR_MODULE_NOT_FOUND',
    );

    const failure = diagnoseImportFailure('node-gpu', error);

    expect(failure.reason).toBe('package @tensorflow/tfjs-node-gpu is not installed');
    expect(failure.installHint).toBe(
      'npm install @tensorflow/tfjs-node-gpu (needs an NVIDIA GPU with CUDA 11.2 and cuDNN 8.1 on Linux or ' +
        'Windows x86-64, and network access to storage.googleapis.com while installing)',
    );
  });

  it('reports a package missing in Node CommonJS', () => {
    const error = nodeError("Cannot find module '@tensorflow/tfjs-node'\nRequire stack:\n- /app/index.js", 'MODULE_NOT_FOUND');

    expect(diagnoseImportFailure('node', error).reason).toBe('package @tensorflow/tfjs-node is not installed');
  });

  it('reports a package missing under Vite', () => {
    const error = new Error('Could not resolve "@tensorflow/tfjs-node" imported by "app". Is it installed?');

    expect(diagnoseImportFailure('node', error).reason).toBe('package @tensorflow/tfjs-node is not installed');
  });

  it('reports a missing dependency of the package', () => {
    const error = nodeError(
      "Cannot find module '@tensorflow/tfjs'\nRequire stack:\n- /app/node_modules/@tensorflow/tfjs-node/dist/index.js",
      'MODULE_NOT_FOUND',
    );

    const failure = diagnoseImportFailure('node', error);

    expect(failure.reason).toBe('@tensorflow/tfjs-node is installed but its dependency @tensorflow/tfjs is not');
    expect(failure.installHint).toContain('npm install');
  });

  it('names the missing CUDA runtime library', () => {
    const error = new Error('libcudart.so.11.0: cannot open shared object file: No such file or directory');

    const failure = diagnoseImportFailure('node-gpu', error);

    expect(failure.reason).toBe('CUDA library not found: libcudart.so.11.0');
    expect(failure.installHint).toContain('install the CUDA toolkit and cuDNN');
    expect(failure.installHint).toContain('or use --backend node or --backend wasm');
  });

  it('names the missing cuDNN library', () => {
    const error = new Error('libcudnn.so.8: cannot open shared object file: No such file or directory');

    expect(diagnoseImportFailure('node-gpu', error).reason).toBe('CUDA library not found: libcudnn.so.8');
  });

  it('names a cuDNN sub-library', () => {
    const error = new Error('libcudnn_ops_infer.so.8: cannot open shared object file: No such file or directory');

    expect(diagnoseImportFailure('node-gpu', error).reason).toBe('CUDA library not found: libcudnn_ops_infer.so.8');
  });

  it('names a cuDNN DLL on Windows', () => {
    const error = new Error('Could not locate cudnn_ops_infer64_8.dll');

    expect(diagnoseImportFailure('node-gpu', error).reason).toBe('CUDA library not found: cudnn_ops_infer64_8.dll');
  });

  it('names a missing CUDA DLL on Windows', () => {
    const error = new Error('Could not load dynamic library cudart64_110.dll');

    expect(diagnoseImportFailure('node-gpu', error).reason).toBe('CUDA library not found: cudart64_110.dll');
  });

  it('tells the driver library apart from the toolkit', () => {
    const error = new Error('libcuda.so.1: cannot open shared object file: No such file or directory');

    const failure = diagnoseImportFailure('node-gpu', error);

    expect(failure.reason).toBe('NVIDIA driver library not found: libcuda.so.1');
    expect(failure.installHint).toContain('NVIDIA GPU driver');
  });

  it('reports a missing libtensorflow', () => {
    const error = new Error('libtensorflow.so.2: cannot open shared object file: No such file or directory');

    const failure = diagnoseImportFailure('node', error);

    expect(failure.reason).toContain('the libtensorflow library of @tensorflow/tfjs-node failed to load');
    expect(failure.installHint).toContain('npm rebuild @tensorflow/tfjs-node');
  });

  it('reports a missing native addon', () => {
    const error = new Error(
      'The Node.js native addon module (tfjs_binding.node) can not be found at path: /app/lib/napi-v8/tfjs_binding.node.',
    );

    const failure = diagnoseImportFailure('node-gpu', error);

    expect(failure.reason).toContain('the native addon (tfjs_binding.node) of @tensorflow/tfjs-node-gpu is missing');
    expect(failure.installHint).toContain('npm rebuild @tensorflow/tfjs-node-gpu --build-addon-from-source');
  });

  it('treats a missing addon path as an addon problem', () => {
    const error = nodeError("Cannot find module '/app/lib/napi-v8/tfjs_binding.node'", 'MODULE_NOT_FOUND');

    expect(diagnoseImportFailure('node', error).reason).toContain('the native addon (tfjs_binding.node)');
  });

  it('keeps only the first line of an unknown error', () => {
    const error = new Error('Illegal instruction\n    at Module._extensions..node');

    const failure = diagnoseImportFailure('node', error);

    expect(failure.reason).toBe('@tensorflow/tfjs-node failed to load: Illegal instruction');
    expect(failure.installHint).toContain('npm install @tensorflow/tfjs-node');
  });

  it('offers only wasm as the way out for node', () => {
    const error = new Error('libtensorflow.so.2: cannot open shared object file');

    expect(diagnoseImportFailure('node', error).installHint).toMatch(/or use --backend wasm$/);
  });
});

describe('diagnoseImportFailure alternatives', () => {
  it('offers cpu when wasm fails', () => {
    const failure = diagnoseImportFailure('wasm', new Error('WebAssembly.instantiate(): out of memory'));

    expect(failure.installHint).toMatch(/or use --backend cpu$/);
  });

  it('offers no alternative when cpu fails', () => {
    const failure = diagnoseImportFailure('cpu', new Error('Unexpected token'));

    expect(failure.installHint).toBe('reinstall it with npm install @tensorflow/tfjs-backend-cpu');
  });
});
