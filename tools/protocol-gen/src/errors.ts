/** A message definition the generator cannot model, or a generator run that cannot proceed. */
export class GeneratorError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GeneratorError';
  }
}
