import { ViewConflictError } from '../core/errors.js';

/** The one-view-at-a-time rule shared by the backends that toggle a view. */
export class ViewGuard {
  private active: string | null = null;

  async run<T>(label: string, fn: () => Promise<T>): Promise<T> {
    if (this.active !== null) {
      throw new ViewConflictError(`DifferentialBackend view already active ('${this.active}'); exit the current view before entering '${label}'.`);
    }
    this.active = label;
    try {
      return await fn();
    } finally {
      this.active = null;
    }
  }
}
