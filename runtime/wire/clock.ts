/** Moved to contracts/wire/clock.ts (the wire format is a contract); this path stays for existing imports. */
export * from '../../contracts/wire/clock';
