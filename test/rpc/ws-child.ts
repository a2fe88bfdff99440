// Child process of comet38.test.ts: subscribes with Comet38Client over WebSocket, reports what
// it saw as one JSON line, then exits explicitly. (cosmjs's ReconnectingSocket schedules a
// reconnect on every Disconnected status, even after disconnect(), so a process holding one
// never goes idle; a child that exits keeps the test runner's process clean.)
// argv: <ws url> <tx base64 to broadcast over HTTP after subscribing> <http url>
import { Comet38Client } from '@cosmjs/tendermint-rpc';

const [wsUrl, txBase64, httpUrl] = process.argv.slice(2);

function first<T>(
  subscribe: (next: (value: T) => void, fail: (e: unknown) => void) => () => void,
  count: number,
) {
  return new Promise<T[]>((resolve, reject) => {
    const seen: T[] = [];
    const timer = setTimeout(() => reject(new Error(`fewer than ${count} events within 10 s`)), 10_000);
    const stop = subscribe(
      (value) => {
        seen.push(value);
        if (seen.length === count) {
          clearTimeout(timer);
          stop();
          resolve(seen);
        }
      },
      (error) => reject(error instanceof Error ? error : new Error(String(error))),
    );
  });
}

try {
  const ws = await Comet38Client.connect(wsUrl ?? '');
  const blocks = await first<number>((next, fail) => {
    const s = ws.subscribeNewBlock().subscribe({ next: (b) => next(b.header.height), error: fail });
    return () => s.unsubscribe();
  }, 2);
  const txs = first<string>((next, fail) => {
    const s = ws
      .subscribeTx()
      .subscribe({ next: (e) => next(Buffer.from(e.hash).toString('hex')), error: fail });
    return () => s.unsubscribe();
  }, 1);
  await new Promise((r) => setTimeout(r, 100)); // let the subscribe request land first
  const http = await Comet38Client.connect(httpUrl ?? '');
  const sync = await http.broadcastTxSync({ tx: Uint8Array.from(Buffer.from(txBase64 ?? '', 'base64')) });
  const [txHash] = await txs;
  ws.disconnect();
  console.log(JSON.stringify({ blocks, txHash, code: sync.code }));
  process.exit(0);
} catch (error) {
  console.log(JSON.stringify({ error: error instanceof Error ? error.message : String(error) }));
  process.exit(1);
}
