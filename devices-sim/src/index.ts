// The device simulator arrives with issue 5.
export {};
