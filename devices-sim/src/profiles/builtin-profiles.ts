import type { ProfileInput } from './profile-schema.js';

/**
 * The profiles every fogline-sim knows. Levels are plausible rather than measured: an ATM's
 * dispenser motor draws about an amp, its cabinet sits a few degrees above the room; an
 * industrial motor's bearing runs at 50-60 degC with vibration of a few mm/s RMS (ISO 10816
 * class II "good"). Each failure mode drifts the signals a maintenance engineer would watch.
 */
const atmEvents: ProfileInput['events'] = {
  'door-open': { perHour: 0.05, daily: 0.5, peakHour: 10 },
  'dispenser-jam': { perHour: 0.01, attrs: { code: 'E-DJ' } },
};

/** How an ATM fails, classic or in the field: what drifts on the way there. */
const atmFailureModes: NonNullable<ProfileInput['failure']>['modes'] = {
  dispenser: {
    weight: 3,
    drift: { dispenserVibration: 1.8, dispenserCurrent: 0.45 },
    events: { 'dispenser-jam': 1.5 },
  },
  'card-reader': { weight: 1, drift: { cardReaderErrors: 6 } },
  cooling: { weight: 1, drift: { cabinetTemperature: 9, dispenserCurrent: 0.15 } },
};

export const builtinProfiles: Readonly<Record<string, ProfileInput>> = {
  atm: {
    model: 'ATM-9000',
    metrics: {
      cashDispensed: { kind: 'count', perHour: 9, scale: 80, daily: 0.8, peakHour: 13, decimals: 0 },
      cardReaderErrors: { kind: 'count', perHour: 0.2, decimals: 0 },
      cabinetTemperature: { mean: 27, noise: 0.4, daily: 2, peakHour: 15, decimals: 2 },
      dispenserCurrent: { mean: 1.2, noise: 0.06, min: 0, decimals: 3 },
      dispenserVibration: { mean: 0.9, noise: 0.12, min: 0, decimals: 3 },
    },
    events: atmEvents,
    failure: {
      mtbfDays: 30,
      degradationHours: [24, 72],
      repairHours: [2, 8],
      shape: 2,
      modes: atmFailureModes,
    },
  },
  /**
   * The same ATMs as a real fleet shows them: devices and sites that differ all their lives,
   * signals that follow usage, the daily cycle and the site's weather, wear in jumps with
   * symptoms that come and go and show in some metrics only, routine visits that fix parts
   * before they fail, and 15% of failures with no warning. The `atm` profile stays the classic
   * textbook fleet, so figures measured on it stay comparable.
   */
  'atm-hard': {
    model: 'ATM-9000',
    metrics: {
      transactions: { kind: 'count', perHour: 12, decimals: 0 },
      cashDispensed: { kind: 'count', perHour: 9, scale: 80, decimals: 0 },
      cardReaderErrors: { kind: 'count', perHour: 0.2, decimals: 0 },
      cabinetTemperature: { mean: 26, noise: 0.4, decimals: 2 },
      dispenserCurrent: { mean: 1.05, noise: 0.06, min: 0, decimals: 3 },
      dispenserVibration: { mean: 0.72, noise: 0.12, min: 0, decimals: 3 },
    },
    events: atmEvents,
    failure: {
      mtbfDays: 30,
      degradationHours: [24, 72],
      repairHours: [2, 8],
      shape: 1.5,
      modes: atmFailureModes,
    },
    field: {
      sites: 20,
      deviceSpread: { cabinetTemperature: 1.5, dispenserCurrent: 0.08, dispenserVibration: 0.2 },
      siteSpread: { cabinetTemperature: 2 },
      noiseSpread: 0.35,
      usage: {
        metric: 'transactions',
        perHour: 12,
        daily: 0.8,
        peakHour: 13,
        weekendFactor: 0.7,
        deviceSpread: 0.5,
        effects: { dispenserCurrent: 0.012, dispenserVibration: 0.015, cabinetTemperature: 0.05 },
        follows: ['cashDispensed', 'cardReaderErrors'],
      },
      weather: { sd: 4, correlationHours: 36, daily: 3, peakHour: 15, effects: { cabinetTemperature: 0.6 } },
      symptoms: { showProbability: 0.6, burstOnHours: 2, burstOffHours: 3, quietLevel: 0.25 },
      wearJumps: [1, 4],
      smoothShare: 0.4,
      suddenShare: 0.15,
      serviceEveryDays: 20,
    },
  },
  motor: {
    model: 'IM-55kW',
    metrics: {
      vibrationRms: { mean: 2.2, noise: 0.25, min: 0, decimals: 3 },
      bearingTemperature: { mean: 55, noise: 0.8, daily: 1.5, peakHour: 15, decimals: 2 },
      current: { mean: 12.5, noise: 0.4, daily: 1, peakHour: 11, min: 0, decimals: 2 },
    },
    events: { overload: { perHour: 0.02, attrs: { code: 'OL' } } },
    failure: {
      mtbfDays: 60,
      degradationHours: [48, 168],
      repairHours: [4, 24],
      shape: 2,
      modes: {
        bearing: { weight: 2, drift: { vibrationRms: 4, bearingTemperature: 12 } },
        winding: { weight: 1, drift: { current: 3, bearingTemperature: 5 }, events: { overload: 2 } },
      },
    },
  },
  env: {
    model: 'ENV-TH1',
    metrics: {
      temperature: { mean: 21, noise: 0.3, daily: 3, peakHour: 15, decimals: 2 },
      humidity: { mean: 45, noise: 2, daily: 8, peakHour: 5, min: 0, max: 100, decimals: 1 },
    },
  },
};
