/**
 * A promise chain that runs tasks one after another. The daemon keeps one per loaded
 * backend: views of one backend are exclusive, so two requests on the same model must
 * queue instead of interleaving asBase/asFinetuned calls. A failed task does not break
 * the chain for the tasks behind it.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  /** Tasks queued or running. */
  get pending(): number {
    return this.waiting;
  }

  run<T>(task: () => Promise<T>): Promise<T> {
    this.waiting += 1;
    const result = this.tail.then(task);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result.finally(() => {
      this.waiting -= 1;
    });
  }
}
