export * from './aggregates/index.js';
export * from './rdd/index.js';
