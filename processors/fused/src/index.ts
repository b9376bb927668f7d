export { fusedTransform } from './fused.ts';
