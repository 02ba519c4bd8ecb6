/**
 * Five wells around (11, 0) with a name and a depth: a point layer small enough to reason about
 * pixel by pixel (the map viewer's and the WMS's tests draw and identify it).
 */
export const WELLS = {
  type: 'FeatureCollection',
  features: (
    [
      [10, -1, 'South-west well', 12.5],
      [12, -1, 'South-east well', 8],
      [11, 0, 'Centre well', 21.75],
      [10, 1, 'North-west well', 3],
      [12, 1, 'North-east well', 17]
    ] as const
  ).map(([x, y, name, depth]) => ({ type: 'Feature', properties: { name, depth_m: depth }, geometry: { type: 'Point', coordinates: [x, y] } }))
}
