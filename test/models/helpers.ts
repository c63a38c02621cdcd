/** Shared by the model tests: paths to the shared CIFAR-10 slices and a fast tfjs backend. */
import * as path from 'path';
import { selectBackend } from '../../runtime/tf/backend';

export const REPO = path.join(__dirname, '..', '..');
/** In CI shared/ sits beside the repo. */
export const SHARED_CIFAR = path.join(REPO, '..', 'shared', 'data', 'cifar10');
export const LOSSLESS_TEST = path.join(SHARED_CIFAR, 'lossless', 'test_batch_first1000.bin');
export const TRAINED = path.join(REPO, 'models', 'trained', 'compact-branchynet');
/** Every model that ships trained weights (models/trained/<name>/). */
export const SHIPPED_MODELS = ['compact-branchynet', 'vgg16-branchynet'];
export const trainedDir = (name: string): string => path.join(REPO, 'models', 'trained', name);

/** wasm when it loads (much faster than the pure-JS kernels), else cpu. */
export async function useTestBackend(): Promise<string> {
  try {
    return (await selectBackend('wasm')).name;
  } catch {
    return (await selectBackend('cpu')).name;
  }
}
