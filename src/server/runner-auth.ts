// Remote runners: an x-api-key names a configured runner, compared in constant time; a run is written only by its runner.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { RunnerConfig } from '../config/index.js';
import { SupervisorError } from '../errors.js';
import type { RunInfo } from '../types.js';

/** The header a runner sends its key in. */
export const API_KEY_HEADER = 'x-api-key';

/** Who a request comes from, and whether it may write to a run. */
export interface RunnerAuth {
  /** the runner whose key the request carries; BAD_API_KEY (401) when the key is missing or matches none */
  identify(headers: IncomingHttpHeaders): string;
  /** FORBIDDEN (403) unless `runner` owns the run; RUN_NOT_EXTERNAL (409) for a local run */
  authorize(runner: string, run: RunInfo): void;
}

/** Build the key check over the configured runners; runners whose key is missing from the environment are disabled. */
export function createRunnerAuth(runners: Readonly<Record<string, RunnerConfig>>): RunnerAuth {
  // Digests of equal length: timingSafeEqual needs them, and neither a key's content nor its length leaks.
  const known = Object.entries(runners)
    .filter((entry): entry is [string, RunnerConfig & { apiKey: string }] => typeof entry[1].apiKey === 'string')
    .map(([name, runner]) => ({ name, digest: sha256(runner.apiKey) }));

  return {
    identify(headers) {
      const key = headers[API_KEY_HEADER];
      if (typeof key !== 'string' || key === '') {
        throw new SupervisorError('BAD_API_KEY', `send the runner's key in the ${API_KEY_HEADER} header`);
      }
      const digest = sha256(key);
      let match: string | undefined;
      // Every runner is compared, match or not: the time taken does not say which one (or how many) were tried.
      for (const runner of known) {
        if (timingSafeEqual(digest, runner.digest) && match === undefined) match = runner.name;
      }
      if (match === undefined) {
        throw new SupervisorError('BAD_API_KEY', `the ${API_KEY_HEADER} header matches no runner configured in runners`);
      }
      return match;
    },
    authorize(runner, run) {
      if (run.runner === null) {
        throw new SupervisorError(
          'RUN_NOT_EXTERNAL',
          `run ${run.run_id} is a local run of module ${run.module}; only runs registered with "external": true take pushed logs`,
        );
      }
      if (run.runner !== runner) {
        throw new SupervisorError('FORBIDDEN', `run ${run.run_id} belongs to another runner; runner ${runner} may write only to its own runs`);
      }
    },
  };
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
