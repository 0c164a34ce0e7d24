import { type DecodeLimits, ReadingCollector } from './decode-payload.js';
import type { MappedOutcome } from './payload-mapping.js';
import { decodeSparkplugPayload, type SparkplugMetric } from './sparkplug-payload.js';

/** The namespace fogline reads: Sparkplug B. */
export const sparkplugNamespace = 'spBv1.0';
/** Edge nodes remembered (aliases, seq, who is online), at most; past it the one heard from longest ago is forgotten (counted). */
export const sparkplugNodesMax = 10_000;
/** Aliases one edge node may name, over its births and its devices', at most; a birth past it is refused (dead-lettered). */
export const aliasesPerNodeMax = 100_000;
/** Devices one edge node may have, at most; a DBIRTH of one more is refused (dead-lettered). */
export const devicesPerNodeMax = 10_000;
/** A node is asked to rebirth at most this often: a burst of gaps must not become a burst of commands. */
export const rebirthRequestIntervalMs = 5_000;

const idPattern = /^[A-Za-z0-9_.:-]{1,64}$/;

interface NodeState {
  readonly group: string;
  /** Aliases are unique within an edge node, its devices' included (spec: "Aliases"). */
  readonly aliases: Map<number, string>;
  readonly devices: Map<string, boolean>;
  online: boolean;
  lastSeq?: number;
  lastRebirthRequestMs: number;
  seqGaps: number;
}

export interface SparkplugEvents {
  /** Publish an NCMD asking the node to send its births again. */
  requestRebirth(group: string, node: string): void;
  seqGap(): void;
  nodeForgotten(): void;
}

/**
 * Sparkplug B edge nodes and their devices, as a host application keeps them: each NBIRTH
 * and DBIRTH gives the metrics' names and aliases, and every NDATA and DDATA is read through
 * them. seq runs 0-255 over a node's messages; a gap, or data the gateway cannot name (its
 * births are from before a restart), asks the node to rebirth through NCMD. NDEATH and DDEATH
 * mark the node and its devices offline.
 *
 * Readings: a node's metrics under device id <node>, a device's under <node>:<device>; names
 * keep their letters, digits and _ . : -, '/' becomes '.', anything else '_'
 * (Inputs/Temperature 1 -> Inputs.Temperature_1). Booleans count 1 and 0; strings and
 * structures are not readings; bdSeq and Node Control/* are Sparkplug's own.
 */
export class SparkplugNodes {
  private readonly nodes = new Map<string, NodeState>();
  private readonly clients: ReadonlySet<string>;

  constructor(
    private readonly events: SparkplugEvents,
    /** Credentials that may publish for any node (a relay); others only for the node of their own id. */
    clients: readonly string[] = [],
    private readonly nodesMax = sparkplugNodesMax,
  ) {
    this.clients = new Set(clients);
  }

  /** Whether a topic is Sparkplug B's. */
  static owns(topic: string): boolean {
    return topic.startsWith(`${sparkplugNamespace}/`);
  }

