/** The DDNN wire format, version 1 (see README "Wire format"): defined in contracts/wire, re-exported for the runtime. */
export * from '../../contracts/wire';
