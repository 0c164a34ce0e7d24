export * from './aggregates/index.js';
export * from './protocol/index.js';
export * from './rdd/index.js';
export * from './streaming/index.js';
