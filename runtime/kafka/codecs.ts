/**
 * The compression codecs kafkajs lacks (it ships gzip only): snappy, lz4 and zstd, registered once per process
 * from native napi-rs packages that install from the npm registry without a download step
 * (`snappy`, `lz4-napi`, `@mongodb-js/zstd`). Without them one snappy/lz4/zstd batch from a librdkafka or Java
 * producer — the usual settings of those clients — stopped the whole consumer.
 *
 * Imported for its side effect by client-settings.ts, so every client built with the project's settings reads
 * every codec Kafka defines.
 */
import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { compressSync as snappyCompress, uncompressSync as snappyUncompress } from 'snappy';
import { compressFrame as lz4Compress, decompressFrame as lz4Decompress } from 'lz4-napi';
import { compress as zstdCompress, decompress as zstdDecompress } from '@mongodb-js/zstd';

/** Java's snappy-java ("xerial") stream header: magic, then version and compatible-version int32s. */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = 16;

/**
 * Kafka's snappy batches come in two framings: the Java client writes xerial blocks
 * (header, then [int32 BE length][raw snappy block]...), librdkafka writes one raw snappy block. Both decode here.
 */
export function snappyDecompress(buffer: Buffer): Buffer {
  if (buffer.length < XERIAL_HEADER_BYTES || !buffer.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC)) {
    return snappyUncompress(buffer) as Buffer;
  }
  const blocks: Buffer[] = [];
  let at = XERIAL_HEADER_BYTES;
  while (at < buffer.length) {
    if (at + 4 > buffer.length) throw new Error(`xerial snappy: truncated block length at byte ${at}`);
    const size = buffer.readInt32BE(at);
    at += 4;
    if (size < 0 || at + size > buffer.length) throw new Error(`xerial snappy: block of ${size} bytes at byte ${at} overruns the batch`);
    blocks.push(snappyUncompress(buffer.subarray(at, at + size)) as Buffer);
    at += size;
  }
  return Buffer.concat(blocks);
}

interface Codec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

const codecs: Record<number, Codec> = {
  [CompressionTypes.Snappy]: {
    compress: async (e) => snappyCompress(e.buffer),
    decompress: async (b) => snappyDecompress(b),
  },
  [CompressionTypes.LZ4]: {
    compress: (e) => lz4Compress(e.buffer),
    decompress: (b) => lz4Decompress(b),
  },
  [CompressionTypes.ZSTD]: {
    compress: (e) => zstdCompress(e.buffer),
    decompress: (b) => zstdDecompress(b),
  },
};

for (const [type, codec] of Object.entries(codecs)) {
  (CompressionCodecs as Record<number, () => Codec>)[Number(type)] = () => codec;
}

/** The codecs registered here, for a test or a start-up log. */
export const REGISTERED_CODECS = ['gzip', 'snappy', 'lz4', 'zstd'] as const;
