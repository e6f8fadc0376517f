import { FabsimError } from '../core/errors.js';

export type ConfigErrorCode = 'CONFIG_NOT_FOUND' | 'CONFIG_YAML_SYNTAX' | 'CONFIG_INVALID';

/**
 * A network config that cannot be used. The message names the file, the field (as a path like
 * `organizations[1].peers[0].port`) and what was expected, so it can be fixed without reading code.
 */
export class ConfigError extends FabsimError<ConfigErrorCode> {}
