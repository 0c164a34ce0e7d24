export { deadEnvelopesMax, type GatewayStats, type IntakeOutcome, IntakeStore, type SeriesPoint } from './intake/intake-store.js';
