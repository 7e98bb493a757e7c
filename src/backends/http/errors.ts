/** Errors of the http backend: one message naming the server, the request and the fix. */
import { SwayError } from '../../core/errors.js';

export type HttpFailure = 'unreachable' | 'timeout' | 'auth' | 'not-found' | 'client' | 'server' | 'malformed' | 'config';

/** The server could not answer a request usefully. The CLI prints it on one line and exits 2. */
export class HttpBackendError extends SwayError {
  readonly failure: HttpFailure;
  readonly status: number | null;
  constructor(failure: HttpFailure, message: string, status: number | null = null) {
    super(`http backend: ${message}`, 'SWAY_BACKEND_UNAVAILABLE', 2);
    this.failure = failure;
    this.status = status;
  }
}
