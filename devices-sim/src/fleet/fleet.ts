import type { DeliveryOptions } from '../device/delivery-options.js';
import type { Emission } from '../device/emission.js';
import { type DeviceIdentity, SimulatedDevice } from '../device/simulated-device.js';
import type { Profile } from '../profiles/profile-schema.js';
import { DeviceHeap } from './device-heap.js';

/** How many devices of which profile: `atm=300,motor=50`. */
export interface FleetGroup {
  readonly profile: string;
  readonly count: number;
}

export interface FleetSpec {
  readonly seed: number;
  /** Simulated time of the first reading, epoch ms. */
  readonly startMs: number;
  /** Simulated time at which devices stop (exclusive); Infinity runs until stopped. */
  readonly endMs: number;
  readonly groups: readonly FleetGroup[];
  /** Put before every device id, so two fleets can share a cloud: `site1-` gives `site1-atm-0001`. */
  readonly idPrefix: string;
  /** Labels every device carries (site, ...), besides profile and model. */
  readonly labels: Readonly<Record<string, string>>;
  readonly delivery: DeliveryOptions;
}

/** `atm=300,motor=50` into groups; every problem names the part and what was expected. */
export function parseFleetGroups(text: string, profiles: ReadonlyMap<string, Profile>): FleetGroup[] {
  return text.split(',').map((part) => {
    const [profile, countText, ...rest] = part.trim().split('=');
    const count = Number(countText);
    if (!profile || rest.length > 0 || !Number.isInteger(count) || count < 1)
      throw new RangeError(`--fleet part ${JSON.stringify(part)} is not <profile>=<count> with a count of 1 or more`);
    if (!profiles.has(profile))
      throw new RangeError(`--fleet profile ${JSON.stringify(profile)} is not known; expected one of ${[...profiles.keys()].join(', ')}`);
    return { profile, count };
  });
}

/** Every device's identity, in fleet order: ids like atm-0001, numbered within their profile. */
export function fleetIdentities(spec: FleetSpec, profiles: ReadonlyMap<string, Profile>): DeviceIdentity[] {
  const identities: DeviceIdentity[] = [];
  const numbered = new Map<string, number>();
  for (const { profile: name, count } of spec.groups) {
    const profile = profiles.get(name);
    if (!profile) throw new RangeError(`profile ${JSON.stringify(name)} is not known`);
    const total = spec.groups.filter((group) => group.profile === name).reduce((sum, group) => sum + group.count, 0);
    const width = Math.max(4, String(total).length);
    for (let i = 0; i < count; i++) {
      const number = (numbered.get(name) ?? 0) + 1;
      numbered.set(name, number);
      // A field profile spreads its devices over sites: each carries its site's label unless the fleet names one.
      const sites = profile.field?.sites ?? 1;
      const site: Record<string, string> =
        sites > 1 && spec.labels.site === undefined ? { site: `site-${String(((number - 1) % sites) + 1).padStart(2, '0')}` } : {};
      identities.push({
        index: identities.length,
        number,
        id: `${spec.idPrefix}${name}-${String(number).padStart(width, '0')}`,
        profile,
        labels: { ...spec.labels, ...site, profile: name, model: profile.model },
      });
    }
  }
  return identities;
}

/**
 * The whole fleet as one stream of emissions in simulated-time order (ties by device index),
 * generated lazily: a heap keyed by each device's next send time, so memory stays at the
 * devices' own state however long the run.
 */
export class Fleet {
  readonly devices: readonly SimulatedDevice[];
  private readonly heap: DeviceHeap;

  constructor(
    readonly spec: FleetSpec,
    profiles: ReadonlyMap<string, Profile>,
  ) {
    this.devices = fleetIdentities(spec, profiles).map(
      (identity) => new SimulatedDevice(identity, spec.seed, spec.startMs, spec.endMs, spec.delivery),
    );
    this.heap = new DeviceHeap(this.devices.length);
    for (const device of this.devices) {
      const atMs = device.peekMs();
      if (atMs !== Number.POSITIVE_INFINITY) this.heap.push(device.identity.index, atMs);
    }
  }

  /** The simulated time of the next emission; Infinity when every device is done. */
  peekMs(): number {
    return this.heap.peek()?.atMs ?? Number.POSITIVE_INFINITY;
  }

  /** The next emission due at or before untilMs, or undefined. */
  next(untilMs = Number.POSITIVE_INFINITY): Emission | undefined {
    const top = this.heap.peek();
    if (!top || top.atMs > untilMs) return undefined;
    const device = this.devices[top.index];
    const emission = device.take();
    this.heap.updateTop(device.peekMs());
    return emission;
  }

  /** A device's next send time changed outside the stream (a command): its place is found again. */
  reschedule(device: SimulatedDevice): void {
    this.heap.rekey(device.identity.index, device.peekMs());
  }

  get finished(): boolean {
    return this.heap.size === 0;
  }
}
