import { describe, expect, it } from 'vitest';
import { SerialJob } from '../../src/app/serial-job';

/** A promise the test settles by hand. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Lets every pending promise callback run. */
const settle = () => new Promise((r) => setTimeout(r, 0));

describe('SerialJob', () => {
  it('a request while the job is finishing runs it again (the meeting loop and a link that closed meanwhile)', async () => {
    // The shape of ContactPeer's loop: it finds a link, then awaits the last steps of taking it up.
    // The link closes during that await and asks for a new meeting, which the loop no longer sees.
    const takingUp = deferred();
    let linkUp = false;
    const meetings: string[] = [];
    const job = new SerialJob(async () => {
      if (linkUp) return;
      meetings.push('met');
      linkUp = true;
      await takingUp.promise;
    });
    job.request();
    await settle();
    expect(meetings).toEqual(['met']);
    linkUp = false; // the link closes…
    job.request(); // …and its close asks for a meeting while the loop is still taking the link up
    takingUp.resolve();
    await settle();
    expect(meetings).toEqual(['met', 'met']);
    expect(job.running).toBe(false);
  });

  it('runs one at a time; requests during a run coalesce into one more run', async () => {
    const gates = [deferred(), deferred()];
    let runs = 0,
      concurrent = 0,
      most = 0;
    const job = new SerialJob(async () => {
      const gate = gates[runs++]!;
      most = Math.max(most, ++concurrent);
      await gate.promise;
      concurrent--;
    });
    job.request();
    job.request();
    job.request();
    await settle();
    expect(runs).toBe(1);
    gates[0]!.resolve();
    await settle();
    expect(runs).toBe(2);
    gates[1]!.resolve();
    await settle();
    expect(runs).toBe(2);
    expect(most).toBe(1);
    expect(job.running).toBe(false);
  });

  it('does not run again unless asked', async () => {
    let runs = 0;
    const job = new SerialJob(async () => {
      runs++;
    });
    job.request();
    await settle();
    await settle();
    expect(runs).toBe(1);
    job.request();
    await settle();
    expect(runs).toBe(2);
  });

  it('refuses a job that is not a function', () => {
    expect(() => new SerialJob(null as unknown as () => Promise<void>)).toThrow(/job must be a function/);
  });
});
