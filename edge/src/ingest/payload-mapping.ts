import { type Decoded, type DecodeLimits, metricNamePattern, parseJson, ReadingCollector, show } from './decode-payload.js';
import { type JsonPath, numericLeaves, parseJsonPath, readingValue, valueAt } from './json-path.js';

/** One mapping as the config gives it (or a preset fills it in); see the README's "Payload mapping". */
export interface MappingSpec {
  readonly name: string;
  /** An MQTT topic with named levels: tele/{device}/SENSOR; + for an unnamed level, # (last) for the rest. */
  readonly topic: string;
  /** A template of the topic's named levels ({device}, z2m-{device}), or a JSON path into the payload ($.src). */
  readonly deviceId: string;
  /** Where the reading's time comes from; without it, the time of arrival. */
  readonly timestamp?: {
    readonly path: string;
    readonly unit: 'ms' | 's' | 'iso';
    /** An ISO time without an offset: taken as UTC, or ignored for the time of arrival (devices on local time). */
    readonly withoutOffset?: 'utc' | 'arrival';
  };
  /** json: a JSON document; number: a bare number, as state topics send ("21.5", or "ON"/"OFF"). */
  readonly payload?: 'json' | 'number';
  /** auto: every numeric leaf under `root`, named by its path; or a list of values. */
  readonly values:
    | 'auto'
    | readonly { readonly path: string; readonly metric: string; readonly scale?: number; readonly offset?: number }[];
  /** With auto: where the leaves are taken from (default $). */
  readonly root?: string;
  /** With auto: leaves left out, by their metric name; * matches any part of a name (*.id). */
  readonly exclude?: readonly string[];
  /** With auto: put before every metric name. */
  readonly metricPrefix?: string;
  /** Only payloads whose value at `path` equals `equals` are readings; others are acknowledged and ignored (counted). */
  readonly when?: { readonly path: string; readonly equals: string | number | boolean };
  /**
   * Credentials that may publish here for any device (a bridge: Zigbee2MQTT, a Shelly
   * fleet's relay). Without it, the mapped device id must be the publishing device's own.
   */
  readonly clients?: readonly string[];
}

/** What a mapping makes of one publish. */
export type MappedOutcome =
  | { readonly kind: 'decoded'; readonly decoded: Decoded }
  | { readonly kind: 'ignored' }
  | { readonly kind: 'refused'; readonly reason: string };

/** A device id a reading may carry: it travels in keys and topics. */
const deviceIdPattern = /^[A-Za-z0-9_.:-]{1,64}$/;
const template = /\{([A-Za-z_][\w]*)\}/g;

/** A mapping ready to match topics and decode payloads. */
export class CompiledMapping {
  private readonly levels: readonly { readonly name?: string; readonly literal?: string; readonly rest?: boolean }[];
  private readonly deviceIdPath?: JsonPath;
  private readonly timestampPath?: JsonPath;
  private readonly rootPath: JsonPath;
  private readonly valuePaths?: readonly { path: JsonPath; metric: string; scale: number; offset: number }[];
  private readonly whenPath?: JsonPath;
  private readonly clients: ReadonlySet<string>;
  private readonly exclude?: RegExp;

