// Distances for matching. A private haversine keeps src/match free of other modules (src/geo has
// its own); both use the IUGG mean Earth radius, so they agree.

export const EARTH_RADIUS_KM = 6371.0088;
const RAD = Math.PI / 180;
/** Kilometres per degree of latitude (and of longitude at the equator). */
export const KM_PER_DEGREE = EARTH_RADIUS_KM * RAD;

/** Great-circle distance in kilometres. */
export function haversineKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const dLat = (lat2 - lat1) * RAD;
  const dLon = (lon2 - lon1) * RAD;
  const h =
    Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * RAD) * Math.cos(lat2 * RAD) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * Equirectangular approximation with the two points' mean cosine, without trigonometry in the
 * hot loop (cosines are precomputed per person). Within 300 km it stays within ~0.5 % of
 * haversine in mainland France; callers use it only to rank and to discard clear misses, with a
 * margin, and compute haversine for anything that is kept.
 */
export function approxDistanceKm(
  lat1: number,
  lon1: number,
  cosLat1: number,
  lat2: number,
  lon2: number,
  cosLat2: number,
): number {
  const dy = lat2 - lat1;
  let dLon = lon2 - lon1;
  if (dLon > 180) dLon -= 360;
  else if (dLon < -180) dLon += 360;
  const dx = dLon * 0.5 * (cosLat1 + cosLat2);
  return KM_PER_DEGREE * Math.sqrt(dx * dx + dy * dy);
}