  handle(topic: string, payload: Buffer, clientId: string, receivedAtMs: number, limits: DecodeLimits): MappedOutcome {
    const [, group, type, node, device, ...more] = topic.split('/');
    if (group === 'STATE' || type === 'NCMD' || type === 'DCMD' || type === 'STATE') return { kind: 'ignored' }; // hosts' messages
    const known = ['NBIRTH', 'NDATA', 'NDEATH', 'DBIRTH', 'DDATA', 'DDEATH'];
    const forDevice = type?.startsWith('D');
    if (!known.includes(type) || !node || more.length > 0 || (forDevice ? !device : device !== undefined))
      return decodedProblem(`topic ${topic} is not spBv1.0/<group>/<N|D><BIRTH|DATA|DEATH>/<node>[/<device>]`);
    if (!idPattern.test(group) || !idPattern.test(node) || (device !== undefined && !idPattern.test(`${node}:${device}`)))
      return decodedProblem(`topic ${topic}: group, node and device must be letters, digits, _ . : - (64 at most with the node)`);
    if (node !== clientId && !this.clients.has(clientId))
      return {
        kind: 'refused',
        reason: `sparkplug: ${clientId} may not publish for edge node ${node} (list it in sparkplug.clients to let a relay do so)`,
      };
    let decoded: ReturnType<typeof decodeSparkplugPayload>;
    try {
      decoded = decodeSparkplugPayload(payload);
    } catch (error) {
      return decodedProblem(`sparkplug ${type}: ${(error as Error).message}`);
    }
    const state = this.stateOf(group, node, type === 'NBIRTH');
    if (type !== 'NDEATH') this.checkSeq(state, group, node, decoded.seq, type === 'NBIRTH', receivedAtMs);
    if (type === 'NDEATH') {
      state.online = false;
      for (const name of state.devices.keys()) state.devices.set(name, false);
      return { kind: 'ignored' };
    }
    if (type === 'DDEATH') {
      state.devices.set(device, false);
      return { kind: 'ignored' };
    }
    if (type === 'DBIRTH' && !state.devices.has(device) && state.devices.size >= devicesPerNodeMax)
      return decodedProblem(`sparkplug DBIRTH: edge node ${node} has ${devicesPerNodeMax} devices already, the most one node may have`);
    const newAliases = decoded.metrics.filter((m) => m.alias !== undefined && m.name !== undefined && !state.aliases.has(m.alias)).length;
    if (type.endsWith('BIRTH') && state.aliases.size + newAliases > aliasesPerNodeMax)
      return decodedProblem(
        `sparkplug ${type}: edge node ${node} would name ${state.aliases.size + newAliases} aliases, over ${aliasesPerNodeMax}`,
      );
    if (type === 'NBIRTH') state.online = true;
    if (type === 'DBIRTH') state.devices.set(device, true);
    const deviceId = device === undefined ? node : `${node}:${device}`;
    const collector = new ReadingCollector(deviceId, receivedAtMs, limits);
    let unnamed = 0;
    for (const metric of decoded.metrics) {
      if (type.endsWith('BIRTH') && metric.name !== undefined && metric.alias !== undefined) state.aliases.set(metric.alias, metric.name);
      const name = metric.name ?? (metric.alias === undefined ? undefined : state.aliases.get(metric.alias));
      if (name === undefined) {
        unnamed++;
        continue;
      }
      if (isControl(name) || metric.value === undefined) continue;
      collector.add(`sparkplug ${type}`, metricNameOf(name), metric.value, readingTime(metric, decoded.timestamp));
    }
    if (unnamed > 0) {
      collector.problems.push(`sparkplug ${type}: ${unnamed} metric(s) by an alias no birth named; rebirth requested`);
      this.askRebirth(state, group, node, receivedAtMs);
    }
    return { kind: 'decoded', decoded: { readings: collector.readings, problems: collector.problems } };
  }

  /** Every node remembered, with who is online: for operators. */
  list(): { group: string; node: string; online: boolean; seqGaps: number; devices: { device: string; online: boolean }[] }[] {
    return [...this.nodes].map(([node, s]) => ({
      group: s.group,
      node,
      online: s.online,
      seqGaps: s.seqGaps,
      devices: [...s.devices].map(([device, online]) => ({ device, online })),
    }));
  }

  private stateOf(group: string, node: string, birth: boolean): NodeState {
    let state = this.nodes.get(node);
    if (state) this.nodes.delete(node); // re-inserted last: the Map's order is who was heard from longest ago
    if (!state || birth) {
      // A birth starts the node afresh: its aliases and seq are the birth's.
      state = {
        group,
        aliases: new Map(),
        devices: state?.devices ?? new Map(),
        online: false,
        lastRebirthRequestMs: state?.lastRebirthRequestMs ?? Number.NEGATIVE_INFINITY,
        seqGaps: state?.seqGaps ?? 0,
      };
    }
    this.nodes.set(node, state);
    for (const [oldest] of this.nodes) {
      if (this.nodes.size <= this.nodesMax) break;
      this.nodes.delete(oldest);
      this.events.nodeForgotten();
    }
    return state;
  }

  /** seq counts 0-255 over the node's messages since its NBIRTH (which starts it); a gap means messages were lost. */
  private checkSeq(state: NodeState, group: string, node: string, seq: number | undefined, birth: boolean, nowMs: number): void {
    if (seq === undefined) return;
    if (!birth && state.lastSeq !== undefined && seq !== (state.lastSeq + 1) % 256) {
      state.seqGaps++;
      this.events.seqGap();
      this.askRebirth(state, group, node, nowMs);
    }
    if (!birth && state.lastSeq === undefined) this.askRebirth(state, group, node, nowMs); // data before any birth we saw
    state.lastSeq = seq;
  }

  private askRebirth(state: NodeState, group: string, node: string, nowMs: number): void {
    if (nowMs - state.lastRebirthRequestMs < rebirthRequestIntervalMs) return;
    state.lastRebirthRequestMs = nowMs;
    this.events.requestRebirth(group, node);
  }
}

const isControl = (name: string) => name === 'bdSeq' || name.startsWith('Node Control/') || name.startsWith('Device Control/');

/** A Sparkplug metric name as a fogline metric name: folders become dots, other characters '_'. */
export function metricNameOf(name: string): string {
  return name
    .replace(/\//g, '.')
    .replace(/[^A-Za-z0-9_.:-]/g, '_')
    .slice(0, 64);
}

function readingTime(metric: SparkplugMetric, payloadTimestamp: number | undefined): number | undefined {
  return metric.timestamp ?? payloadTimestamp;
}

function decodedProblem(problem: string): MappedOutcome {
  return { kind: 'decoded', decoded: { readings: [], problems: [problem] } };
}
