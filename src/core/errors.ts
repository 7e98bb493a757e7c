/**
 * The one error family of sway. Every failure a user can cause (bad spec, bad model
 * files, bad adapter, bad CLI arguments) is a SwayError whose message names the file,
 * the key and the fix. The CLI prints `message` on one line and exits with `exitCode`;
 * anything that is not a SwayError is a bug and is reported as an internal error.
 */

export type SwayErrorCode =
  | 'SWAY_SPEC_INVALID'
  | 'SWAY_USAGE'
  | 'SWAY_INPUT'
  | 'SWAY_MODEL_NOT_FOUND'
  | 'SWAY_MODEL_INVALID'
  | 'SWAY_SAFETENSORS_INVALID'
  | 'SWAY_ADAPTER_INVALID'
  | 'SWAY_ADAPTER_UNSUPPORTED'
  | 'SWAY_ARCH_UNSUPPORTED'
  | 'SWAY_TOKENIZER_INVALID'
  | 'SWAY_BACKEND_UNAVAILABLE'
  | 'SWAY_PROBE'
  | 'SWAY_CACHE'
  | 'SWAY_PACK'
  | 'SWAY_DLM'
  | 'SWAY_TRAINING_STATE'
  | 'SWAY_SERVE'
  | 'SWAY_RUNTIME';

export class SwayError extends Error {
  readonly code: SwayErrorCode;
  /** Process exit code the CLI uses for this error (2 = bad input, 3 = runtime). */
  readonly exitCode: number;

  constructor(message: string, code: SwayErrorCode = 'SWAY_INPUT', exitCode = 2) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** A sway.yaml (or any spec-like document) failed validation. `source` is usually the file or probe name. */
export class SpecValidationError extends SwayError {
  readonly source: string | undefined;
  constructor(message: string, source?: string) {
    super(source ? `${source}: ${message}` : message, 'SWAY_SPEC_INVALID', 2);
    this.source = source;
  }
}

/** Wrong command-line usage (unknown flag value, missing argument). */
export class UsageError extends SwayError {
  constructor(message: string) {
    super(message, 'SWAY_USAGE', 2);
  }
}

/** A model directory, checkpoint, tokenizer or config could not be used. */
export class ModelError extends SwayError {
  constructor(message: string, code: SwayErrorCode = 'SWAY_MODEL_INVALID') {
    super(message, code, 2);
  }
}

/** A PEFT adapter is malformed, does not fit its base, or uses an option we do not support. */
export class AdapterError extends SwayError {
  constructor(message: string, code: SwayErrorCode = 'SWAY_ADAPTER_INVALID') {
    super(message, code, 2);
  }
}

/** A backend kind cannot be used on this machine / build. */
export class BackendNotAvailableError extends SwayError {
  readonly backend: string;
  readonly extra: string;
  constructor(backend: string, extra: string, hint?: string) {
    super(
      `backend '${backend}' unavailable — ${extra}${hint ? `\n${hint}` : ''}`,
      'SWAY_BACKEND_UNAVAILABLE',
      2,
    );
    this.backend = backend;
    this.extra = extra;
  }
}

/** A probe could not compute its metric; the runner turns it into that probe's ERROR result. */
export class ProbeError extends SwayError {
  readonly probe: string;
  constructor(probe: string, message: string) {
    super(`probe '${probe}': ${message}`, 'SWAY_PROBE', 3);
    this.probe = probe;
  }
}

export class MissingTrainingStateError extends SwayError {
  readonly adapterPath: string;
  constructor(adapterPath: string) {
    super(
      `no training_state.pt under ${adapterPath} — adapter wasn't produced by dlm or the file was pruned. ` +
        'Pre-run diagnostics (gradient_ghost) will SKIP for this adapter.',
      'SWAY_TRAINING_STATE',
      2,
    );
    this.adapterPath = adapterPath;
  }
}

/**
 * A backend was asked to open a view while another is open (`asBase(() => asFinetuned(...))`).
 * The one-view-at-a-time rule of the backend contract; a bug in the caller, not bad input.
 */
export class ViewConflictError extends SwayError {
  constructor(message: string) {
    super(message, 'SWAY_RUNTIME', 3);
  }
}

/**
 * A backend cannot provide a view a probe asked for (e.g. a server that serves no
 * `scaled_0.25`). The runner turns it into that probe's SKIP with this message.
 */
export class ViewUnavailableError extends SwayError {
  constructor(message: string) {
    super(message, 'SWAY_BACKEND_UNAVAILABLE', 2);
  }
}

export function isSwayError(err: unknown): err is SwayError {
  return err instanceof SwayError;
}
