import { loadArchitecture } from '../../models/architecture';
import { planPlacement, resolvePlacement, standardPlacements } from '../../models/placement';

const spec = loadArchitecture('compact-branchynet');

describe('placements', () => {
  it('standard placements: cloud-only, edge-cloud and edge-fog-cloud with their block ranges', () => {
    expect(standardPlacements(spec).map((p) => p.name)).toEqual(['cloud-only', 'edge-cloud', 'edge-fog-cloud']);
    expect(planPlacement(spec, resolvePlacement(spec, 'edge-cloud'))).toEqual([
      { layer: 'edge', index: 0, fromBlock: 'block1', toBlock: 'block1', exit: 'edge_output', next: 'cloud' },
      { layer: 'cloud', index: 1, fromBlock: 'block2', toBlock: 'block3', exit: 'cloud_output', next: null },
    ]);
    expect(planPlacement(spec, resolvePlacement(spec, 'cloud-only'))).toEqual([
      { layer: 'cloud', index: 0, fromBlock: 'block1', toBlock: 'block3', exit: 'cloud_output', next: null },
    ]);
    expect(planPlacement(spec, resolvePlacement(spec, 'edge-fog-cloud')).map((p) => [p.layer, p.fromBlock, p.toBlock, p.next])).toEqual([
      ['edge', 'block1', 'block1', 'fog'], ['fog', 'block2', 'block2', 'cloud'], ['cloud', 'block3', 'block3', null],
    ]);
  });

  it('allows a relay layer without an exit', () => {
    const plan = planPlacement(spec, {
      name: 'relay',
      layers: [{ layer: 'edge', upTo: 'block1', exit: null }, { layer: 'cloud', upTo: 'block3', exit: 'cloud_output' }],
    });
    expect(plan[0]).toMatchObject({ exit: null, next: 'cloud' });
  });

  it.each([
    [{ name: 'x', layers: [{ layer: 'edge', upTo: 'block2', exit: null }] }, /last layer 'edge' must run up to the last block 'block3'/],
    [{ name: 'x', layers: [{ layer: 'cloud', upTo: 'block3', exit: null }] }, /last layer 'cloud' must have an exit/],
    [{ name: 'x', layers: [{ layer: 'edge', upTo: 'block1', exit: 'fog_output' }, { layer: 'cloud', upTo: 'block3', exit: 'cloud_output' }] }, /exit 'fog_output' starts after 'block2', but layer 'edge' ends at 'block1'/],
    [{ name: 'x', layers: [{ layer: 'edge', upTo: 'block2', exit: null }, { layer: 'fog', upTo: 'block1', exit: null }, { layer: 'cloud', upTo: 'block3', exit: 'cloud_output' }] }, /layer 'fog' ends at 'block1', which the layer before already ran/],
    [{ name: 'x', layers: [{ layer: 'edge', upTo: 'block7', exit: null }] }, /unknown block 'block7'/],
    [{ name: 'x', layers: [{ layer: 'a', upTo: 'block1', exit: null }, { layer: 'a', upTo: 'block3', exit: 'cloud_output' }] }, /layer names must be unique/],
  ])('rejects an impossible placement (%#)', (placement, message) => {
    expect(() => planPlacement(spec, placement)).toThrow(message);
  });

  it('names the standard placements when given an unknown one', () => {
    expect(() => resolvePlacement(spec, 'fog-only')).toThrow("unknown placement 'fog-only' for compact-branchynet (standard: cloud-only, edge-cloud, edge-fog-cloud; or a .json file)");
  });
});
