/**
 * Scenarios that find a consumer defect not fixed yet, as `scenario/protocol` -> what fails and why.
 * They still run, as `it.fails`: the suite stays green while the defect is there, and turns red the
 * day a fix makes one pass, so its entry is removed here. Empty this list; never skip a scenario.
 */
export const KNOWN_FAILING: Readonly<Record<string, string>> = {};

/** @returns why `scenario` under `protocol` is expected to fail, or undefined. */
export function knownFailure(scenario: string, protocol: string): string | undefined {
  return KNOWN_FAILING[`${scenario}/${protocol}`] ?? KNOWN_FAILING[`${scenario}/*`];
}
