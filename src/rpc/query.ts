// The event query language of CometBFT's pubsub (libs/pubsub/query), the subset Shroud serves:
// conditions `key OP value` joined by AND; OP one of = < <= > >= CONTAINS EXISTS; values are
// 'quoted strings' or numbers. Used by `subscribe` and `tx_search`.
import { invalidParams } from './errors.js';

export interface Condition {
  key: string;
  op: '=' | '<' | '<=' | '>' | '>=' | 'CONTAINS' | 'EXISTS';
  value: string;
  numeric: boolean;
}

export const MAX_QUERY_LENGTH = 512;

/** Parses a query. @throws {RpcServerError} INVALID_PARAMS naming what is wrong. */
export function parseQuery(text: string): Condition[] {
  if (text.length === 0 || text.length > MAX_QUERY_LENGTH)
    throw invalidParams(`query must be 1-${MAX_QUERY_LENGTH} characters, like tm.event='NewBlock'`);
  const parts = text.split(/\s+AND\s+/);
  return parts.map((part) => {
    const trimmed = part.trim();
    const exists = /^([\w.-]+)\s+EXISTS$/.exec(trimmed);
    if (exists !== null) return { key: exists[1] ?? '', op: 'EXISTS', value: '', numeric: false };
    const match = /^([\w.-]+)\s*(<=|>=|=|<|>|CONTAINS)\s*(?:'([^']*)'|(-?\d+(?:\.\d+)?))$/.exec(trimmed);
    if (match === null) throw invalidParams(`cannot parse query condition "${trimmed.slice(0, 80)}"`);
    const numeric = match[4] !== undefined;
    return {
      key: match[1] ?? '',
      op: match[2] as Condition['op'],
      value: match[3] ?? match[4] ?? '',
      numeric,
    };
  });
}

function compare(candidate: string, condition: Condition): boolean {
  switch (condition.op) {
    case 'EXISTS':
      return true;
    case 'CONTAINS':
      return candidate.includes(condition.value);
    case '=':
      return condition.numeric
        ? Number(candidate) === Number(condition.value)
        : candidate === condition.value;
    default: {
      const a = Number(candidate);
      const b = Number(condition.value);
      if (!Number.isFinite(a)) return false;
      if (condition.op === '<') return a < b;
      if (condition.op === '<=') return a <= b;
      if (condition.op === '>') return a > b;
      return a >= b;
    }
  }
}

/** True when every condition holds for some value of its key in `events` (composite key → values). */
export function matches(conditions: Condition[], events: Map<string, string[]>): boolean {
  return conditions.every((condition) =>
    (events.get(condition.key) ?? []).some((v) => compare(v, condition)),
  );
}
