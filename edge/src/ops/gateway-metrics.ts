import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** The gateway's Prometheus metrics, in a registry of its own (several gateways can share a process in tests). */
export function createGatewayMetrics() {
  const registry = new Registry();
  // Unprefixed, as every stock Node.js dashboard expects: process_cpu_seconds_total, nodejs_heap_size_used_bytes...
  collectDefaultMetrics({ register: registry });
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Counter<L>({ name: `fogline_gateway_${name}`, help, labelNames, registers: [registry] });
  const gauge = (name: string, help: string) => new Gauge({ name: `fogline_gateway_${name}`, help, registers: [registry] });
  /**
   * A counter for the per-publish hot path: the hot path adds to a plain number, and it reaches
   * prom-client when scraped (the collect hook). prom-client's own inc hashes a label object
   * and updates a map on every call: a few percent of a gateway's time at 100,000 publishes a
   * second.
   */
  const tally = (name: string, help: string, labelName?: string, values: readonly string[] = ['']) => {
    const children = new Map(values.map((value) => [value, { n: 0 }]));
    new Counter({
      name: `fogline_gateway_${name}`,
      help,
      labelNames: labelName ? [labelName] : [],
      registers: [registry],
      collect() {
        for (const [value, child] of children) {
          if (child.n === 0) continue;
          if (labelName) this.inc({ [labelName]: value }, child.n);
          else this.inc(child.n);
          child.n = 0;
        }
      },
    });
    const incOf = (child: { n: number }) => ({
      inc(by = 1) {
        child.n += by;
      },
    });
    return { labels: (value: string) => incOf(children.get(value) ?? { n: 0 }), ...incOf(children.get('') ?? { n: 0 }) };
  };
  return {
    registry,
    messages: tally('messages_total', 'Publishes received from devices, by QoS', 'qos', ['0', '1', '2']),
    bytesIn: tally('bytes_received_total', 'Bytes of PUBLISH packets received from devices (header, topic, packet id, payload)'),
    readings: tally('readings_total', 'Valid readings accepted'),
    duplicateReadings: counter(
      'duplicate_readings_total',
      'Device-stamped readings (same device, metric and ts) received again while their window was open: counted once',
    ),
    storeWriteFailures: counter(
      'store_write_failures_total',
      'Writes to the data folder that failed (a full disk): ingest (the device is not acknowledged and resends) or windows (retried every window check)',
      ['what'],
    ),
    resendMemoEvicted: counter(
      'resend_memo_evicted_total',
      'Device resend memos dropped at ingest.resendMemoDevicesMax (the idlest first)',
    ),
    mappedIgnored: counter(
      'mapped_ignored_total',
      "Publishes a payload mapping matched and left out by its when (Shelly's NotifyEvent, say), by mapping",
      ['mapping'],
    ),
    sparkplugSeqGaps: counter(
      'sparkplug_seq_gaps_total',
      'Sparkplug B messages whose seq did not follow the last (messages lost): a rebirth is requested',
    ),
    sparkplugRebirthRequests: counter('sparkplug_rebirth_requests_total', 'NCMD Node Control/Rebirth requests sent to edge nodes'),
    sparkplugNodesForgotten: counter(
      'sparkplug_nodes_forgotten_total',
      'Edge nodes forgotten at sparkplugNodesMax (the one heard from longest ago)',
    ),
    commands: counter(
      'commands_total',
      'Steps of commands to devices, by status (queued, sent, delivered, acknowledged, expired, failed)',
      ['status'],
    ),
    commandReportsDropped: counter(
      'command_reports_dropped_total',
      'Command status reports dropped at commandReportsMax while the cloud was out of reach',
    ),
    deadLetters: counter('dead_letters_total', 'Publishes or parts of publishes refused, by reason', ['reason']),
    deadLettersDropped: counter('dead_letters_dropped_total', 'Dead letters dropped from the store at deadLettersMax (oldest first)'),
    late: counter('late_readings_total', 'Readings that arrived after their window closed (kept in the late store)'),
    lateDropped: counter('late_readings_dropped_total', 'Late readings dropped from the late store at lateReadingsMax (oldest first)'),
    duplicates: counter('duplicates_total', 'QoS 1 retransmissions of an already logged publish, acknowledged without counting again'),
    authFailures: counter('auth_failures_total', 'Refused logins, by reason (throttled: refused unchecked after loginFailuresMax)', [
      'reason',
    ]),
    packetsRefused: counter(
      'packets_refused_total',
      'Connections closed for declaring a packet over packetBytesMax (or connectPacketBytesMax before CONNECT)',
      ['when'],
    ),
    credentialsRevoked: counter(
      'credentials_revoked_total',
      'Devices removed or given a new secret while the gateway ran (their connections closed)',
    ),
    presenceForgotten: counter(
      'presence_forgotten_total',
      'Disconnected devices forgotten by devices list --connected at presenceDevicesMax (the longest gone first)',
    ),
    connectionsRefused: counter('connections_refused_total', 'Connections closed at once because connectionsMax were open'),
    aclDenied: counter('acl_denied_total', "Publishes or subscriptions outside the device's own topics", ['action']),
    rateLimited: counter('rate_limited_total', 'Publishes over messagesPerSecondMax: QoS 1 throttled, QoS 0 dropped', ['action']),
    ingestRefused: counter('ingest_refused_total', 'QoS 1 publishes refused because the ingest log was full (the device retries)'),
    qos0Dropped: counter('qos0_dropped_total', 'QoS 0 publishes dropped because the ingest log was full'),
    windowsClosed: counter('windows_closed_total', 'Event-time windows closed, by cause', ['cause']),
    envelopes: counter('envelopes_written_total', 'Partition envelopes written to the outbox'),
    outboxDropped: counter('outbox_dropped_total', 'Outbox records dropped at outboxBytesMax (oldest partitions first)', ['kind']),
    outboxDroppedReadings: counter('outbox_dropped_readings_total', 'Readings summarised by the partitions dropped at outboxBytesMax'),
    pipelineBatchesFailed: counter(
      'pipeline_batches_failed_total',
      'Batches of the user pipelines that threw (logged, and the last shown on /healthz)',
    ),
    jobBatchesFailed: counter(
      'job_batches_failed_total',
      "Micro-batches of the gateway's job that failed as a whole (logged, and the last shown on /healthz and /jobs)",
    ),
    alerts: counter('alerts_total', 'Alerts raised by rules and pipelines, by rule and severity', ['rule', 'severity']),
    uplinkSent: counter('uplink_sent_total', 'Outbox records acknowledged by the cloud broker', ['kind']),
    bytesForwarded: counter('bytes_forwarded_total', 'Bytes of envelopes and alerts acknowledged by the cloud broker'),
    uplinkConnected: gauge('uplink_connected', '1 while connected to the cloud broker'),
    connected: gauge('connected_devices', 'Devices connected now'),
    logBytes: gauge('ingest_log_bytes', 'Bytes held by the ingest log'),
    outboxBytes: gauge('outbox_bytes', 'Bytes held by the outbox'),
    openStates: gauge('open_window_states', 'Open (window, device, metric) states'),
    watermarkLow: gauge('watermark_low_seconds', "The lowest device's event-time watermark (the laggard), Unix time in seconds"),
    watermarkHigh: gauge('watermark_high_seconds', "The highest device's event-time watermark (the leader), Unix time in seconds"),
    commitBatch: new Histogram({
      name: 'fogline_gateway_commit_batch_entries',
      help: 'Log entries per group commit',
      buckets: [1, 4, 16, 64, 256, 1024, 4096],
      registers: [registry],
    }),
  };
}

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;
