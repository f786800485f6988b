/**
 * Failures a person can meet in the app, each with a stable code (tests and support docs
 * depend on the codes), what happened, and what to do about it. The words live in
 * strings.ts (`t.errors`) with the rest of the app's words; the codes in failure-codes.ts.
 * @module
 */
import type { AppError, AppErrorCode } from './failure-codes';
import { t } from './strings';

export type { AppError, AppErrorCode } from './failure-codes';

/** Builds the person-facing error for a code; `name` is the friend concerned, when known. The words are `t.errors` (strings.ts). */
export function appError(code: AppErrorCode, name?: string): AppError {
  return { code, ...t.errors[code](name || t.friend) };
}