  constructor(readonly spec: MappingSpec) {
    const where = `mapping ${spec.name}`;
    this.levels = spec.topic.split('/').map((level, i, all) => {
      if (level === '#') {
        if (i !== all.length - 1) throw new RangeError(`${where}: topic ${spec.topic} has # before its last level`);
        return { rest: true };
      }
      if (level === '+') return {};
      const named = /^\{([A-Za-z_]\w*)\}$/.exec(level);
      if (named) return { name: named[1] };
      if (/[{}+#]/.test(level)) throw new RangeError(`${where}: topic level ${JSON.stringify(level)} is not a name, {name}, + or #`);
      return { literal: level };
    });
    const names = new Set(this.levels.flatMap((l) => (l.name ? [l.name] : [])));
    const checkTemplate = (text: string, field: string) => {
      for (const [, name] of text.matchAll(template))
        if (!names.has(name))
          throw new RangeError(`${where}: ${field} ${JSON.stringify(text)} uses {${name}}, which the topic does not name`);
    };
    const path = (text: string, field: string) => {
      try {
        return parseJsonPath(text);
      } catch (error) {
        throw new RangeError(`${where}: ${field}: ${(error as Error).message}`);
      }
    };
    if (spec.deviceId.startsWith('$')) this.deviceIdPath = path(spec.deviceId, 'deviceId');
    else checkTemplate(spec.deviceId, 'deviceId');
    if (spec.timestamp) this.timestampPath = path(spec.timestamp.path, 'timestamp.path');
    this.rootPath = path(spec.root ?? '$', 'root');
    if (spec.values !== 'auto')
      this.valuePaths = spec.values.map((v, i) => {
        checkTemplate(v.metric, `values.${i}.metric`);
        return { path: path(v.path, `values.${i}.path`), metric: v.metric, scale: v.scale ?? 1, offset: v.offset ?? 0 };
      });
    if (spec.when) this.whenPath = path(spec.when.path, 'when.path');
    this.clients = new Set(spec.clients ?? []);
    if (spec.exclude?.length)
      this.exclude = new RegExp(`^(${spec.exclude.map((glob) => glob.split('*').map(escapeRegExp).join('.*')).join('|')})$`);
  }

  /** The topic's named levels when it matches, else undefined. */
  match(topic: string): Record<string, string> | undefined {
    const parts = topic.split('/');
    const captured: Record<string, string> = {};
    for (const [i, level] of this.levels.entries()) {
      if (level.rest) return i < parts.length ? captured : undefined;
      const part = parts[i];
      if (part === undefined || part === '') return undefined;
      if (level.literal !== undefined && part !== level.literal) return undefined;
      if (level.name) captured[level.name] = part;
    }
    return parts.length === this.levels.length ? captured : undefined;
  }

  /**
   * The readings of one matched publish, from `clientId`. Each value is checked as the
   * contract's are (finite, within limits, a sane time); a bad one costs only itself.
   */
  decode(topic: Record<string, string>, payload: Buffer, clientId: string, receivedAtMs: number, limits: DecodeLimits): MappedOutcome {
    let body: unknown;
    if (this.spec.payload === 'number') {
      const text = payload
        .toString('utf8')
        .trim()
        .replace(/^"(.*)"$/, '$1');
      body = text !== '' && Number.isFinite(Number(text)) ? Number(text) : text;
    } else {
      const json = parseJson(payload);
      if (!json.ok) return { kind: 'decoded', decoded: { readings: [], problems: [`mapping ${this.spec.name}: ${json.reason}`] } };
      body = json.value;
    }
    if (this.whenPath && valueAt(body, this.whenPath) !== this.spec.when?.equals) return { kind: 'ignored' };
    const deviceId = this.deviceIdPath ? valueAt(body, this.deviceIdPath) : fill(this.spec.deviceId, topic);
    if (typeof deviceId !== 'string' || !deviceIdPattern.test(deviceId))
      return {
        kind: 'refused',
        reason: `mapping ${this.spec.name}: device id was ${show(deviceId)}, expected 1-64 letters, digits, _ . : -`,
      };
    if (deviceId !== clientId && !this.clients.has(clientId))
      return {
        kind: 'refused',
        reason: `mapping ${this.spec.name}: ${clientId} may not publish for ${deviceId} (list it in the mapping's clients to let a bridge do so)`,
      };
    const collector = new ReadingCollector(deviceId, receivedAtMs, limits);
    const ts = this.timestampOf(body, receivedAtMs, collector);
    if (ts === null) return { kind: 'decoded', decoded: { readings: [], problems: collector.problems } };
    const where = `mapping ${this.spec.name}`;
    if (this.valuePaths) {
      for (const value of this.valuePaths) {
        const raw = valueAt(body, value.path);
        if (raw === undefined) continue; // a device sends only some of its values each time
        const number = readingValue(raw);
        collector.add(where, fill(value.metric, topic), number === undefined ? raw : number * value.scale + value.offset, ts);
      }
    } else {
      for (const [name, number] of numericLeaves(valueAt(body, this.rootPath))) {
        if (this.exclude?.test(name) || (this.timestampPath && name === this.timestampLeafName())) continue;
        const metric = `${this.spec.metricPrefix ?? ''}${name}`;
        if (metricNamePattern.test(metric)) collector.add(where, metric, number, ts);
      }
    }
    if (collector.readings.length + collector.problems.length === 0) collector.problems.push(`${where}: the payload holds no readings`);
    return { kind: 'decoded', decoded: { readings: collector.readings, problems: collector.problems } };
  }

  /** The timestamp leaf's name under root (left out of auto values: a time is not a reading). */
  private timestampLeafName(): string | undefined {
    const path = this.timestampPath as JsonPath;
    const root = this.rootPath;
    if (path.length <= root.length || root.some((step, i) => path[i] !== step)) return undefined;
    return path.slice(root.length).join('.');
  }

  /** The reading time in epoch ms; undefined for arrival; null when the payload's time is unreadable (a problem is said). */
  private timestampOf(body: unknown, receivedAtMs: number, collector: ReadingCollector): number | undefined | null {
    const spec = this.spec.timestamp;
    if (!spec || !this.timestampPath) return undefined;
    const raw = valueAt(body, this.timestampPath);
    if (raw === undefined) return undefined;
    const where = `mapping ${this.spec.name}: ${spec.path}`;
    if (spec.unit === 'iso') {
      if (typeof raw !== 'string' || Number.isNaN(Date.parse(raw))) {
        collector.problems.push(`${where} was ${show(raw)}, expected an ISO-8601 time`);
        return null;
      }
      const hasOffset = /(Z|[+-]\d{2}:?\d{2})$/.test(raw);
      if (!hasOffset && spec.withoutOffset === 'arrival') return undefined;
      return Date.parse(hasOffset ? raw : `${raw}Z`);
    }
    if (typeof raw !== 'number' || !Number.isFinite(raw)) {
      collector.problems.push(`${where} was ${show(raw)}, expected epoch ${spec.unit === 's' ? 'seconds' : 'milliseconds'}`);
      return null;
    }
    const ms = spec.unit === 's' ? raw * 1000 : raw;
    // Seconds read as milliseconds would be 1970: say so rather than store readings 56 years old.
    if (ms < Date.UTC(2000, 0, 1) && receivedAtMs > Date.UTC(2000, 0, 1)) {
      collector.problems.push(
        `${where} was ${raw}, a time before 2000 in ${spec.unit === 's' ? 'seconds' : 'milliseconds'}: is the unit right?`,
      );
      return null;
    }
    return ms;
  }
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function fill(text: string, captured: Record<string, string>): string {
  return text.replace(template, (_, name: string) => captured[name] ?? '');
}

/** The gateway's mappings, tried in order; the first whose topic matches decodes the publish. */
export class PayloadMappings {
  readonly mappings: readonly CompiledMapping[];

  constructor(specs: readonly MappingSpec[]) {
    this.mappings = specs.map((spec) => new CompiledMapping(spec));
  }

  /** The mapping for a topic, with its named levels, or undefined (the publish is then dead-lettered as unmapped). */
  find(topic: string): { mapping: CompiledMapping; captured: Record<string, string> } | undefined {
    for (const mapping of this.mappings) {
      const captured = mapping.match(topic);
      if (captured) return { mapping, captured };
    }
    return undefined;
  }
}
