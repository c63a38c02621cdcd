/** Moved to contracts/wire/tensor.ts (the wire format is a contract); this path stays for existing imports. */
export * from '../../contracts/wire/tensor';
