/** What `fogline-sim stack` (and `npm start`) runs; every field has a flag. */
export interface StackOptions {
  /** Everything the stack keeps: configs, secrets, the cloud's and gateways' stores, logs. */
  readonly dataDir: string;
  /** Where every listener binds: 127.0.0.1 keeps the stack to this machine; 0.0.0.0 lets real devices in. */
  readonly host: string;
  readonly httpPort: number;
  readonly cloudBrokerPort: number;
  /** One gateway per site, each with its MQTT port. */
  readonly sites: readonly string[];
  readonly gatewayPorts: readonly number[];
  /**
   * The MQTT port of the lab gateway, which has no simulated fleet: it is for real devices. A
   * gateway's watermark follows the newest reading it has seen, so a reading stamped now on a
   * gateway that is replaying last month would make the rest of that replay late.
   */
  readonly labPort: number;
  readonly atmsPerSite: number;
  /** How much history the fleet replays on the first run, ending now. */
  readonly historyMs: number;
  /** How fast the history is replayed: simulated seconds per real second. */
  readonly speed: number;
  readonly intervalMs: number;
  readonly seed: number;
  /** After the history: keep the fleet publishing in real time until Ctrl-C. */
  readonly live: boolean;
  readonly quiet: boolean;
  /** The cloud as a cluster: this many fogline-cloud workers (1: one process). */
  readonly cloudWorkers: number;
  /** A PostgreSQL the workers share (postgres://...); unset: the cloud's embedded level store. */
  readonly storeUrl?: string;
  /** An external MQTT broker (Mosquitto, EMQX, ...) between gateways and cloud; unset: the cloud's embedded broker. */
  readonly brokerUrl?: string;
}

export const stackDefaults = {
  dataDir: './data/stack',
  host: '127.0.0.1',
  httpPort: 8080,
  cloudBrokerPort: 1884,
  // 1883 is left to a Mosquitto the machine may already run.
  gatewayPorts: [1885, 1886],
  labPort: 1887,
  sites: ['lisbon', 'porto'],
  labSite: 'lab',
  atmsPerSite: 150,
  historyMs: 30 * 24 * 3_600_000,
  speed: 1440,
  intervalMs: 5 * 60_000,
  seed: 1,
} as const;
