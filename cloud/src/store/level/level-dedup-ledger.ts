import { type Sublevel, sortableKey } from '@fogline/shared';
import { Packr } from 'msgpackr';
import { nothingSeen, type SeenSeqs, withSeen } from '../../intake/seen-seqs.js';

const packr = new Packr({ useRecords: false });

type PutOperation = { type: 'put'; sublevel: Sublevel; key: string; value: Uint8Array };

/**
 * What the cloud has merged, per (gateway, incarnation): one small record of seen seqs each
 * (see seen-seqs.ts), read and rewritten in the same batch as the merge it records. Partitions
 * and alerts share a gateway's seq space, so they share the record.
 */
export class LevelDedupLedger {
  constructor(readonly sublevel: Sublevel) {}

  private static key(gatewayId: string, incarnation: string): string {
    return `${gatewayId}/${incarnation}`;
  }

  async read(gatewayId: string, incarnation: string): Promise<SeenSeqs | undefined> {
    const bytes = await this.sublevel.get(LevelDedupLedger.key(gatewayId, incarnation));
    if (!bytes) return undefined;
    const [mark, above] = packr.unpack(bytes) as [number, number[]];
    return { mark, above };
  }

  operation(gatewayId: string, incarnation: string, seen: SeenSeqs): PutOperation {
    return {
      type: 'put',
      sublevel: this.sublevel,
      key: LevelDedupLedger.key(gatewayId, incarnation),
      value: packr.pack([seen.mark, seen.above]),
    };
  }

  /**
   * A store from before incarnations kept one key per merged seq, forever ("gw/000..seq" and
   * "gw/alert/000..seq"). Folds them into the incarnation '' (what format-1 envelopes read
   * as), then deletes them.
   */
  async migrateLegacy(legacy: Sublevel): Promise<number> {
    const seqsByGateway = new Map<string, number[]>();
    let keys = 0;
    for await (const key of legacy.keys()) {
      const gatewayId = key.slice(0, key.indexOf('/'));
      const seq = Number(key.slice(key.lastIndexOf('/') + 1));
      if (!seqsByGateway.has(gatewayId)) seqsByGateway.set(gatewayId, []);
      seqsByGateway.get(gatewayId)?.push(seq);
      keys++;
    }
    if (keys === 0) return 0;
    const operations: PutOperation[] = [];
    for (const [gatewayId, seqs] of seqsByGateway) {
      let seen = (await this.read(gatewayId, '')) ?? nothingSeen(0);
      for (const seq of seqs.sort((a, b) => a - b)) seen = withSeen(seen, seq, Number.POSITIVE_INFINITY).seen;
      operations.push(this.operation(gatewayId, '', seen));
    }
    await this.sublevel.batch(operations.map(({ key, value }) => ({ type: 'put' as const, key, value })) as never);
    await legacy.clear();
    return keys;
  }
}

/** For tests: the legacy key of a merged seq. */
export const legacySeenKey = (gatewayId: string, seq: number) => `${gatewayId}/${sortableKey(seq)}`;
