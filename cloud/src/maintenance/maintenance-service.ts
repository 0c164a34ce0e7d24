import { EventEmitter } from 'node:events';
import type { RddContext } from '@fogline/shared';
import type { Logger } from 'pino';
import type { CloudStore } from '../store/cloud-store.js';
import { evaluateAgainstTruth, hiddenWearScorer, oracleThreshold, type TruthRecord } from './evaluate-against-truth.js';
import type { ModelEvaluation } from './evaluation-table.js';
import type { DeviceHistory } from './hourly-history.js';
import { heldOutRows, type MaintenanceModel, scoreDevices, trainMaintenanceModel } from './maintenance-model.js';

/** One device's place in the risk ranking. */
export interface DeviceRisk {
  readonly deviceId: string;
  readonly kind: string;
  /** Probability of a failure within 24 h. */
  readonly risk: number;
  /** At or above the model's alert threshold. */
  readonly alert: boolean;
  /** The hour the score is for (its start). */
  readonly hourMs: number;
  /** The features that push the risk up most, by how much they moved its log-odds. */
  readonly drivers: { readonly feature: string; readonly contribution: number; readonly value: number }[];
}

/** How many devices the last scoring pass ranked, and how many are above their model's threshold. */
export interface RiskSummary {
  readonly scoredAtMs: number;
  readonly devicesScored: number;
  readonly devicesAlerting: number;
}

export interface TrainResult {
  readonly trained: MaintenanceModel[];
  readonly skipped: { kind: string; reason: string }[];
}

/** The kind of device a model is for: its model label, as the gateway's registry says. */
const kindOf = (labels: Record<string, string> | undefined) => labels?.model ?? 'unlabelled';

/**
 * Predictive maintenance in the cloud: trains a model per kind of device on the whole fleet's
 * hour rollups (on a node-cron schedule, or on request), and scores every device from its
 * latest hours on a shorter schedule, so the ranking follows new windows as they are merged.
 * One training at a time; the ranking is replaced whole, so readers never see half of it.
 */
export class MaintenanceService {
  /** The training under way: a second request joins it rather than starting another. */
  private training: Promise<TrainResult> | undefined;
  private ranking: DeviceRisk[] = [];
  private scoredAtMs = 0;
  /** 'scored' after each scoring pass, once the new ranking is in place. */
  readonly events = new EventEmitter<{ scored: [RiskSummary] }>();

  constructor(
    private readonly store: CloudStore,
    private readonly rdd: RddContext,
    private readonly logger: Logger,
    /** Train on the last this many days only; undefined: the whole history. */
    private readonly trainingWindowDays?: number,
  ) {}

  /** Every device's hour history, by kind, with the site labels the features compare devices within. */
  private async historiesByKind(): Promise<{ byKind: Map<string, Map<string, DeviceHistory>>; sites: Map<string, string> }> {
    const [histories, registry] = await Promise.all([this.store.series.hourHistories(), this.store.registry.devices()]);
    const byKind = new Map<string, Map<string, DeviceHistory>>();
    const sites = new Map<string, string>();
    for (const [deviceId, history] of histories) {
      const labels = registry.get(deviceId)?.labels;
      const kind = kindOf(labels);
      const group = byKind.get(kind) ?? new Map<string, DeviceHistory>();
      group.set(deviceId, history);
      byKind.set(kind, group);
      if (labels?.site) sites.set(deviceId, labels.site);
    }
    return { byKind, sites };
  }

  /** Trains every kind with enough failures in its history; says why for the others. */
  train(): Promise<TrainResult> {
    if (this.training) return this.training;
    const run = (async (): Promise<TrainResult> => {
      const trained: MaintenanceModel[] = [];
      const skipped: { kind: string; reason: string }[] = [];
      const { byKind, sites } = await this.historiesByKind();
      for (const [kind, devices] of byKind) {
        try {
          const nowMs = Date.now();
          const sinceMs = this.trainingWindowDays === undefined ? undefined : nowMs - this.trainingWindowDays * 86_400_000;
          const model = await trainMaintenanceModel(this.rdd, kind, devices, { nowMs, sinceMs, sites });
          await this.store.models.put(kind, model);
          trained.push(model);
          this.logger.info(
            { kind, learner: model.model.learner, auc: model.validation.rocAuc, examples: model.data.examples },
            'maintenance model trained',
          );
        } catch (error) {
          skipped.push({ kind, reason: (error as Error).message });
        }
      }
      await this.score();
      return { trained, skipped };
    })();
    this.training = run.finally(() => {
      this.training = undefined;
    });
    return run;
  }

