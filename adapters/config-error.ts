/** A problem with how the service was configured or started: shown to the operator as one line, no stack. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}
