/**
 * The reference numbers of the paper we reproduce, each with where it comes from.
 * Source: "An open source framework based on Kafka-ML for Distributed DNN inference over the Cloud-to-Things
 * continuum" (shared/reference/ddnn-kafka-ml-paper.txt), §5.2 unless noted. The figures themselves are not in the
 * text, so values only shown in Figs. 6–9 (e.g. global accuracies, absolute response times) are absent here.
 */
export interface PaperNumber {
  readonly value: number;
  readonly source: string;
}

const n = (value: number, source: string): PaperNumber => ({ value, source });

export const PAPER = {
  threshold: n(0.8, '§5.2: "we have used the value of 0.8 as a threshold"'),
  testImages: n(10_000, '§5.2: CIFAR10 test set comprising 10.000 images'),
  devices: n(5, '§5.2: "an environment composed of 5 devices"'),
  edgeAnsweredImages: n(5416, '§5.2: "The set of images that has been responded at the Edge corresponds to 5416 images"'),
  /** Share of requests answered at the edge exit (5416 / 10000). */
  edgeShare: n(0.5416, '§5.2: 5416 of 10,000 images answered at the edge'),
  /** Accuracy on the edge-answered images, at the edge exit. */
  edgeExitAccuracyOnEdgeSet: n(0.8418, '§5.2: accuracy for the images responded at the Edge level, 84.18%'),
  /** Accuracy of the full model (cloud-only) on the same edge-answered images. */
  fullModelAccuracyOnEdgeSet: n(0.9249, '§5.2: Cloud-only accuracy on the same set of images, 92.49%'),
  /** Simple deployment (1 broker, 1 partition, 1 device): average response time of edge-answered requests. */
  simpleEdgeAnsweredAvgSeconds: n(0.0638, '§5.2, Fig. 7: edge-answered response time 0.0638 s'),
  /** 3 brokers per layer, 5 devices, 4 partitions = 4 replicas: the best point of the sweep. */
  bestPartitions: n(4, '§5.2, Fig. 9: "The best result is obtained with 4 partitions and replicas"'),
  speedUpEarlyExitsAtBest: n(23, '§5.2, Fig. 9: speed-up of 23× for early exits (vs Cloud-only)'),
  speedUpTotalAtBest: n(8, '§5.2, Fig. 9: speed-up of 8× for total Edge response time (vs Cloud-only)'),
  /** Abstract / §1 contribution 3: improvement of the overall response time over a Cloud-only deployment. */
  responseTimeImprovement: n(0.4534, 'Abstract and §1: "an improvement of 45.34% of the response time compared to a Cloud-only deployment"'),
  /** The authors' released code sent tensors as JSON float lists (shared/README.md, field notes). */
  authorsImageBytes: n(60_000, 'shared/README.md: JSON float list ≈ 60 KB per image in the authors\' code'),
  authorsFeatureBytes: n(300_000, 'shared/README.md: JSON float list ≈ 300 KB per 16×16×64 feature map in the authors\' code'),
} as const;

export type PaperNumbers = typeof PAPER;
