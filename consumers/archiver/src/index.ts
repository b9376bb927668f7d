export { Archiver, type ArchiverConfig } from './archiver.ts';
