// The gateway (broker, ingest, pipelines, outbox, uplink) arrives with issues 3 and 4.
export {};
