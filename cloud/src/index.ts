// The cloud aggregation service arrives with issues 4 and 6.
export {};
