import { DStream, KeyMap, type RDD } from './internal.js';

/** A key's state inside mapWithState and updateStateByKey. */
export interface KeyState<S> {
  readonly state: S | undefined;
  exists(): boolean;
  update(state: S): void;
  remove(): void;
  isTimingOut(): boolean;
}

/**
 * A state per key across batches: updateStateByKey and mapWithState. The states are in the
 * StreamingContext's checkpoint, so a restored stream goes on from them.
 */
export class StateDStream<K, V, S, U> extends DStream<U> {
  private readonly states = new KeyMap<K, { state: S; lastUpdateMs: number }>();

  constructor(
    private readonly parent: DStream<readonly [K, V]>,
    private readonly stateKeysMax: number,
    private readonly step: (key: K, values: V[], holder: KeyState<S>) => U[],
    private readonly timeout?: { timeoutMs: number; onTimeout: (key: K, holder: KeyState<S>) => U | undefined },
  ) {
    super(parent.ssc, [parent as DStream<unknown>]);
  }

  protected async compute(timeMs: number): Promise<RDD<U>> {
    const rdd = await this.parent.getOrCompute(timeMs);
    const grouped = rdd ? await rdd.groupByKey().collect() : [];
    const out: U[] = [];
    const touched = new KeyMap<K, true>();
    for (const [key, values] of grouped) {
      touched.set(key, true);
      out.push(...this.step(key, values, this.holder(key, timeMs, false)));
    }
    if (this.timeout) {
      const expired: K[] = [];
      this.states.forEach((entry, key) => {
        if (!touched.has(key) && timeMs - entry.lastUpdateMs >= (this.timeout?.timeoutMs ?? Infinity)) expired.push(key);
      });
      for (const key of expired) {
        const result = this.timeout.onTimeout(key, this.holder(key, timeMs, true));
        this.states.delete(key);
        if (result !== undefined) out.push(result);
      }
    }
    if (this.states.size > this.stateKeysMax) {
      throw new RangeError(`state holds ${this.states.size} keys, over stateKeysMax ${this.stateKeysMax}`);
    }
    return this.ssc.rddContext.parallelize(out);
  }

  private holder(key: K, timeMs: number, timingOut: boolean): KeyState<S> {
    const states = this.states;
    return {
      get state() {
        return states.get(key)?.state;
      },
      exists: () => states.has(key),
      update: (state: S) => {
        if (timingOut) throw new Error('mapWithState: cannot update the state of a key that is timing out');
        states.set(key, { state, lastUpdateMs: timeMs });
      },
      remove: () => {
        states.delete(key);
      },
      isTimingOut: () => timingOut,
    };
  }

  override checkpointState(): unknown {
    return this.states.toPairs();
  }

  override restoreState(saved: unknown): void {
    const old: K[] = [];
    this.states.forEach((_, key) => {
      old.push(key);
    });
    for (const key of old) this.states.delete(key);
    for (const [key, entry] of (saved as [K, { state: S; lastUpdateMs: number }][] | undefined) ?? []) this.states.set(key, entry);
  }
}
