/**
 * CIFAR-10 "binary version" loader: data_batch_1..5.bin and test_batch.bin from any directory. The layout and its
 * parser are in contracts/cifar10.ts (the devices read the same files); this module reads the files.
 */
import * as fs from 'fs';
import * as path from 'path';
import { IMAGE_BYTES, TEST_FILE, TRAIN_FILES, parseCifar10, type Cifar10Batch } from '../contracts/cifar10';

export { IMAGE_BYTES, IMAGE_SHAPE, RECORD_BYTES, TEST_FILE, TRAIN_FILES, parseCifar10, type Cifar10Batch } from '../contracts/cifar10';

/** Reads one batch file (or its first `limit` records from `offset`). */
export function readCifar10File(file: string, opts: { offset?: number; limit?: number } = {}): Cifar10Batch {
  if (!fs.existsSync(file)) throw new Error(`CIFAR-10 file not found: ${file}`);
  return parseCifar10(new Uint8Array(fs.readFileSync(file)), file, opts.offset ?? 0, opts.limit);
}

/** Loads the training (50,000 images in 5 files) or test (10,000) split from a directory in the standard layout. */
export function loadCifar10(dir: string, split: 'train' | 'test', limit?: number): Cifar10Batch {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`CIFAR-10 directory not found: ${dir}`);
  const files = split === 'train' ? TRAIN_FILES : [TEST_FILE];
  const missing = files.filter((f) => !fs.existsSync(path.join(dir, f)));
  if (missing.length) throw new Error(`${dir} lacks ${missing.join(', ')}: expected the CIFAR-10 binary layout (${[...TRAIN_FILES, TEST_FILE].join(', ')})`);
  const parts: Cifar10Batch[] = [];
  let left = limit ?? Infinity;
  for (const f of files) {
    if (left <= 0) break;
    const b = readCifar10File(path.join(dir, f), { limit: left });
    parts.push(b);
    left -= b.count;
  }
  const count = parts.reduce((n, b) => n + b.count, 0);
  const images = new Uint8Array(count * IMAGE_BYTES);
  const labels = new Uint8Array(count);
  let at = 0;
  for (const b of parts) {
    images.set(b.images, at * IMAGE_BYTES);
    labels.set(b.labels, at);
    at += b.count;
  }
  return { images, labels, count };
}

/** The data dir shared beside the repo (`../shared/data/cifar10`), as in CI. */
export function defaultCifar10Dir(repoRoot = path.join(__dirname, '..')): string {
  return path.join(repoRoot, '..', 'shared', 'data', 'cifar10');
}

/** Class names from batches.meta.txt when present. */
export function readClassNames(dir: string): string[] | null {
  const f = path.join(dir, 'batches.meta.txt');
  if (!fs.existsSync(f)) return null;
  return fs.readFileSync(f, 'utf8').split('\n').map((s) => s.trim()).filter(Boolean);
}
