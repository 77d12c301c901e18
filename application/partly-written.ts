/**
 * A failure after some of a request's writes were committed (a list goes in atomic chunks): the
 * error says exactly what was recorded and how to finish, so the answer never claims that nothing
 * was written. `cause` is the failure itself (a sick database answers 503, anything else 500).
 */
export class PartlyWritten extends Error {
  constructor(
    /** For the client, no PII: which parts were recorded, which may have been, how to resume. */
    readonly whatWasWritten: string,
    options: { cause: unknown },
  ) {
    super(whatWasWritten, options);
    this.name = 'PartlyWritten';
  }
}
