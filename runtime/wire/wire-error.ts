/** Moved to contracts/wire/wire-error.ts (the wire format is a contract); this path stays for existing imports. */
export * from '../../contracts/wire/wire-error';
