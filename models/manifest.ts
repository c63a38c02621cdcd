/** Moved to contracts/manifest.ts (the manifest is the contract between partitioning and the runtime); this path stays for existing imports. */
export * from '../contracts/manifest';
