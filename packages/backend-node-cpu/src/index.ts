import { registerNativeCpuBackend } from './register.js';

export {
  lstmWorkspaceLength,
  NATIVE_BUILD_COMMAND,
  type NativeAddon,
  type NativeAddonInfo,
  type NativeAddonStatus,
  type NativeIsa,
  loadNativeAddon,
} from './addon.js';
export { NATIVE_CPU_BACKEND_NAME, NativeCpuBackend } from './backend.js';
export { registerNativeCpuBackend } from './register.js';

// Importing the package registers the backend, as the tfjs backend packages do, when the addon is built.
registerNativeCpuBackend();

/**
 * Explains why the `native-cpu` backend is not registered, with the command that builds it, or
 * returns undefined when it is. Callers that pick a backend report this instead of a bare "not registered".
 */
export function nativeCpuUnavailableReason(): string | undefined {
  const status = registerNativeCpuBackend();
  return status.loaded ? undefined : `${status.reason}; ${status.buildHint}`;
}
