/** Moved to contracts/wire/float16.ts (the wire format is a contract); this path stays for existing imports. */
export * from '../../contracts/wire/float16';
