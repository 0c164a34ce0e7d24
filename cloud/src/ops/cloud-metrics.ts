import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';

/** The cloud's Prometheus metrics, in a registry of its own. */
export function createCloudMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'fogline_cloud_process_' });
  return {
    registry,
    envelopes: new Counter({
      name: 'fogline_cloud_envelopes_total',
      help: 'Partition envelopes received, by outcome',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    alerts: new Counter({
      name: 'fogline_cloud_alerts_total',
      help: 'Alerts received, by outcome',
      labelNames: ['outcome'],
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
