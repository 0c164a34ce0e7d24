import { createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * scrypt cost for new entries. Secrets are 24 random bytes, so a slow hash adds
 * nothing against guessing them; the cost protects a leaked file's secrets a little and must
 * not turn a reconnect storm of 10,000 devices into minutes of CPU. Stored per entry, so it
 * can be raised without invalidating existing devices.
 */
export const scryptCostDefault = 2 ** 12;
const keyLengthBytes = 32;
/**
 * scrypt checks run at once, at most; more wait their turn. libuv's thread pool (4 threads)
 * also carries the stores' writes: a storm of logins must not take all of it.
 */
export const scryptConcurrencyMax = 2;
let scryptRunning = 0;
const scryptWaiting: (() => void)[] = [];

interface StoredDevice {
  readonly salt: string;
  readonly hash: string;
  readonly cost: number;
  readonly createdAt: string;
  readonly labels: Readonly<Record<string, string>>;
}

interface CredentialsFile {
  readonly version: 1;
  readonly devices: Record<string, StoredDevice>;
}

/** An imported secret is at least this long: shorter ones are guessable over the network. */
export const secretCharsMin = 16;

function secretProblem(secret: string): string | undefined {
  if (secret.length < secretCharsMin || /\s/.test(secret))
    return `the secret was ${secret.length} characters${/\s/.test(secret) ? ' with white space' : ''}, expected at least ${secretCharsMin} without white space`;
  return undefined;
}

export const credentialIdPattern = /^[A-Za-z0-9_.:-]{1,64}$/;

function scryptAsync(secret: string, salt: Buffer, cost: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(secret, salt, keyLengthBytes, { N: cost, r: 8, p: 1, maxmem: 256 * cost * 8 + 1024 * 1024 }, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

/** scryptAsync for login checks, at most scryptConcurrencyMax at once (bulk provisioning is not limited). */
async function scryptForLogin(secret: string, salt: Buffer, cost: number): Promise<Buffer> {
  if (scryptRunning >= scryptConcurrencyMax) await new Promise<void>((resolve) => scryptWaiting.push(resolve));
  scryptRunning++;
  try {
    return await scryptAsync(secret, salt, cost);
  } finally {
    scryptRunning--;
    scryptWaiting.shift()?.();
  }
}

/**
 * Credentials in a JSON file (a gateway's devices, a cloud's gateways): salt, scrypt hash and
 * labels per id; never the secret itself. A successful check is remembered (as an HMAC of the secret under a key
 * that lives only in this process), so reconnects skip scrypt; the memo holds one entry per
 * known device at most.
 */
export class CredentialStore {
  private file: CredentialsFile;
  private fileMtimeMs = 0;
  private readonly verified = new Map<string, Buffer>();
  private readonly memoKey = randomBytes(32);

  constructor(readonly path: string) {
    this.file = CredentialStore.read(path);
    this.fileMtimeMs = CredentialStore.mtimeMs(path);
  }

  private static mtimeMs(path: string): number {
    return existsSync(path) ? statSync(path).mtimeMs : 0;
  }

  private static read(path: string): CredentialsFile {
    if (!existsSync(path)) return { version: 1, devices: {} };
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as CredentialsFile;
    if (parsed?.version !== 1 || typeof parsed.devices !== 'object') {
      throw new Error(`credentials file ${path}: version was ${JSON.stringify(parsed?.version)}, expected 1`);
    }
    return parsed;
  }

  /**
   * Re-reads the file, as after `fogline-gateway devices add` or `remove` in another process.
   * Returns the ids that are gone and those whose secret changed: their live connections
   * must be closed. A file that cannot be read keeps the credentials as they were (throws).
   */
  reload(): { removed: string[]; changed: string[] } {
    const before = this.file.devices;
    this.file = CredentialStore.read(this.path);
    this.fileMtimeMs = CredentialStore.mtimeMs(this.path);
    this.verified.clear();
    const removed: string[] = [];
    const changed: string[] = [];
    for (const [id, old] of Object.entries(before)) {
      const now = this.file.devices[id];
      if (!now) removed.push(id);
      else if (now.hash !== old.hash || now.salt !== old.salt) changed.push(id);
    }
    for (const id of [...removed, ...changed]) this.revokedPending.add(id);
    return { removed, changed };
  }

  private readonly revokedPending = new Set<string>();

  /**
   * The ids removed or given a new secret by every reload since the last call: a login may
   * have reloaded the file before the watcher did, and the watcher must still close their
   * connections.
   */
  takeRevoked(): string[] {
    const ids = [...this.revokedPending];
    this.revokedPending.clear();
    return ids;
  }

  /** A reload at login: a file being rewritten that cannot be read yet keeps the credentials as they were. */
  private reloadQuietly(): void {
    try {
      this.reload();
    } catch {
      // the watcher reloads it once it settles, and reports an error that lasts
    }
  }

  /** Why an id cannot be created, or undefined when it can. */
  private problemWith(deviceId: string): string | undefined {
    if (!credentialIdPattern.test(deviceId)) return `id was ${JSON.stringify(deviceId)}, expected 1-64 letters, digits, _ . : -`;
    if (this.file.devices[deviceId]) return `${deviceId} already exists; remove it first to issue a new secret`;
    return undefined;
  }

  /**
   * A new secret (or the one given, for an existing device being imported) and the entry that
   * stores it hashed.
   */
  private static async issue(
    labels: Record<string, string>,
    cost: number,
    createdAt: string,
    secret = randomBytes(24).toString('base64url'),
  ): Promise<[string, StoredDevice]> {
    const salt = randomBytes(16);
    const hash = await scryptAsync(secret, salt, cost);
    return [secret, { salt: salt.toString('base64'), hash: hash.toString('base64'), cost, createdAt, labels }];
  }

  /**
   * Creates an id and returns its secret, shown once and stored only hashed: a generated one, or
   * `secret` when an existing device's secret is imported (at least secretCharsMin characters).
   */
  async add(deviceId: string, labels: Record<string, string> = {}, cost = scryptCostDefault, secret?: string): Promise<string> {
    const problem = this.problemWith(deviceId) ?? (secret === undefined ? undefined : secretProblem(secret));
    if (problem) throw new Error(problem);
    const [issued, stored] = await CredentialStore.issue(labels, cost, new Date().toISOString(), secret);
    this.file.devices[deviceId] = stored;
    this.saveNow();
    return issued;
  }

  /**
   * Gives an id a new secret (generated, or the one given) and returns it; the old one stops
   * working at once, and a running server closes the id's connections when it sees the file change.
   */
  async rotate(deviceId: string, secret?: string, cost = scryptCostDefault): Promise<string> {
    const existing = this.file.devices[deviceId];
    if (!existing) throw new Error(`no ${deviceId}; add it first`);
    const problem = secret === undefined ? undefined : secretProblem(secret);
    if (problem) throw new Error(problem);
    const [issued, stored] = await CredentialStore.issue(existing.labels, cost, existing.createdAt, secret);
    this.file.devices[deviceId] = stored;
    this.verified.delete(deviceId);
    this.saveNow();
    return issued;
  }

  /** Sets and removes labels of an id (its secret stays); returns the labels it has now. */
  relabel(deviceId: string, set: Readonly<Record<string, string>>, remove: readonly string[] = []): Readonly<Record<string, string>> {
    const existing = this.file.devices[deviceId];
    if (!existing) throw new Error(`no ${deviceId}; add it first`);
    const labels: Record<string, string> = { ...existing.labels, ...set };
    for (const key of remove) delete labels[key];
    this.file.devices[deviceId] = { ...existing, labels };
    this.saveNow();
    return labels;
  }

  /**
   * Creates many ids at once (bulk provisioning) and returns their secrets in the same order.
   * Checks every id before creating any, hashes in parallel on libuv's thread pool, and writes
   * the file once: adding 10,000 devices one by one would rewrite it 10,000 times.
   */
  async addMany(
    entries: readonly { readonly deviceId: string; readonly labels?: Record<string, string> }[],
    cost = scryptCostDefault,
  ): Promise<string[]> {
    const problems: string[] = [];
    const seen = new Set<string>();
    for (const [i, { deviceId }] of entries.entries()) {
      const problem = this.problemWith(deviceId) ?? (seen.has(deviceId) ? `${deviceId} appears twice` : undefined);
      if (problem) problems.push(`entry ${i}: ${problem}`);
      seen.add(deviceId);
    }
    if (problems.length > 0)
      throw new Error(
        `no device added: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? `; and ${problems.length - 5} more` : ''}`,
      );
    const issued: [string, StoredDevice][] = new Array(entries.length);
    const createdAt = new Date().toISOString();
    const workers = 8; // a few more than libuv's 4 threads keeps them busy
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(workers, entries.length) }, async () => {
        while (next < entries.length) {
          const i = next++;
          issued[i] = await CredentialStore.issue(entries[i].labels ?? {}, cost, createdAt);
        }
      }),
    );
    for (const [i, { deviceId }] of entries.entries()) this.file.devices[deviceId] = issued[i][1];
    this.saveNow();
    return issued.map(([secret]) => secret);
  }

  /** Removes an id; returns false if it did not exist. */
  remove(deviceId: string): boolean {
    if (!this.file.devices[deviceId]) return false;
    delete this.file.devices[deviceId];
    this.verified.delete(deviceId);
    this.saveNow();
    return true;
  }

  list(): { deviceId: string; createdAt: string; labels: Readonly<Record<string, string>> }[] {
    return Object.entries(this.file.devices)
      .map(([deviceId, d]) => ({ deviceId, createdAt: d.createdAt, labels: d.labels }))
      .sort((a, b) => a.deviceId.localeCompare(b.deviceId));
  }

  labels(deviceId: string): Readonly<Record<string, string>> | undefined {
    return this.file.devices[deviceId]?.labels;
  }

  get size(): number {
    return Object.keys(this.file.devices).length;
  }

  /** True when the secret matches the stored hash; timing-safe. */
  async verify(deviceId: string, secret: string): Promise<boolean> {
    // The file is checked at every login (one stat; the memo still saves the scrypt): a secret
    // rotated or removed by the CLI a moment ago must not let the old one in while the watcher
    // waits for the file to settle.
    if (CredentialStore.mtimeMs(this.path) !== this.fileMtimeMs) this.reloadQuietly();
    const stored = this.file.devices[deviceId];
    if (!stored) return false;
    const memo = createHmac('sha256', this.memoKey).update(deviceId).update('\0').update(secret).digest();
    const remembered = this.verified.get(deviceId);
    if (remembered && timingSafeEqual(remembered, memo)) return true;
    const expected = Buffer.from(stored.hash, 'base64');
    const actual = await scryptForLogin(secret, Buffer.from(stored.salt, 'base64'), stored.cost);
    const ok = actual.length === expected.length && timingSafeEqual(actual, expected);
    if (ok) this.verified.set(deviceId, memo);
    return ok;
  }

  /** Writes the file and remembers its mtime, so this process does not take its own write for another's. */
  private saveNow(): void {
    this.save();
    this.fileMtimeMs = CredentialStore.mtimeMs(this.path);
  }

  private save(): void {
    mkdirSync(dirname(this.path), { recursive: true });
    const temporary = `${this.path}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(this.file, null, 2)}\n`, { mode: 0o600 });
    renameSync(temporary, this.path); // atomic: a crash never leaves half a file
  }
}
