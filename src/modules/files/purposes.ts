import { Value } from 'typebox/value';
import { DEFAULT_PURPOSES, PurposeSchema, type FilesConfig, type Purpose, type PurposeInput } from './config.js';

/** The purposes uploads may name: built-in ones, neptuno.yaml's, and those user modules declare. */
export class Purposes {
  private readonly byName = new Map<string, Purpose>();

  constructor(config: FilesConfig) {
    for (const [name, p] of Object.entries(DEFAULT_PURPOSES)) this.define(name, p);
    for (const [name, p] of Object.entries(config.purposes)) this.define(name, p as PurposeInput);
  }

  /** Declares (or replaces) a purpose, e.g. from a user module's `start`. */
  define(name: string, input: PurposeInput): Purpose {
    if (!/^[a-z][a-z0-9_-]{0,39}$/.test(name)) throw new Error(`files: invalid purpose name "${name}"`);
    const purpose = Value.Default(PurposeSchema, structuredClone(input)) as Purpose;
    if (!Value.Check(PurposeSchema, purpose)) throw new Error(`files: invalid purpose "${name}": ${[...Value.Errors(PurposeSchema, purpose)].map((e) => `${e.instancePath} ${e.message}`).join('; ')}`);
    this.byName.set(name, purpose);
    return purpose;
  }

  get(name: string): Purpose | undefined {
    return this.byName.get(name);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  /** The largest upload any purpose allows (the multipart parser's own limit). */
  maxBytes(): number {
    return Math.max(...[...this.byName.values()].map((p) => p.maxBytes));
  }
}
