/**
 * The direction of dependencies between the project's parts (README "Where each part lives"):
 *
 *   contracts  ←  runtime  ←  models (only runtime/tf, the tfjs backend, runtime/{kafka,registry} for the pipeline,
 *                                     and runtime/charts, the one plotting path)
 *       ↑   ↖ environments ← constructs/{continuum,main}.ts, infra, runtime/continuum
 *       └──────  constructs/k8s (the construct library), infra
 *
 * contracts import nothing of the project and do no I/O; constructs and infra never import runtime code; runtime
 * never imports models (the worker image holds contracts/ and runtime/ only). Inside runtime/, a folder may import
 * only the folders listed before it in RUNTIME_ORDER, so no two folders import each other. Any cycle fails.
 * Run: npm run check:deps (part of npm run build). Tests may import anything and are not checked.
 */
// charts first: pure chart specs + their SVG rendering, which every report (and models/' calibration) shares.
const RUNTIME_ORDER = ['charts', 'process', 'tf', 'wire', 'kafka', 'registry', 'worker', 'collector', 'devices', 'live', 'controller', 'capacity', 'continuum'];

const forbidden = [
  {
    name: 'no-circular',
    severity: 'error',
    comment: 'A cycle makes two modules one: neither can be understood, tested or moved without the other.',
    from: {},
    to: { circular: true },
  },
  {
    name: 'contracts-import-nothing-of-the-project',
    severity: 'error',
    from: { path: '^contracts/' },
    to: { path: '^(runtime|models|constructs|infra|environments|test)/' },
  },
  {
    name: 'contracts-do-no-io',
    severity: 'error',
    comment: 'Only pure node modules (hashing) in the contracts.',
    from: { path: '^contracts/' },
    to: { dependencyTypes: ['core'], pathNot: '^(node:)?crypto$' },
  },
  {
    name: 'contracts-use-only-zod',
    severity: 'error',
    from: { path: '^contracts/' },
    to: { dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'], pathNot: '^node_modules/zod/' },
  },
  {
    name: 'constructs-and-infra-never-import-runtime-or-models',
    severity: 'error',
    from: { path: '^(constructs|infra)/' },
    to: { path: '^(runtime|models)/' },
  },
  {
    name: 'construct-library-imports-only-contracts',
    severity: 'error',
    comment: "constructs/k8s is what users import into their own charts: it must not need the project's environments.",
    from: { path: '^constructs/k8s/' },
    to: { path: '^(environments|infra)/|^constructs/(continuum|main)\\.ts$' },
  },
  {
    name: 'infra-does-not-import-constructs',
    severity: 'error',
    from: { path: '^infra/' },
    to: { path: '^constructs/' },
  },
  {
    name: 'environments-import-only-contracts',
    severity: 'error',
    from: { path: '^environments/' },
    to: { path: '^(runtime|models|constructs|infra)/' },
  },
  {
    name: 'runtime-never-imports-models',
    severity: 'error',
    comment: 'The runtime serves what models/ produces through contracts (manifest, CIFAR-10 layout), not its code.',
    from: { path: '^runtime/' },
    to: { path: '^models/' },
  },
  {
    name: 'only-the-main-job-reads-environments',
    severity: 'error',
    from: { path: '^runtime/', pathNot: '^runtime/continuum/' },
    to: { path: '^environments/' },
  },
  {
    name: 'models-use-only-the-runtime-tf-backend-and-kafka-io',
    severity: 'error',
    // The pipeline steps (models/pipeline: ingest, train, register) are model life cycle but read and write Kafka.
    from: { path: '^models/' },
    to: { path: '^(constructs|infra|environments)/|^runtime/(?!(tf|kafka|registry|charts)/)' },
  },
  ...RUNTIME_ORDER.map((folder, i) => ({
    name: `runtime-${folder}-imports-only-earlier-runtime-folders`,
    severity: 'error',
    comment: `runtime/ folders in order: ${RUNTIME_ORDER.join(' < ')}`,
    from: { path: `^runtime/${folder}/` },
    to: { path: `^runtime/(${RUNTIME_ORDER.slice(i + 1).join('|') || '$^'})/` },
  })),
];

module.exports = {
  forbidden,
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|cdktf\\.out|test)/' },
    // Type-only imports couple modules as much as value imports do.
    tsPreCompilationDeps: true,
    // No tsConfig: the project has no path aliases, and with one the resolver took the bare package name
    // 'constructs' (the npm package) for the folder constructs/.
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
