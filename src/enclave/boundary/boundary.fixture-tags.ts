// The ECALL and OCALL tags of boundary.fixture.ts, apart from it so boundary.test.ts can import
// them: importing the fixture itself would run its worker body in the test thread.

export const ECALL = {
  echo: 1,
  sumViaOcalls: 2,
  fail: 3,
  crash: 4,
  exhaustMemory: 5,
  hugeAnswer: 6,
  untilGateOpens: 7,
  computeFor: 8,
  crashAfterOcalls: 9,
} as const;
export const OCALL = { valueOf: 10, failing: 11, gate: 12 } as const;
