/**
 * SerialJob: an async job that runs at most once at a time and never loses a request to run.
 * ContactPeer's meeting loop is one (docs/app.md "One object per contact").
 * @module
 */

/**
 * Runs `job` on request, one run at a time (docs/app.md "One object per contact", the meeting
 * loop). A request while a run is under way is not dropped: that run may already be past the
 * point where it would have noticed what prompted the request (a link that closed while the loop
 * was still taking it up), so the job runs once more when the run ends. Requests during one run
 * coalesce into that one more run. The job checks its own preconditions each time it starts.
 */
export class SerialJob {
  #running = false;
  #again = false;

  constructor(private readonly job: () => Promise<void>) {
    if (typeof job !== 'function') throw new TypeError('SerialJob: job must be a function returning a promise');
  }

  /** Whether a run is under way. */
  get running(): boolean {
    return this.#running;
  }

  /** Starts a run, or, while one is under way, asks for one more after it ends. */
  request(): void {
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = true;
    this.#again = false;
    void this.job().finally(() => {
      this.#running = false;
      if (this.#again) this.request();
    });
  }
}
