// The write policy of a restore, as the C asrestore sets it (tools-backup batch_uploader.c,
// restore.c): exists = update-or-create (default), create-only (-u) or create-or-replace
// (-r); generation GT with the backed-up generation unless -g. Plus the restore-time TTL
// rule of asb-format.md §8.
import { CITRUSLEAF_EPOCH, Info2, Info3 } from '../protocol/constants.js';
import { wallClock } from '../clock.js';
import type { WritePolicySettings } from './settings.js';
import type { WriteOptions } from './writer.js';

/** The three policy switches of asrestore / as-write. */
export interface WritePolicyOptions {
  /** -u: create only; an existing record is left alone and counted "existed". */
  unique?: boolean;
  /** -r: create or replace (bins not in the backup are removed). */
  replace?: boolean;
  /** -g: write whatever generation the server holds. */
  noGeneration?: boolean;
}

/** Header bits of a put, and whether the record's generation goes into the header. */
export interface WriteBits {
  info2: number;
  info3: number;
  /** True when the header carries the backed-up generation (GENERATION_GT). */
  sendGeneration: boolean;
}

/** TTL that tells the server "never expire". */
export const TTL_NEVER = 0xffffffff;

/**
 * writeBits: the header bits for the options. -u sends CREATE_ONLY (info2), -r
 * CREATE_OR_REPLACE (info3); neither means "update or create" (no bit). GENERATION_GT is set
 * unless -g, so a record the server holds at a higher generation is not overwritten.
 */
export function writeBits(o: WritePolicyOptions): WriteBits {
  let info2 = Info2.WRITE;
  let info3 = 0;
  if (o.unique) info2 |= Info2.CREATE_ONLY;
  else if (o.replace) info3 |= Info3.CREATE_OR_REPLACE;
  const sendGeneration = !o.noGeneration;
  if (sendGeneration) info2 |= Info2.GENERATION_GT;
  return { info2, info3, sendGeneration };
}

/** nowClSeconds: seconds since 2010-01-01T00:00:00Z of a Unix ms clock reading. */
export function nowClSeconds(nowMs: number = wallClock()): number {
  return Math.floor(nowMs / 1000) - CITRUSLEAF_EPOCH;
}

/**
 * ttlFor: the TTL to send for a backed-up void time. 0 (never expires) gives TTL_NEVER; a
 * void time that, plus extraTtl, is not after now means the record has expired: undefined
 * (the caller skips and counts it); otherwise the seconds left.
 */
export function ttlFor(voidTime: number, nowCl: number, extraTtl = 0): number | undefined {
  if (voidTime === 0) return TTL_NEVER;
  const v = voidTime + extraTtl;
  if (v <= nowCl) return undefined;
  return v - nowCl;
}

/**
 * MAX_TTL: the longest TTL a server accepts, 10 years (the server's MAX_ALLOWED_TTL);
 * more is refused with a bare parameter error, so a restore says why before sending.
 */
export const MAX_TTL = 315_360_000;

/**
 * ttlOverLimit: why a TTL is more than the server accepts, or undefined when it is not
 * (TTL_NEVER is not a TTL). Names --extra-ttl when that is what pushes it over.
 */
export function ttlOverLimit(ttl: number, extraTtl = 0): string | undefined {
  if (ttl === TTL_NEVER || ttl <= MAX_TTL) return undefined;
  const years = (ttl / (365 * 86400)).toFixed(1);
  const why = extraTtl > 0 && ttl - extraTtl <= MAX_TTL
    ? `--extra-ttl ${extraTtl} takes it over; give a smaller --extra-ttl`
    : extraTtl > 0
      ? `its void time is that far ahead even without --extra-ttl ${extraTtl}`
      : 'its void time is that far ahead of this run\'s clock';
  return `would get a TTL of ${ttl} s (${years} years), more than the server's limit of ${MAX_TTL} s (10 years): ${why}`;
}

/** writeOptionsOf: the writer's options from the settings (-t scales the lanes of puts). */
export function writeOptionsOf(o: WritePolicySettings): WriteOptions {
  return {
    unique: o.unique,
    replace: o.replace,
    noGeneration: o.noGeneration,
    extraTtl: o.extraTtl,
    ignoreRecordError: o.ignoreRecordError,
    maxRetries: o.maxRetries,
    retryScaleFactorUs: o.retryScaleFactor,
    socketTimeoutMs: o.socketTimeout,
    totalTimeoutMs: o.totalTimeout,
    batchSize: o.batchSize,
    maxAsyncBatches: o.maxAsyncBatches,
    lanesPerNode: Math.min(8, Math.max(1, Math.ceil(o.parallel / 10))),
    partitionWaitMs: o.partitionWait,
  };
}
