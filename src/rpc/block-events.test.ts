// Which event kinds a committed block builds for the connected WebSocket subscribers: only the
// kinds some subscription's `tm.event` conditions accept (a NewBlock-only client must not cost
// one Tx event per tx), and both when a query does not name tm.event.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseQuery } from './query.js';
import { wantsKind, type Subscription } from './server.js';

const sub = (query: string): Subscription => ({ id: 1, query, conditions: parseQuery(query) });

describe('RPC: event kinds built per block', () => {
  const cases: [string, string[][], { NewBlock: boolean; Tx: boolean }][] = [
    ['no subscription', [], { NewBlock: false, Tx: false }],
    ['a client without subscriptions', [[]], { NewBlock: false, Tx: false }],
    ['NewBlock only', [["tm.event='NewBlock'"]], { NewBlock: true, Tx: false }],
    ['Tx with more conditions', [["tm.event='Tx' AND tx.height>5"]], { NewBlock: false, Tx: true }],
    ['a query without tm.event', [['transfer.amount > 5']], { NewBlock: true, Tx: true }],
    ['tm.event EXISTS', [['tm.event EXISTS']], { NewBlock: true, Tx: true }],
    ["tm.event CONTAINS 'T'", [["tm.event CONTAINS 'T'"]], { NewBlock: false, Tx: true }],
    ['an unknown kind', [["tm.event='Vote'"]], { NewBlock: false, Tx: false }],
    [
      'NewBlock on one client, Tx on another',
      [["tm.event='NewBlock'"], ["tm.event='Tx'"]],
      { NewBlock: true, Tx: true },
    ],
  ];
  for (const [what, clients, expected] of cases) {
    it(what, () => {
      const subscriptions = clients.map((queries) => queries.map(sub));
      for (const kind of ['NewBlock', 'Tx'] as const)
        assert.equal(wantsKind(subscriptions, kind), expected[kind], `${what}: ${kind}`);
    });
  }
});