  /** Scores every device of every kind that has a model, from its latest hour. */
  async score(): Promise<void> {
    const models = new Map((await this.store.models.list<MaintenanceModel>()).map((m) => [m.kind, m]));
    if (models.size === 0) return;
    const ranking: DeviceRisk[] = [];
    const { byKind, sites } = await this.historiesByKind();
    for (const [kind, devices] of byKind) {
      const model = models.get(kind);
      if (!model) continue;
      // A model stored before the current features scores nothing: the next training replaces it.
      for (const [deviceId, scored] of await scoreDevices(this.rdd, model, devices, sites)) {
        const drivers = model.featureNames
          .map((feature) => ({ feature, value: scored.features[feature], contribution: scored.contributions[feature] }))
          .sort((a, b) => b.contribution - a.contribution)
          .slice(0, 3);
        ranking.push({
          deviceId,
          kind,
          risk: scored.risk,
          alert: scored.risk >= model.validation.threshold,
          hourMs: scored.hourMs,
          drivers,
        });
      }
    }
    this.ranking = ranking.sort((a, b) => b.risk - a.risk || (a.deviceId < b.deviceId ? -1 : 1));
    this.scoredAtMs = Date.now();
    // Stored whole, so every node of a cluster (and this one after a restart) serves the same ranking.
    await this.store.models.putRanking({ scoredAtMs: this.scoredAtMs, devices: this.ranking });
    this.events.emit('scored', this.summary());
  }

  /** Takes up the ranking the scoring node stored last (at start, and when another node has scored). */
  async loadRanking(): Promise<void> {
    const stored = await this.store.models.ranking<DeviceRisk>();
    if (!stored || stored.scoredAtMs <= this.scoredAtMs) return;
    this.ranking = stored.devices;
    this.scoredAtMs = stored.scoredAtMs;
  }

  summary(): RiskSummary {
    return {
      scoredAtMs: this.scoredAtMs,
      devicesScored: this.ranking.length,
      devicesAlerting: this.ranking.reduce((n, r) => n + (r.alert ? 1 : 0), 0),
    };
  }

  risk(limit: number): { scoredAtMs: number; devices: DeviceRisk[] } {
    return { scoredAtMs: this.scoredAtMs, devices: this.ranking.slice(0, limit) };
  }

  deviceRisk(deviceId: string): DeviceRisk | undefined {
    return this.ranking.find((r) => r.deviceId === deviceId);
  }

  /**
   * Scores each stored model against the simulator's ground truth, on the devices it held out
   * of training (so none of them taught it): the yardstick for a simulated fleet.
   */
  async evaluate(truth: readonly TruthRecord[]): Promise<ModelEvaluation[]> {
    const [models, { byKind, sites }] = await Promise.all([this.models(), this.historiesByKind()]);
    const results: ModelEvaluation[] = [];
    // A simulator's truth with the hidden wear in it: the oracle that reads it shows the ceiling.
    const oracle = truth.some((t) => t.event === 'health') ? hiddenWearScorer(truth) : undefined;
    for (const model of models) {
      const rows = await heldOutRows(this.rdd, model, byKind.get(model.kind) ?? new Map(), sites);
      results.push({
        kind: model.kind,
        trainedAtMs: model.trainedAtMs,
        heldOut: evaluateAgainstTruth(model, rows, truth),
        ...(oracle ? { oracle: evaluateAgainstTruth(model, rows, truth, oracle, oracleThreshold) } : {}),
      });
    }
    return results;
  }

  models(): Promise<MaintenanceModel[]> {
    return this.store.models.list<MaintenanceModel>();
  }
}
