import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';

/** What the metrics read from the store when scraped. */
export interface CloudMetricSources {
  /** Every gateway with the end of the newest window merged from it (event time, epoch ms) and the readings merged from it. */
  gatewayStats(): Promise<{ gatewayId: string; latestWindowEndMs: number; readings: number }[]>;
}

/** Gateways labelled in the per-gateway metrics, at most (those merged most recently). */
export const windowEndGatewaysMax = 1000;

/** The cloud's Prometheus metrics, in a registry of its own. */
export function createCloudMetrics(sources?: CloudMetricSources) {
  const registry = new Registry();
  // One read of the store per scrape serves both per-gateway metrics; the most recently merged
  // gateways first, at most windowEndGatewaysMax of them.
  let scraped: Promise<{ gatewayId: string; latestWindowEndMs: number; readings: number }[]> | undefined;
  const gatewaysScraped = () => {
    scraped ??= (sources?.gatewayStats() ?? Promise.resolve([]))
      // A store that cannot answer leaves these metrics out of the scrape, not the whole scrape.
      .catch(() => [])
      .then((all) => [...all].sort((a, b) => b.latestWindowEndMs - a.latestWindowEndMs).slice(0, windowEndGatewaysMax))
      .finally(() => setTimeout(() => (scraped = undefined), 1000).unref());
    return scraped;
  };
  // Unprefixed, as every stock Node.js dashboard expects: process_cpu_seconds_total, nodejs_heap_size_used_bytes...
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    envelopes: new Counter({
      name: 'fogline_cloud_envelopes_total',
      help: 'Partition envelopes received, by outcome',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    alertMessages: new Counter({
      name: 'fogline_cloud_alert_messages_total',
      help: 'Alert messages received from gateways, by outcome (merged, duplicate, dead-letter)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    alertsByRule: new Counter({
      name: 'fogline_cloud_alerts_total',
      help: 'Alerts merged for the first time, by the rule that raised them and its severity (rule="other" past 1000 rule names)',
      labelNames: ['rule', 'severity'],
      registers: [registry],
    }),
    recordsDeadLettered: new Counter({
      name: 'fogline_cloud_records_dead_lettered_total',
      help: 'Records of merged envelopes left out with a reason (unreadable, or a merge that would overflow)',
      registers: [registry],
    }),
    dedupGapSeqsSkipped: new Counter({
      name: 'fogline_cloud_dedup_gap_seqs_skipped_total',
      help: 'Seqs of a gateway incarnation that never arrived, skipped over once 10,000 later ones were merged',
      registers: [registry],
    }),
    parked: new Counter({
      name: 'fogline_cloud_messages_parked_total',
      help: 'Messages kept aside after failing intake again and again (acknowledged, never retried forever)',
      registers: [registry],
    }),
    intakeFailures: new Counter({
      name: 'fogline_cloud_intake_failures_total',
      help: 'Messages whose intake failed (the store unreachable, say) and were left unacknowledged, for the broker or gateway to deliver again',
      registers: [registry],
    }),
    incarnations: new Counter({
      name: 'fogline_cloud_gateway_incarnations_total',
      help: 'Gateway incarnations seen for the first time (news=new), and two incarnations writing at once (news=conflict)',
      labelNames: ['news'],
      registers: [registry],
    }),
    bytesIn: new Counter({ name: 'fogline_cloud_bytes_received_total', help: 'Bytes received from gateways', registers: [registry] }),
    authFailures: new Counter({
      name: 'fogline_cloud_auth_failures_total',
      help: 'Refused gateway logins, by reason (throttled: refused unchecked after loginFailuresMax)',
      labelNames: ['reason'],
      registers: [registry],
    }),
    packetsRefused: new Counter({
      name: 'fogline_cloud_packets_refused_total',
      help: 'Connections closed for declaring a packet over broker.limits.packetBytesMax (or connectPacketBytesMax before CONNECT)',
      labelNames: ['when'],
      registers: [registry],
    }),
    connectionsRefused: new Counter({
      name: 'fogline_cloud_connections_refused_total',
      help: 'Connections closed at once because broker.limits.connectionsMax were open',
      registers: [registry],
    }),
    aclDenied: new Counter({
      name: 'fogline_cloud_acl_denied_total',
      help: "Publishes outside a gateway's own topics",
      registers: [registry],
    }),
    gatewayWindowEnd: new Gauge({
      name: 'fogline_cloud_gateway_window_end_seconds',
      help: "The end of the newest window merged from each gateway, Unix time in seconds: time() minus it is the gateway's intake lag (event time)",
      labelNames: ['gateway'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const g of await gatewaysScraped())
          if (g.latestWindowEndMs > 0) this.set({ gateway: g.gatewayId }, g.latestWindowEndMs / 1000);
      },
    }),
    gatewayReadings: new Counter({
      name: 'fogline_cloud_gateway_readings_total',
      help: "Readings merged from each gateway (the sum of its windows' counts), exactly once: the fleet's throughput",
      labelNames: ['gateway'],
      registers: [registry],
      async collect() {
        // Read from the store (what every node of a cluster merged), not counted by this node.
        this.reset();
        for (const g of await gatewaysScraped()) this.inc({ gateway: g.gatewayId }, g.readings);
      },
    }),
    webhookDeliveries: new Counter({
      name: 'fogline_cloud_webhook_deliveries_total',
      help: 'Alert deliveries to webhooks, by webhook and outcome (delivered, retried, dropped: given up, over queueMax, or waiting at stop)',
      labelNames: ['webhook', 'outcome'],
      registers: [registry],
    }),
    liveClients: new Gauge({ name: 'fogline_cloud_live_clients', help: 'Dashboards connected to /api/v1/events', registers: [registry] }),
    liveRefused: new Counter({
      name: 'fogline_cloud_live_refused_total',
      help: 'Dashboards refused because http.liveClientsMax were connected',
      registers: [registry],
    }),
    liveDropped: new Counter({
      name: 'fogline_cloud_live_dropped_total',
      help: 'Dashboards disconnected for falling http.livePendingEventsMax events behind',
      registers: [registry],
    }),
  };
}

export type CloudMetrics = ReturnType<typeof createCloudMetrics>;
