// Child process of flood.test.ts: a node that sends 256 KiB block-sync messages to one peer
// as fast as its send queue accepts them, for a given time, then prints what it queued.
// Usage: tsx flood-child.ts <peer id> <peer port> <duration ms>
import { BLOCKSYNC, pattern, startNode } from './helpers.js';

const [peerId, portText, durationText] = process.argv.slice(2);
const message = pattern(256 * 1024, 7);
const node = await startNode({
  key: 'flooder',
  persistentPeers: [{ id: peerId!, host: '127.0.0.1', port: Number(portText) }],
  // The receiver stops reading while its handlers are behind, so it also reads our pings late.
  limits: { pingIntervalMs: 60_000, pongTimeoutMs: 60_000 },
});
node.onPeerConnected(() => {
  const until = Date.now() + Number(durationText);
  let queuedBytes = 0;
  let refused = 0;
  const pump = (): void => {
    while (node.send(peerId!, BLOCKSYNC, message)) queuedBytes += message.length;
    refused++;
    if (Date.now() < until) setTimeout(pump, 1);
    else {
      process.stdout.write(`${JSON.stringify({ queuedBytes, refused })}\n`);
      void node.stop().then(() => process.exit(0));
    }
  };
  pump();
});
