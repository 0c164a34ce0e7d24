export * from './rdd/index.js';
export * from './aggregates/index.js';
