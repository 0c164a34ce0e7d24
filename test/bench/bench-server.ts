// A server for the gateway benchmark, in a process of its own:
//   gateway <dataDir> [process|power]   the fogline gateway, whole pipeline, anonymous devices, with that ingest.durability
//   aedes               a bare aedes broker whose authorizePublish is a no-op
// Prints {"port": ...} once listening; runs until killed.
import { createServer } from 'node:net';
import { Gateway, parseGatewayConfig } from '@fogline/edge';
import { Aedes } from 'aedes';
import { pino } from 'pino';

const [kind, dataDir, durability = 'process'] = process.argv.slice(2);
// With --expose-gc, SIGUSR2 prints the live heap after a full collection (for investigating).
process.on('SIGUSR2', () => {
  (globalThis as { gc?: () => void }).gc?.();
  console.error(JSON.stringify(process.memoryUsage()));
});
if (kind === 'gateway') {
  const config = parseGatewayConfig({
    gatewayId: 'gw-bench',
    dataDir,
    mqtt: { port: 0, allowAnonymous: true },
    ops: { port: 0 },
    limits: { messagesPerSecondMax: 1_000_000 },
    ingest: { durability },
    // A burst lets some devices run far ahead of others in event time; an hour of slack keeps
    // every reading on the normal path (none late). Windows then close at the end.
    windows: { allowedLatenessMs: 3_600_000 },
    log: { level: 'silent' },
  });
  const gateway = await Gateway.start(config, pino({ level: 'silent' }));
  console.log(JSON.stringify({ port: gateway.ports.mqtt, opsPort: gateway.ports.ops }));
  process.on('SIGTERM', () => void gateway.stop({ drain: false }).then(() => process.exit(0)));
} else {
  const broker = await Aedes.createBroker({ authorizePublish: (_client, _packet, done) => done(null) });
  const server = createServer(broker.handle);
  server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: (server.address() as { port: number }).port })));
  process.on('SIGTERM', () => process.exit(0));
}
